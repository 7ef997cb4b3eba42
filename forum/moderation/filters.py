"""The moderators' word and pattern filters: adding, changing and removing them (each logged).
Applying them to a post is `forum.posting.filters`."""

from __future__ import annotations

from django.db import transaction

from forum.models import WordFilter
from forum.moderation.log import Action, log_action
from forum.posting import filters


@transaction.atomic
def add_filter(
    *, moderator, pattern: str, action: str, is_regex: bool = False, replacement: str = "", message: str = ""
) -> WordFilter:
    word_filter = WordFilter.objects.create(
        pattern=pattern, is_regex=is_regex, action=action, replacement=replacement, message=message,
        created_by=moderator,
    )
    filter_saved(word_filter=word_filter, moderator=moderator, created=True)
    return word_filter


@transaction.atomic
def filter_saved(*, word_filter: WordFilter, moderator, created: bool) -> None:
    """A filter was saved (here, or in the admin): log it and apply it at once."""
    action = Action.FILTER_ADD if created else Action.FILTER_CHANGE
    log_action(actor=moderator, action=action, target=word_filter, reason=word_filter.get_action_display())
    filters.forget()


@transaction.atomic
def delete_filter(*, word_filter: WordFilter, moderator) -> None:
    log_action(actor=moderator, action=Action.FILTER_DELETE, target=word_filter)
    word_filter.delete()
    filters.forget()
