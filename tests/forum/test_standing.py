"""A member's cached standing (moderator, facilitator, suspended) is never out of date for long:
every change that could alter it drops it, and suspensions are judged at the time of reading."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from config import versions
from forum import permissions, standing
from forum.models import Suspension, viewer
from forum.moderation import comments as comment_actions
from forum.moderation import members as member_actions
from forum.moderation.flow import carry_out
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def fresh(user) -> User:
    """The member as the next request sees them: a new object, then their standing loaded."""
    again = User.objects.get(pk=user.pk)
    standing.load(again)
    return again


def moderate_permission() -> Permission:
    return Permission.objects.get(codename="moderate_comment", content_type__app_label="forum")


def test_a_second_request_reads_the_standing_from_the_cache(member):
    fresh(member)
    again = User.objects.get(pk=member.pk)

    with CaptureQueriesContext(connection) as queries:
        standing.load(again)
        assert not standing.is_moderator(again)
        assert not permissions.can_respond_to_theme(again)
        assert not standing.is_suspended(again)

    assert len(queries) == 0


def test_joining_and_leaving_a_moderators_group_shows_at_once(member):
    group = Group.objects.create(name="Moderators for this test")
    group.permissions.add(moderate_permission())
    assert not standing.is_moderator(fresh(member))

    member.groups.add(group)
    assert standing.is_moderator(fresh(member))

    group.user_set.remove(member)  # from the group's side of the relation
    assert not standing.is_moderator(fresh(member))


def test_a_permission_given_to_a_group_reaches_its_members_at_once(member):
    group = Group.objects.create(name="Facilitators for this test")
    member.groups.add(group)
    assert not permissions.can_respond_to_theme(fresh(member))

    group.permissions.add(Permission.objects.get(codename="respond_to_theme", content_type__app_label="forum"))
    assert permissions.can_respond_to_theme(fresh(member))

    group.delete()
    assert not permissions.can_respond_to_theme(fresh(member))


def test_a_permission_given_to_the_member_directly_shows_at_once(member):
    fresh(member)
    member.user_permissions.add(moderate_permission())
    assert standing.is_moderator(fresh(member))


def test_suspending_and_lifting_show_at_once(member, moderator):
    assert permissions.can_participate(fresh(member))

    carry_out(member_actions.Suspend(member, actor=moderator, reason="Repeated abuse", days=3))
    suspended = fresh(member)
    assert not permissions.can_participate(suspended)
    assert standing.active_suspension(suspended).reason == "Repeated abuse"

    carry_out(member_actions.Unsuspend(member, actor=moderator))  # an UPDATE, no save signal
    assert permissions.can_participate(fresh(member))


def test_a_suspension_is_judged_at_the_time_it_is_read(member, moderator, monkeypatch):
    now = timezone.now()
    Suspension.objects.create(member=member, reason="Later", starts_at=now + timedelta(hours=1),
                              ends_at=now + timedelta(hours=2), suspended_by=moderator)
    assert not standing.is_suspended(fresh(member))

    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=90))
    assert standing.active_suspension(fresh(member)).reason == "Later"

    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(hours=3))
    assert not standing.is_suspended(fresh(member))


def test_the_suspension_in_force_is_chosen_as_the_database_would(member, moderator):
    now = timezone.now()
    make = lambda reason, ends: Suspension.objects.create(  # noqa: E731
        member=member, reason=reason, starts_at=now - timedelta(days=1), ends_at=ends, suspended_by=moderator
    )
    make("Ends soon", now + timedelta(days=1))
    make("Ends later", now + timedelta(days=5))
    make("No end", None)
    make("Ends latest", now + timedelta(days=9))

    from_cache = standing.active_suspension(fresh(member)).reason
    member_again = User.objects.get(pk=member.pk)
    from_database = standing.active_suspension(member_again).reason

    assert from_cache == from_database == "No end"


def test_deactivating_a_member_drops_their_standing(member):
    group = Group.objects.create(name="Moderators for this test")
    group.permissions.add(moderate_permission())
    member.groups.add(group)
    assert standing.is_moderator(fresh(member))

    member.is_active = False
    member.save()

    assert not standing.is_moderator(fresh(member))


def test_a_moderator_sees_hidden_comments_straight_after_being_made_one(client, member, thread, moderator):
    hidden = thread.comments.get(position=1)
    carry_out(comment_actions.Hide(hidden, actor=moderator, reason="Checking"))
    other = make_member("new-mod@example.org", display_name="New Mod")
    client.force_login(other)
    assert "Hidden from readers:" not in client.get(thread.get_absolute_url()).content.decode()

    group = Group.objects.create(name="Moderators for this test")
    group.permissions.add(moderate_permission())
    other.groups.add(group)

    assert "Hidden from readers:" in client.get(thread.get_absolute_url()).content.decode()


def test_confirming_or_removing_an_email_address_shows_at_once(member):
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.get(user=member)
    address.verified = False
    address.save()
    assert not permissions.can_participate(fresh(member))

    address.set_verified()
    assert permissions.can_participate(fresh(member))

    address.delete()
    assert not permissions.can_participate(fresh(member))


def test_an_unconfirmed_member_is_read_only_from_the_cache_too(member):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=member).update(verified=False)  # no signal: drop it by hand
    standing.forget(member.pk)
    fresh(member)
    again = User.objects.get(pk=member.pk)

    with CaptureQueriesContext(connection) as queries:
        standing.load(again)
        refusal = permissions.participation_refusal(again)

    assert len(queries) == 0
    assert refusal.startswith("Confirm your email address")


def test_without_a_shared_cache_nothing_is_kept(member, settings):
    settings.SHARED_CACHE = False
    again = User.objects.get(pk=member.pk)
    standing.load(again)

    assert viewer.known_moderator_status(again) is None  # asked inside the page's own query
    assert cache.get(standing._key(member.pk)) is None


def test_a_standing_read_just_before_a_change_commits_is_not_stored(member, moderator, monkeypatch):
    """A request that read the rows before a suspension committed must not store "not suspended"
    after it: for a few seconds after each drop, standings are used but not stored."""
    monkeypatch.setattr(versions, "DROP_SETTLE_SECONDS", 5)
    stale = User.objects.get(pk=member.pk)
    carry_out(member_actions.Suspend(member, actor=moderator, reason="Repeated abuse", days=3))
    cache.delete(standing._key(member.pk))  # as if the late request's miss came now
    old_rows = standing.Standing(generation=cache.get(standing.GENERATION) or "", is_moderator=False,
                                 can_respond=False, email_verified=True, suspensions=())
    monkeypatch.setattr(standing, "_look_up", lambda user, generation: old_rows)  # what it read before

    standing.load(stale)

    assert cache.get(standing._key(member.pk)) is None  # used, not stored
    monkeypatch.undo()
    assert not permissions.can_participate(fresh(member))  # the next request reads the suspension


def test_a_member_made_a_moderator_sees_the_review_queue_in_the_header_at_once(client, member):
    """The header asks the member's standing, which is dropped when their groups change (it once
    kept its own answer for a minute, which nothing cleared)."""
    client.force_login(member)
    assert "Review queue" not in client.get("/about/").content.decode()

    group = Group.objects.create(name="Moderators for this test")
    group.permissions.add(moderate_permission())
    member.groups.add(group)

    assert "Review queue" in client.get("/about/").content.decode()
    member.groups.remove(group)
    assert "Review queue" not in client.get("/about/").content.decode()
