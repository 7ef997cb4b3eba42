"""Moderation's part of a member's data: the reports they made and the appeals they wrote, for
"download my data" and for erasing an account (called by forum.member_data).

Erasing keeps each report and appeal (what they led to is in the moderation log) but empties the
words the member wrote in them.
"""

from __future__ import annotations

from forum.models import Appeal, Flag
from forum.moderation.log import label

ERASED_WORDS = "[Removed when the member deleted their account]"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _reported_url(flag: Flag) -> str | None:
    if flag.comment_id:
        return flag.comment.get_absolute_url()
    return flag.thread.get_absolute_url() if flag.thread_id else None


def member_export(user) -> dict:
    """The member's reports (with what they wrote) and appeals, oldest first."""
    flags = Flag.objects.filter(flagger=user).select_related("comment", "thread").order_by("created_at", "pk")
    appeals = Appeal.objects.filter(member=user).select_related("log_entry").order_by("created_at", "pk")
    return {
        "reports": [
            {
                "about": _reported_url(flag),
                "reason": flag.get_reason_display(),
                "what_you_wrote": flag.detail or None,
                "status": flag.get_status_display(),
                "created_at": _iso(flag.created_at),
            }
            for flag in flags
        ],
        "appeals": [
            {
                "decision": label(appeal.log_entry),
                "what_you_wrote": appeal.text,
                "status": appeal.get_status_display(),
                "created_at": _iso(appeal.created_at),
                "decided_at": _iso(appeal.decided_at),
            }
            for appeal in appeals
        ],
    }


def member_erase(user) -> None:
    """Empty the words of the member's reports and appeals; the rows stay for the log's sake."""
    Flag.objects.filter(flagger=user).exclude(detail="").update(detail="")
    Appeal.objects.filter(member=user).update(text=ERASED_WORDS)
