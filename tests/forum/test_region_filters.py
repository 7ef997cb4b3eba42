"""Filtering by region: each comment keeps the region its writer was in when posting, and the theme
page, who is taking part, common ground and the downloads can be narrowed to one region with
`?region=<ONS code>`. An unknown code gets a page in words with a 400 status."""

from __future__ import annotations

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region, StakeholderGroup, User
from accounts.privacy import delete_account
from accounts.regions import ensure_register_loaded
from forum.models import Comment
from forum.posting import services
from forum.posting.counter_check import find_drift, repair_drift
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply, seed_a_little

pytestmark = pytest.mark.django_db

CHESHIRE, YORKSHIRE = "E54000008", "E54000054"


@pytest.fixture(autouse=True)
def _downloads_for_everyone(settings):
    settings.EXPORT_REQUIRES_GROUP = ""


@pytest.fixture(autouse=True)
def _register(db):
    ensure_register_loaded()  # a transactional test that ran before may have flushed it


@pytest.fixture
def cheshire(db) -> Region:
    return Region.objects.get(code=CHESHIRE)


@pytest.fixture
def yorkshire(db) -> Region:
    return Region.objects.get(code=YORKSHIRE)


@pytest.fixture
def writers(member, other_member, cheshire, yorkshire):
    """Alex (NHS) works in Cheshire and Merseyside, Priya (social care) in West Yorkshire, and
    Val (VCSE) gave no region."""
    User.objects.filter(pk=member.pk).update(region=cheshire)
    User.objects.filter(pk=other_member.pk).update(region=yorkshire)
    member.refresh_from_db()
    other_member.refresh_from_db()
    val = make_member("val@example.org", display_name="Val Voluntary", stakeholder_group=StakeholderGroup.VCSE)
    return member, other_member, val


@pytest.fixture
def discussions(theme, writers):
    """Alex opens "Cheshire theatres" (Priya and Val reply); Priya opens "Yorkshire discharge"
    (Alex replies)."""
    alex, priya, val = writers
    north_west = services.start_thread(theme=theme, author=alex, title="Cheshire theatres", body="Theatres run late.")
    reply(north_west, priya, "We see it too.")
    reply(north_west, val, "So do carers.")
    yorkshire = services.start_thread(theme=theme, author=priya, title="Yorkshire discharge", body="Beds wait.")
    reply(yorkshire, alex, "Discharge lounges help.")
    return north_west, yorkshire


def regions_of(member) -> set[str | None]:
    return set(Comment.objects.filter(author=member).values_list("author_region__code", flat=True))


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def main_text(response) -> str:
    return " ".join(soup_of(response).main.get_text(" ").split())


# The region as posted ---------------------------------------------------------------------------


def test_a_comment_keeps_the_region_its_writer_was_in_when_posting(discussions, writers, yorkshire):
    alex, _priya, val = writers
    assert regions_of(alex) == {CHESHIRE}
    assert regions_of(val) == {None}
    alex.region = yorkshire
    alex.save()
    reply(discussions[0], alex, "Written after moving.")
    assert regions_of(alex) == {CHESHIRE, YORKSHIRE}
    assert Comment.objects.get(body="Written after moving.").author_region == yorkshire


def test_an_erased_account_leaves_no_region_on_its_comments(discussions, writers):
    alex = writers[0]
    delete_account(user=alex, remove_text=False)
    assert regions_of(alex) == {None}


def test_check_counters_finds_and_repairs_a_region_left_on_an_erased_members_comments(discussions, writers, cheshire):
    alex = writers[0]
    delete_account(user=alex, remove_text=False)
    Comment.objects.filter(author=alex).update(author_region=cheshire)  # as if by a bug or a hand-made change
    drift = [item for item in find_drift() if item.field == "author_region_id"]
    assert len(drift) == 2
    repair_drift(drift)
    assert regions_of(alex) == {None}
    assert not [item for item in find_drift() if item.field == "author_region_id"]


def test_seeded_comments_carry_their_writers_region():
    seed_a_little()
    comments = Comment.objects.filter(author__isnull=False)
    assert comments.filter(author_region__isnull=False).exists()
    assert not comments.filter(author__region__isnull=False).exclude(author_region=F("author__region")).exists()
    assert not comments.filter(author__region__isnull=True, author_region__isnull=False).exists()


# The theme page ---------------------------------------------------------------------------------


def listed_titles(response) -> list[str]:
    return [link.get_text(strip=True) for link in soup_of(response).select("main table a[href*='/threads/']")]


def test_the_theme_page_lists_only_discussions_started_by_members_of_the_region(client, theme, discussions):
    everything = client.get(theme.get_absolute_url())
    assert {"Cheshire theatres", "Yorkshire discharge"} <= set(listed_titles(everything))
    response = client.get(theme.get_absolute_url(), {"region": YORKSHIRE})
    assert response.status_code == 200
    assert listed_titles(response) == ["Yorkshire discharge"]  # Alex's reply there does not bring his own in
    text = main_text(response)
    assert "Showing only discussions started by members in NHS West Yorkshire Integrated Care Board" in text
    assert soup_of(response).find("a", string="Show all regions")["href"] == theme.get_absolute_url()


def test_the_theme_page_offers_every_region_in_force_after_all_of_england(client, theme, discussions):
    select = soup_of(client.get(theme.get_absolute_url())).find("select", attrs={"name": "region"})
    options = [option["value"] for option in select.find_all("option")]
    assert options[0] == ""
    assert options[1:] == [region.code for region in Region.objects.for_choices()]


def test_choosing_all_of_england_shows_every_discussion(client, theme, discussions):
    response = client.get(theme.get_absolute_url(), {"region": ""})
    assert {"Cheshire theatres", "Yorkshire discharge"} <= set(listed_titles(response))
    assert "Showing only" not in main_text(response)


def test_a_region_whose_members_started_nothing_says_so(client, theme, discussions):
    response = client.get(theme.get_absolute_url(), {"region": "E92000001"})
    assert listed_titles(response) == []
    assert "No member in England-wide has started a discussion in this theme yet." in main_text(response)


def test_the_theme_pages_next_page_keeps_the_region(client, theme, discussions, monkeypatch, writers):
    monkeypatch.setattr("forum.views.themes.THREADS_PER_PAGE", 1)
    services.start_thread(theme=theme, author=writers[1], title="Yorkshire again", body="More.")
    soup = soup_of(client.get(theme.get_absolute_url(), {"region": YORKSHIRE}))
    assert soup.find("a", rel="next")["href"] == f"{theme.get_absolute_url()}?region={YORKSHIRE}&page=2#discussions"


# Who is taking part and common ground ------------------------------------------------------------


def summary_url(theme) -> str:
    return reverse("forum:theme_summary", args=[theme.slug])


def common_ground_url(theme) -> str:
    return reverse("forum:common_ground", args=[theme.slug])


def test_the_summary_counts_only_what_members_of_the_region_wrote(client, theme, discussions):
    assert "5 comments from 3 people" in main_text(client.get(summary_url(theme)))
    response = client.get(summary_url(theme), {"region": CHESHIRE})
    text = main_text(response)
    assert "2 comments from 1 person" in text
    assert "Showing only comments by members in NHS Cheshire and Merseyside Integrated Care Board" in text
    figures = soup_of(response).select("main table")[0]
    groups = [th.get_text(strip=True) for th in figures.select("tbody th[scope=row]")]
    assert groups == ["NHS trust or NHS staff", "All groups"]


def test_the_summary_of_a_region_with_no_comments_says_so(client, theme, discussions):
    text = main_text(client.get(summary_url(theme), {"region": "E92000001"}))
    assert "No member in England-wide has commented in this theme yet" in text


def test_the_summary_links_to_common_ground_of_the_same_region(client, theme, discussions):
    Comment.objects.filter(author_region__code=CHESHIRE).update(is_common_ground=True)
    soup = soup_of(client.get(summary_url(theme), {"region": CHESHIRE}))
    assert soup.find("a", string="2 are common ground")["href"] == f"{common_ground_url(theme)}?region={CHESHIRE}"


def test_common_ground_lists_only_comments_by_members_of_the_region(client, theme, discussions):
    Comment.objects.filter(thread__theme=theme).update(is_common_ground=True, agree_count=3)
    assert "5 comments in this theme are common ground" in main_text(client.get(common_ground_url(theme)))
    response = client.get(common_ground_url(theme), {"region": YORKSHIRE})
    assert "2 comments in this theme by members in NHS West Yorkshire Integrated Care Board are common ground" in (
        main_text(response)
    )
    authors = {a.get_text(strip=True) for a in soup_of(response).select("main article .nhsuk-card__heading a")}
    assert all("Priya Shah" in author for author in authors)


def test_common_ground_pages_keep_the_region(client, theme, discussions, monkeypatch):
    monkeypatch.setattr("forum.views.agreement.COMMON_GROUND_PER_PAGE", 1)
    Comment.objects.filter(thread__theme=theme).update(is_common_ground=True, agree_count=3)
    first = soup_of(client.get(common_ground_url(theme), {"region": YORKSHIRE}))
    assert first.find("a", rel="next")["href"] == f"{common_ground_url(theme)}?region={YORKSHIRE}&page=2"
    second = soup_of(client.get(common_ground_url(theme), {"region": YORKSHIRE, "page": 2}))
    assert second.find("a", rel="prev")["href"] == f"{common_ground_url(theme)}?region={YORKSHIRE}"
    assert second.find("a", rel="next") is None  # Priya wrote two common-ground comments: two pages


@pytest.mark.parametrize("name", ["forum:theme", "forum:theme_summary", "forum:common_ground"])
def test_the_theme_tabs_keep_the_region(client, theme, discussions, name):
    soup = soup_of(client.get(reverse(name, args=[theme.slug]), {"region": CHESHIRE}))
    tabs = {a.get_text(strip=True): a["href"] for a in soup.select("nav.nhsuk-tabs a")}
    for name in ["Discussions", "Common ground", "Who is taking part"]:
        assert tabs[name].endswith(f"?region={CHESHIRE}"), name


# Downloads --------------------------------------------------------------------------------------


def download(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def read_csv(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def test_every_row_says_the_region_as_posted(member_client, theme, discussions):
    rows = read_csv(download(member_client, reverse("forum:theme_export", args=[theme.slug, "csv"])))
    by_author = {(row["author"], row["region_code"], row["region"]) for row in rows}
    assert by_author == {
        ("Alex Member", CHESHIRE, "NHS Cheshire and Merseyside Integrated Care Board"),
        ("Priya Shah", YORKSHIRE, "NHS West Yorkshire Integrated Care Board"),
        ("Val Voluntary", "", ""),
    }


def test_the_theme_download_can_hold_one_regions_comments(member_client, theme, discussions):
    url = reverse("forum:theme_export", args=[theme.slug, "csv"])
    response = member_client.get(url, {"region": CHESHIRE})
    assert CHESHIRE in response["Content-Disposition"]
    rows = read_csv(b"".join(response.streaming_content).decode("utf-8"))
    assert [row["author"] for row in rows] == ["Alex Member", "Alex Member"]


def test_the_all_themes_download_can_hold_one_regions_comments(member_client, theme, source, discussions, writers):
    other = make_theme("other-theme", position=2)
    services.start_thread(theme=other, author=writers[1], title="Elsewhere", body="In another theme.")
    document = json.loads(download(member_client, reverse("forum:export_all", args=["json"]), region=YORKSHIRE))
    assert document["region"] == YORKSHIRE
    assert {record["region_code"] for record in document["comments"]} == {YORKSHIRE}
    assert {record["theme_slug"] for record in document["comments"]} == {theme.slug, other.slug}
    assert len(document["comments"]) == 3


def test_an_unfiltered_json_download_names_no_region(member_client, theme, discussions):
    document = json.loads(download(member_client, reverse("forum:export_all", args=["json"])))
    assert document["region"] is None
    assert len(document["comments"]) == 5


def test_the_downloads_page_builds_links_for_the_chosen_region(member_client, theme, discussions):
    soup = soup_of(member_client.get(reverse("forum:exports"), {"region": CHESHIRE}))
    links = [a["href"] for a in soup.select("main a[download]")]
    assert len(links) == 4
    assert all(link.endswith(f"?region={CHESHIRE}") for link in links)
    assert soup.find("select", attrs={"name": "region"}).find("option", selected=True)["value"] == CHESHIRE
    assert "region_code" in soup.get_text()


def test_the_filtered_download_costs_the_same_whatever_the_size(
    member_client, theme, discussions, writers, django_assert_max_num_queries
):
    url = reverse("forum:export_all", args=["csv"])
    download(member_client, url, region=CHESHIRE)  # the first request also records the session
    for n in range(30):
        reply(discussions[0], writers[n % 3], f"Reply {n}")
    with django_assert_max_num_queries(5):  # the downloads' four, and the regions for the filter
        assert len(read_csv(download(member_client, url, region=CHESHIRE))) == 12


# Unknown regions --------------------------------------------------------------------------------


def filtered_pages(theme) -> list[str]:
    return [
        theme.get_absolute_url(),
        summary_url(theme),
        common_ground_url(theme),
        reverse("forum:exports"),
        reverse("forum:theme_export", args=[theme.slug, "csv"]),
        reverse("forum:export_all", args=["json"]),
    ]


@pytest.mark.parametrize("code", ["E54999999", "Cheshire", "E12000001"])
def test_an_unknown_region_gets_a_page_in_words_with_status_400_on_every_filtered_page(member_client, theme, code):
    for url in filtered_pages(theme):
        response = member_client.get(url, {"region": code})
        assert response.status_code == 400, url
        text = main_text(response)
        assert "This page cannot show these filters" in text, url
        assert f"Choose a region from the list: “{code.upper()}” is not a region we know." in text, url


def test_a_region_code_in_small_letters_is_the_same_region(client, theme, discussions):
    response = client.get(theme.get_absolute_url(), {"region": YORKSHIRE.lower()})
    assert listed_titles(response) == ["Yorkshire discharge"]


def test_a_region_no_longer_in_force_is_refused(client, theme, discussions):
    ended = Region.objects.exclude(valid_until=None).first()
    assert ended is not None and ended.valid_until < timezone.localdate()
    assert client.get(summary_url(theme), {"region": ended.code}).status_code == 400
