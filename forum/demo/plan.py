"""How much demo data to make, and telling demo members from real ones."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from accounts.models import User
from forum.demo import content

DEMO_DOMAIN = "demo.invalid"
DEMO_NOTE = "Demo data made by manage.py seed_demo; removed by seed_demo --replace."
COMMENTS_PER_SCALE = 10_000
THREADS_PER_SCALE = 400
MEMBERS_PER_SCALE = 500
HOT_MINIMUM = 5_000
WINDOW_DAYS = 180
TEMPLATE_COUNT = 64
BATCH_SIZE = 20_000
# Enough distinct texts to cover the templates and their common variants; rarer texts (quotes of
# one member by another) have their search vector computed with their batch and not kept.
VECTOR_CACHE_LIMIT = 20_000
# Stands for a member's name in a template until the name is known.
TOKEN = '@"MENTIONTOKEN"'  # noqa: S105 - not a password

# Weights, in hundredths unless said otherwise.
STANCES = [("", 55), ("support", 15), ("concern", 12), ("question", 10), ("evidence", 8)]
AGREE_COUNTS = [(0, 52), (1, 20), (2, 10), (3, 7), (4, 4), (5, 3), (8, 2), (14, 1), (25, 1)]
REPLY_SHARE = 0.30
QUOTE_SHARE = 0.04
MENTION_SHARE = 0.05
HIDDEN_SHARE = 0.004
DELETED_SHARE = 0.003
PENDING_SHARE = 0.001
EDITED_SHARE = 0.02
STAFF_SHARE = 0.003
REGULAR_SHARE = 0.35
ANCHORED_SHARE = 0.25
WATCH_NOTICE_DAYS = 14
UNREAD_DAYS = 3



class DemoError(Exception):
    """Seeding cannot go ahead; the message says why and what to do."""


def is_demo_address(email: str) -> bool:
    return email.lower().endswith("@" + DEMO_DOMAIN)


def real_members():
    """Accounts that are not demo members: their presence means the database is not a demo."""
    return User.objects.exclude(email__iendswith="@" + DEMO_DOMAIN)


def demo_members():
    return User.objects.filter(email__iendswith="@" + DEMO_DOMAIN)


@dataclass(frozen=True)
class Plan:
    """How much to make. Sizes grow linearly with `scale`; the hot thread has at least 5,000."""

    scale: float
    seed: int
    until: datetime
    members: int
    threads: int
    comments: int
    hot_comments: int

    @classmethod
    def build(cls, scale: float, *, seed: int = 1, until: date | None = None, hot_comments: int | None = None):
        if scale <= 0:
            raise DemoError("--scale must be more than 0.")
        comments = round(COMMENTS_PER_SCALE * scale)
        threads = max(2 * len(content.TITLES) // 3, round(THREADS_PER_SCALE * scale))
        members = max(40, round(MEMBERS_PER_SCALE * scale))
        hot = hot_comments if hot_comments is not None else max(HOT_MINIMUM, comments // 20)
        if hot < 1:
            raise DemoError("--hot-comments must be at least 1.")
        # Every other thread has at least its opening comment.
        comments = max(comments, hot + threads - 1)
        day = until or datetime.now(UTC).date()
        return cls(
            scale=scale,
            seed=seed,
            until=datetime.combine(day, time.min, tzinfo=UTC),
            members=members,
            threads=threads,
            comments=comments,
            hot_comments=hot,
        )



def cumulative(values: Iterable[float]):
    total = 0.0
    for value in values:
        total += value
        yield total


def weighted(rng: random.Random, values: list, cumulative: list[float]):
    return rng.choices(values, cum_weights=cumulative)[0]




def scale_label(plan: Plan) -> str:
    return (
        f"scale {plan.scale:g}: about {plan.members:,} members, {plan.threads:,} discussions, "
        f"{plan.comments:,} comments (the hot discussion {plan.hot_comments:,})"
    )
