"""A demo member with a full inbox, for the benchmark's notifications page (issue #20).

The seeded members hold a few dozen notifications each; a long-standing member of a busy forum
holds thousands, and that is where the notifications page has to stay fast. `ensure_busy_member`
makes one such member at @demo.invalid holding `count` notifications of the kinds the seeder
writes (replies, quotes, mentions, comments in watched discussions, common ground), spread over
the seeded discussions' comments, the newest few days' unread, as the seeder leaves them.
"""

from __future__ import annotations

import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import StakeholderGroup, User
from forum.demo.plan import DEMO_DOMAIN, UNREAD_DAYS
from forum.models import Comment, Notification, NotificationKind

BUSY_EMAIL = f"busy@{DEMO_DOMAIN}"
BUSY_NAME = "Bobbie Inbox"
NOTIFICATIONS = 10_000
# How often each kind turns up in a busy member's inbox: mostly the discussions they watch.
KIND_WEIGHTS = {
    NotificationKind.WATCHED_COMMENT: 60,
    NotificationKind.REPLY: 20,
    NotificationKind.MENTION: 8,
    NotificationKind.QUOTE: 7,
    NotificationKind.COMMON_GROUND: 5,
}
BATCH = 2_000


def ensure_busy_member(*, count: int = NOTIFICATIONS, seed: int = 20) -> tuple[User, int]:
    """The busy demo member and how many notifications they hold, created once: run again, it
    leaves a member who already holds `count` (or as many as the comments allow) as they are.
    Notifications are unique per comment and kind, so a small database gives fewer."""
    with transaction.atomic():
        member = _member()
        held = Notification.objects.filter(recipient=member).count()
        comments = list(
            Comment.objects.readable()
            .exclude(author=member)
            .order_by("pk")
            .values_list("pk", "thread_id", "thread__theme_id", "author_id", "created_at")
        )
        wanted = min(count, len(comments) * len(KIND_WEIGHTS))
        if held == wanted:
            return member, held
        Notification.objects.filter(recipient=member).delete()
        Notification.objects.bulk_create(_notifications(member, comments, wanted, seed), batch_size=BATCH)
    return member, wanted


def _member() -> User:
    member = User.objects.filter(email=BUSY_EMAIL).first()
    if member is None:
        member = User.objects.create_user(
            BUSY_EMAIL, password=None, display_name=BUSY_NAME, stakeholder_group=StakeholderGroup.NHS,
            organisation_name="Demo NHS trust", job_title="Service manager",
        )
        EmailAddress.objects.create(user=member, email=BUSY_EMAIL, verified=True, primary=True)
    return member


def _notifications(member: User, comments: list[tuple], wanted: int, seed: int) -> list[Notification]:
    rng = random.Random(seed)
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    now = timezone.now()
    unread_since = now - timedelta(days=UNREAD_DAYS)
    taken: set[tuple[int, str]] = set()
    made = []
    order = comments[:]
    rng.shuffle(order)
    while len(made) < wanted:
        for pk, thread_id, theme_id, author_id, created in order:
            if len(made) >= wanted:
                break
            kind = rng.choices(kinds, weights)[0]
            if (pk, kind) in taken:  # one per comment and kind, as the database insists
                kind = next((k for k in kinds if (pk, k) not in taken), None)
                if kind is None:
                    continue
            taken.add((pk, kind))
            when = min(now, created + timedelta(minutes=rng.randrange(1, 600)))
            made.append(
                Notification(
                    recipient=member, kind=kind, actor_id=None if kind == NotificationKind.COMMON_GROUND else author_id,
                    theme_id=theme_id, thread_id=thread_id, comment_id=pk, created_at=when,
                    read_at=None if when >= unread_since else when + timedelta(hours=2), emailed_at=when,
                )
            )
    return made
