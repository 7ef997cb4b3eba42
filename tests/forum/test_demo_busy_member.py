"""forum.demo.busy: the benchmark's member with a full inbox (issue #20), made once."""

from __future__ import annotations

import pytest

from forum.demo.busy import BUSY_EMAIL, KIND_WEIGHTS, ensure_busy_member
from forum.demo.plan import is_demo_address
from forum.models import Notification
from tests.forum.conftest import seed_a_little

pytestmark = pytest.mark.django_db


def test_the_busy_member_holds_notifications_of_several_kinds_over_several_threads(source):
    seed_a_little()
    member, held = ensure_busy_member(count=300)
    assert held == 300
    assert is_demo_address(member.email) and member.email == BUSY_EMAIL
    notifications = Notification.objects.filter(recipient=member)
    assert notifications.count() == 300
    assert set(notifications.values_list("kind", flat=True)) == set(KIND_WEIGHTS)
    assert notifications.values("thread").distinct().count() > 1
    assert notifications.filter(read_at__isnull=True).count() < 300  # older ones were read, as the seeder leaves them


def test_making_the_busy_member_again_keeps_what_they_hold(source):
    seed_a_little()
    member, _held = ensure_busy_member(count=200)
    first = set(Notification.objects.filter(recipient=member).values_list("pk", flat=True))
    again, held = ensure_busy_member(count=200)
    assert again == member and held == 200
    assert set(Notification.objects.filter(recipient=member).values_list("pk", flat=True)) == first


def test_a_small_database_gives_as_many_as_its_comments_allow(source):
    seed_a_little()
    _member, held = ensure_busy_member(count=10_000_000)
    assert 0 < held < 10_000_000
    assert Notification.objects.filter(recipient=_member).count() == held
