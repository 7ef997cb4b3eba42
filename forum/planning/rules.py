"""Who may do what on the planning map. Each rule gives the sentence to show a person when the
answer is no (None means yes), like `forum.permissions`, whose rules it builds on."""

from __future__ import annotations

from forum import permissions
from forum.standing import is_moderator


def stage_refusal(stage) -> str | None:
    """Why a stage takes no new needs or offers (a facilitator archived it)."""
    if stage is not None and stage.is_archived:
        return f"The stage “{stage.title}” has been archived, so it takes no new needs or offers. Choose another stage."
    return None


def entry_refusal(user, stage=None) -> str | None:
    """Why this person may not place a need or an offer (on this stage)."""
    return permissions.participation_refusal(user) or stage_refusal(stage)


def see_refusal(user, entry, *, disagreeing: bool = False) -> str | None:
    """Why this person may not say "we see this too" (an agreement with the opening comment), or
    with `disagreeing`, "we do not see this" (a disagreement)."""
    if reason := permissions.participation_refusal(user):
        return reason
    if entry.opening.author_id == user.pk:
        what = "whether others see it" if disagreeing else "that you see it too"
        return f"You posted this {entry.get_kind_display().lower()}, so you cannot say {what}."
    if disagreeing:
        return permissions.disagree_refusal(user, entry.opening)
    return permissions.agree_refusal(user, entry.opening)


def can_see_too(user, entry) -> bool:
    return see_refusal(user, entry) is None


def link_refusal(user, need, offer) -> str | None:
    """Why this person may not link this offer to this need."""
    if reason := permissions.participation_refusal(user):
        return reason
    if need.kind == offer.kind:
        kind = need.get_kind_display().lower()
        return f"Both of these are {kind}s. Link an offer to a need: an offer that could help meet it."
    if need.kind != "need":
        return "Link an offer to a need: the first must be the need."
    for entry in (need, offer):
        what = f"The {entry.get_kind_display().lower()} “{entry.thread.title}”"
        if not permissions.can_see_thread(user, entry.thread) or not entry.thread.is_public:
            return f"{what} is not published, so it cannot be linked yet."
        if entry.opening.is_deleted or entry.opening.is_hidden:
            return f"{what} has been withdrawn, so it cannot be linked."
    return None


def can_link(user, need, offer) -> bool:
    return link_refusal(user, need, offer) is None


def unlink_refusal(user, map_link) -> str | None:
    """The member who made a link, or a moderator, may take it away."""
    if user is None or not user.is_authenticated:
        return "Sign in to change links between needs and offers."
    if map_link.linked_by_id != user.pk and not is_moderator(user):
        return "Only the member who linked these, or a moderator, can take the link away."
    return permissions.suspension_refusal(user)


def can_unlink(user, map_link) -> bool:
    return unlink_refusal(user, map_link) is None
