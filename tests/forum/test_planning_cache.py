"""The cached map: served from the cache, and every kind of change shows at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import versions
from forum.models import Comment, EntryKind
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.planning import services
from tests.forum.planning_support import post

pytestmark = pytest.mark.django_db
MAP = reverse("forum:map")


@pytest.fixture(autouse=True)
def _settled_at_once(monkeypatch):
    monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)


def get(client, url=MAP):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def test_anonymous_readers_get_the_map_from_the_cache_without_a_query(client, planner, stage, planning_theme):
    post(EntryKind.NEED, planner, stage, theme=planning_theme)
    first, _ = get(client)
    second, queries = get(client)

    assert (first["X-Forum-Cache"], second["X-Forum-Cache"], queries) == ("miss", "hit", 0)


def test_members_read_the_shared_map_with_a_constant_number_of_queries(client, planner, provider, stage,
                                                                       planning_theme):
    client.force_login(provider)
    post(EntryKind.NEED, planner, stage, theme=planning_theme)
    get(client)
    _response, few = get(client)
    for number in range(5):
        post(EntryKind.OFFER, provider, stage, theme=planning_theme, title=f"Offer {number}")
    get(client)
    _response, after_more = get(client)

    assert after_more == few


def test_a_new_need_a_link_and_we_see_this_too_show_at_once(client, planner, provider, third_member, stage,
                                                            planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme, title="Weekend theatre staff")
    get(client)
    get(client)

    services.see_too(entry=need, member=third_member)
    assert "Weekend theatre staff" in get(client)[0].content.decode()  # now among the needs most seen

    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    assert "0 needs, 1 offer" not in get(client)[0].content.decode()
    services.link(need=need, offer=offer, member=third_member)
    page = get(client)[0].content.decode()
    assert "1 need, 1 offer, 1 match" in page
    assert "Weekend theatre staff" not in page  # matched: no longer among the unmatched needs


def test_a_hidden_need_vanishes_from_the_cached_map_at_once(client, planner, third_member, stage, planning_theme,
                                                            django_user_model):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme, title="Something to redact")
    services.see_too(entry=need, member=third_member)
    assert "Something to redact" in get(client)[0].content.decode()
    get(client)
    moderator = django_user_model.objects.create_superuser("boss@example.org", "a-long-test-password-42")

    carry_out(comment_actions.Hide(Comment.objects.get(pk=need.opening_id), actor=moderator, reason="Personal data"))

    page = get(client)[0].content.decode()
    assert "Something to redact" not in page and "0 needs, 0 offers" in page
    assert client.get(need.get_absolute_url()).status_code == 404
