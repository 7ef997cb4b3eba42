"""Look-alike display names: a name may not mix alphabets (a Cyrillic "о" among Latin letters),
names already saved that do are listed for moderators, and their owners choose again at sign-in."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.models import User
from tests.accounts.helpers import PASSWORD
from tests.accounts.test_bad_input import errors, field_value, newcomer_client, profile_data  # noqa: F401
from tests.conftest import make_member
from tests.forum.moderation_support import client_for, make_moderator

pytestmark = pytest.mark.django_db

CYRILLIC_O = "\u043e"
CYRILLIC_A = "\u0430"


@pytest.mark.parametrize("name", [f"M{CYRILLIC_O}derator", f"Priya Sh{CYRILLIC_A}h"])
def test_a_name_mixing_alphabets_is_refused_with_the_reason_and_kept_in_the_box(newcomer_client, name):  # noqa: F811
    make_member("priya@example.org", display_name="Priya Shah")

    response = newcomer_client.post(reverse("accounts:onboarding"), profile_data(display_name=name))

    assert response.status_code == 400
    assert errors(response)[0].startswith("Use the letters of one alphabet in your display name. This one mixes "
                                          "Cyrillic and Latin letters")
    assert field_value(response, "display_name") == name
    assert User.objects.get(email="new@example.org").display_name == ""


@pytest.mark.parametrize("name", ["Олена Коваль", "山田 たろう", "José Núñez", "김민준 Kim", "Siobhán O'Neill-2"])
def test_names_in_one_alphabet_or_written_together_are_accepted(newcomer_client, name):  # noqa: F811
    response = newcomer_client.post(reverse("accounts:onboarding"), profile_data(display_name=name))

    assert response.status_code == 302
    assert User.objects.get(email="new@example.org").display_name == name


@pytest.fixture
def look_alike(db):
    """A member whose mixed-alphabet name was saved before the rule."""
    return make_member("lookalike@example.org", display_name=f"Priya Sh{CYRILLIC_A}h")


def test_a_member_with_such_a_name_is_asked_to_choose_again_at_sign_in(client, look_alike):
    response = client.post(reverse("account_login"), {"login": look_alike.email, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:edit_profile")
    page = BeautifulSoup(response.content, "html.parser").get_text(" ", strip=True)
    assert "Please choose your display name again" in page
    assert User.objects.get(pk=look_alike.pk).display_name == f"Priya Sh{CYRILLIC_A}h"  # not renamed silently


def test_moderators_see_the_names_to_check(look_alike):
    make_member("priya@example.org", display_name="Priya Shah")

    page = client_for(make_moderator()).get(reverse("forum:moderation_names")).content.decode()

    assert f"Priya Sh{CYRILLIC_A}h" in page and "Cyrillic, Latin" in page
    assert reverse("forum:moderation_member", args=[look_alike.pk]) in page
    assert page.count("moderation record") == 1


def test_members_cannot_see_the_names_to_check(look_alike):
    assert client_for(make_member("other@example.org", display_name="Other Member")).get(
        reverse("forum:moderation_names")).status_code == 403
