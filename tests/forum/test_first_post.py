"""A new member's first post: the form says a moderator reads it first, the member is told after
posting, and the pending discussion is there for its author (and nobody else) with that message."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from forum.models import Thread
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def premoderated(settings):
    settings.PREMODERATE_FIRST_COMMENTS = 1
    settings.MODERATION_USUAL_HOURS = 6


@pytest.mark.usefixtures("premoderated")
def test_a_new_members_first_discussion_is_explained_before_and_after_posting():
    newcomer, other = make_member("new@example.org", display_name="Nia Newcomer"), make_member("o@example.org")
    theme = make_theme()
    client = Client()
    client.force_login(newcomer)

    form_page = client.get(reverse("forum:start_thread", args=[theme.slug])).content.decode()
    assert "a moderator reads your first post before others can see it, usually within 6 hours" in form_page

    response = client.post(
        reverse("forum:start_thread", args=[theme.slug]),
        {"action": "post", "title": "Step-down beds", "body": "Who runs them near you?"},
        follow=True,
    )
    page = response.content.decode()
    assert "Your discussion is saved. A moderator reads it before others can see it, usually within 6 hours" in page
    assert "Only you and the moderators can see this discussion for now" in page

    thread = Thread.objects.get(title="Step-down beds")
    assert thread.needs_approval
    reader = Client()
    reader.force_login(other)
    assert reader.get(thread.get_absolute_url()).status_code == 404
    again = client.get(thread.get_absolute_url()).content.decode()
    assert "Your discussion is saved" not in again  # told once
    assert "Only you and the moderators can see this discussion for now" in again


@pytest.mark.usefixtures("premoderated")
def test_the_edit_form_says_nothing_about_first_posts(settings):
    member = make_member()
    theme = make_theme()
    client = Client()
    client.force_login(member)
    client.post(reverse("forum:start_thread", args=[theme.slug]),
                {"action": "post", "title": "Virtual wards", "body": "Do they help?"})
    comment = Thread.objects.get().comments.get()
    page = client.get(reverse("forum:comment_edit", args=[comment.pk])).content.decode()
    assert "New members: a moderator reads" not in page


def test_a_member_who_replies_does_not_see_their_own_comment_marked_new():
    member, other = make_member(), make_member("o@example.org", display_name="Olu Other")
    theme = make_theme()
    client = Client()
    client.force_login(member)
    client.post(reverse("forum:start_thread", args=[theme.slug]),
                {"action": "post", "title": "Falls clinics", "body": "Who runs one?"})
    thread = Thread.objects.get()
    talker = Client()
    talker.force_login(other)
    talker.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": "We do, weekly."})

    client.get(thread.get_absolute_url())  # reads Olu's reply
    client.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": "Thanks, noted."})
    assert "New since your last visit" not in client.get(thread.get_absolute_url()).content.decode()

    talker.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": "Any time."})
    assert "New since your last visit" in client.get(thread.get_absolute_url()).content.decode()
