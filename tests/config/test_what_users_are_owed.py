"""The privacy notice, the accessibility statement and the contact page, through the real views.

They say what the law owes the people who use the site: who is responsible for their data and
how to complain, how accessible the site is and who enforces it, and how to reach the people who
run it. The operator's details come from settings (config/operator.py, `.env.example`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings as django_settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.urls import reverse

from tests.conftest import make_member

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["privacy", "accessibility", "contact"]
PASSWORD = "a-long-test-password-42"


def page(client, name: str) -> BeautifulSoup:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def main_text(soup: BeautifulSoup) -> str:
    return " ".join(soup.find("main").get_text(" ").split())


def hrefs(soup: BeautifulSoup, within: str = "main") -> list[str]:
    return [a["href"] for a in soup.find(within).find_all("a", href=True)]


@pytest.fixture
def operator(settings):
    settings.OPERATOR_NAME = "NHS Example Integrated Care Board"
    settings.CONTACT_EMAIL = "commonground@example.nhs.uk"
    settings.ICO_REGISTRATION_NUMBER = "ZA123456"
    return settings


# Everyone can read them -------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_each_page_answers_an_anonymous_visitor_and_a_signed_in_member(client, name):
    assert client.get(reverse(name)).status_code == 200
    client.force_login(make_member())
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ["home", "forum:theme_list", "account_login"])
def test_the_footer_links_the_privacy_notice_the_accessibility_statement_and_the_contact_page(client, name):
    footer = page(client, name).find("footer")
    links = {a.get_text(strip=True): a["href"] for a in footer.find_all("a")}
    assert links["Privacy notice"] == reverse("privacy")
    assert links["Accessibility statement"] == reverse("accessibility")
    assert links["Contact us"] == reverse("contact")
    assert links["About Common Ground"] == reverse("about")


# The privacy notice ------------------------------------------------------------------------------


def test_the_privacy_notice_names_the_data_controller_and_its_ico_registration_from_settings(client, operator):
    text = main_text(page(client, "privacy"))
    assert "Common Ground is run by NHS Example Integrated Care Board, which decides how and why" in text
    assert "controller" in text
    assert "ZA123456" in text
    assert "commonground@example.nhs.uk" in text


def test_the_privacy_notice_reads_well_before_the_operator_is_named(client, settings):
    settings.OPERATOR_NAME = ""
    settings.ICO_REGISTRATION_NUMBER = ""
    text = main_text(page(client, "privacy"))
    assert "The organisation that runs Common Ground decides how and why" in text
    assert "register of fee payers" not in text
    assert "None" not in text


def test_the_privacy_notice_tells_people_how_to_complain_to_the_ico(client):
    soup = page(client, "privacy")
    complaints = soup.find(id="complaints").find_next("dl")
    assert "https://ico.org.uk/make-a-complaint/" in [a["href"] for a in complaints.find_all("a")]
    assert "0303 123 1113" in complaints.get_text()
    assert "Wycliffe House" in complaints.get_text()


def test_a_private_operator_relies_on_legitimate_interests_and_is_not_said_to_answer_foi_requests(client, settings):
    settings.OPERATOR_IS_PUBLIC_AUTHORITY = False
    text = main_text(page(client, "privacy"))
    assert "Legitimate interests" in text
    assert "Public task" not in text
    assert "Freedom of Information" not in text
    assert "Legal obligation" in text  # answering requests about people's data


def test_a_public_authority_relies_on_public_task_and_says_foi_requests_can_reach_it(client, operator):
    operator.OPERATOR_IS_PUBLIC_AUTHORITY = True
    text = main_text(page(client, "privacy"))
    assert "Public task" in text
    assert "Legitimate interests" not in text
    assert "NHS Example Integrated Care Board is a public authority" in text
    assert "Freedom of Information Act 2000" in text


def test_the_privacy_notice_names_the_processors_the_operator_set(client, settings):
    settings.HOSTING_PROVIDER = "Example Cloud Ltd, in data centres in the UK"
    settings.EMAIL_PROVIDER = "Example Mail Ltd, in the UK"
    text = main_text(page(client, "privacy"))
    assert "hosting: Example Cloud Ltd, in data centres in the UK, which runs the servers" in text
    assert "email: Example Mail Ltd, in the UK, which delivers the emails" in text


def test_the_privacy_notice_describes_the_processors_in_general_words_when_none_are_named(client, settings):
    settings.HOSTING_PROVIDER = ""
    settings.EMAIL_PROVIDER = ""
    text = main_text(page(client, "privacy"))
    assert "hosting: a hosting company runs the servers" in text
    assert "email: an email company delivers the emails" in text


def test_the_privacy_notice_links_the_download_correction_and_deletion_of_a_members_data(client):
    links = hrefs(page(client, "privacy"))
    for name in ("accounts:data_export", "accounts:edit_profile", "accounts:delete_account", "contact"):
        assert reverse(name) in links or f"{reverse(name)}#your-data" in links, name


def test_the_retention_periods_in_the_privacy_notice_agree_with_the_operations_guide(client):
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    retention = guide.split("## Retention", 1)[1].split("\n## ", 1)[0]
    for period in ("90 days", "30 days", "14 daily, 8 weekly", "7 days", "14 days"):
        assert period in retention, f"docs/operations.md no longer says {period!r}: update /privacy/ too"
    text = main_text(page(client, "privacy"))
    assert "90 days (records of each visit, with IP addresses, 30 days)" in text
    assert "Up to 8 weeks" in text
    assert "7 to 14 days" in text
    assert "For as long as Common Ground runs" in text


def test_the_privacy_notice_lists_every_cookie_a_member_is_given_while_signing_in_and_using_the_site(client):
    documented = {
        row.find("td").find(string=True, recursive=False).strip()  # after the heading shown on small screens
        for row in page(client, "privacy").find(id="cookies").find_next("table").find("tbody").find_all("tr")
    }
    # The names the notice gives are the ones the settings use.
    names = {django_settings.SESSION_COOKIE_NAME, django_settings.CSRF_COOKIE_NAME, CookieStorage.cookie_name}
    assert documented == names
    default_storage = "django.contrib.messages.storage.fallback.FallbackStorage"  # the cookie, then the session
    assert getattr(django_settings, "MESSAGE_STORAGE", default_storage) == default_storage

    make_member("cookies@example.org", password=PASSWORD)
    client.get(reverse("account_login"))
    client.post(reverse("account_login"), {"login": "cookies@example.org", "password": PASSWORD})
    client.post(reverse("accounts:edit_profile"), {"display_name": "Cookie Tester", "stakeholder_group": "nhs"})
    client.get(reverse("accounts:settings"))
    assert {django_settings.SESSION_COOKIE_NAME, django_settings.CSRF_COOKIE_NAME} <= set(client.cookies.keys())
    assert set(client.cookies.keys()) <= documented, set(client.cookies.keys()) - documented


def test_the_privacy_notice_says_when_it_was_last_updated(client):
    assert re.search(r"Last updated on \d{1,2} \w+ 20\d\d", main_text(page(client, "privacy")))


# The accessibility statement ---------------------------------------------------------------------


def test_the_accessibility_statement_names_the_enforcement_procedure(client):
    soup = page(client, "accessibility")
    text = main_text(soup)
    assert "Equality and Human Rights Commission (EHRC) is responsible for enforcing" in text
    assert "Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018" in text
    assert "Equality Advisory and Support Service (EASS)" in text
    assert "https://www.equalityadvisoryservice.com/" in hrefs(soup)


def test_the_accessibility_statement_links_the_contact_page_for_feedback(client, operator):
    soup = page(client, "accessibility")
    feedback = soup.find(id="feedback").find_next("p")
    assert f"{reverse('contact')}#accessibility" in [a["href"] for a in feedback.find_all("a")]
    assert "mailto:commonground@example.nhs.uk" in [a["href"] for a in feedback.find_all("a")]


def test_the_accessibility_statement_gives_its_compliance_status_known_problems_and_dates(client):
    text = main_text(page(client, "accessibility"))
    assert "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA standard" in text
    assert "success criterion 2.4.4" in text
    assert re.search(r"prepared on \d{1,2} \w+ 20\d\d ?\. It was last reviewed on \d{1,2} \w+ 20\d\d", text)
    assert "axe-core" in text


def test_the_accessibility_statement_says_the_regulations_may_not_bind_an_operator_that_is_not_a_public_body(
    client, operator
):
    operator.OPERATOR_IS_PUBLIC_AUTHORITY = False
    assert "is not a public sector body" in main_text(page(client, "accessibility"))
    operator.OPERATOR_IS_PUBLIC_AUTHORITY = True
    text = main_text(page(client, "accessibility"))
    assert "is not a public sector body" not in text
    assert "in accordance with the accessibility regulations" in text


# The contact page --------------------------------------------------------------------------------


def test_the_contact_page_shows_the_configured_email_and_leaves_out_the_lines_not_set(client, operator):
    operator.CONTACT_PHONE = ""
    operator.CONTACT_POSTAL_ADDRESS = []
    operator.DPO_EMAIL = ""
    soup = page(client, "contact")
    details = soup.find(id="how-to-reach-us").find_next("dl")
    keys = [dt.get_text(strip=True) for dt in details.find_all("dt")]
    assert keys == ["Email"]
    assert details.find("a")["href"] == "mailto:commonground@example.nhs.uk"
    text = main_text(soup)
    assert "data protection officer" not in text
    assert "Not given" not in text and "not given" not in text
    assert "Common Ground is run by NHS Example Integrated Care Board." in text


def test_the_contact_page_shows_the_phone_number_postal_address_and_data_protection_officer_when_set(client, operator):
    operator.CONTACT_PHONE = "0113 496 0000"
    operator.CONTACT_POSTAL_ADDRESS = ["1 High Street", "Leeds", "LS1 4AP"]
    operator.DPO_NAME = "Sam Patel"
    operator.DPO_EMAIL = "dpo@example.nhs.uk"
    soup = page(client, "contact")
    details = soup.find(id="how-to-reach-us").find_next("dl")
    rows = {
        row.find("dt").get_text(strip=True): row.find("dd")
        for row in details.find_all("div", class_="nhsuk-summary-list__row")
    }
    assert list(rows) == ["Email", "Telephone", "Post"]
    assert rows["Telephone"].find("a")["href"] == "tel:01134960000"
    address = ["NHS Example Integrated Care Board", "1 High Street", "Leeds", "LS1 4AP"]
    assert list(rows["Post"].stripped_strings) == address
    assert "data protection officer, Sam Patel, at dpo@example.nhs.uk" in main_text(soup)
    assert "mailto:dpo@example.nhs.uk" in hrefs(soup)


def test_the_contact_page_says_plainly_when_no_contact_details_are_set(client, settings):
    settings.OPERATOR_NAME = ""
    settings.CONTACT_EMAIL = ""
    settings.CONTACT_PHONE = ""
    settings.CONTACT_POSTAL_ADDRESS = []
    soup = page(client, "contact")
    assert soup.find("main").find("dl", class_="nhsuk-summary-list") is None
    text = main_text(soup)
    assert "has not published its contact details yet" in text
    assert "mailto:" not in " ".join(hrefs(soup))


def test_the_contact_page_links_the_data_download_deletion_security_pages_and_appeals(client):
    links = hrefs(page(client, "contact"))
    for name in (
        "accounts:data_export",
        "accounts:delete_account",
        "account_change_password",
        "usersessions_list",
        "mfa_index",
        "forum:moderation_notices",
        "privacy",
    ):
        assert reverse(name) in links, name
    assert f"{reverse('accessibility')}" in links


def test_the_about_page_names_the_operator_and_links_the_contact_page(client, operator):
    soup = page(client, "about")
    assert "Common Ground is run by NHS Example Integrated Care Board." in main_text(soup)
    assert reverse("contact") in hrefs(soup)
