"""Access helpers: one per model. 404 for what the reader may not see; 403 with a sentence for
what they may see but not change."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404

from articles.models import Paragraph
from forum import following, permissions, reliability, standing
from forum.models import Comment, Theme, ThemePassage, ThemeResponse, Thread


def get_theme(slug: str, user=None) -> Theme:
    """A theme with the passages it quotes (every theme is public, whatever its status), and how
    `user` follows it when given.

    Also annotated with `has_response` (whether a facilitator has responded) and, given the
    reader, whether they are suspended, so the page asks neither in a query of its own.
    """
    standing.load(user)
    passages = ThemePassage.objects.select_related("paragraph__section__article", "section__article").order_by(
        "position", "pk"
    )
    queryset = Theme.objects.prefetch_related(Prefetch("passages", queryset=passages)).annotate(
        has_response=Exists(ThemeResponse.objects.filter(theme=OuterRef("pk")))
    )
    track = user is not None and user.is_authenticated and not hasattr(user, "_forum_suspension")
    if track:
        queryset = queryset.annotate(viewer_is_suspended=permissions.suspension_exists(user))
    theme = get_object_or_404(following.with_theme_level(queryset, user), slug=slug)
    if track:
        permissions.remember_suspension_status(user, theme.viewer_is_suspended)
    return theme


def get_thread_for_reader(request, pk: int, *, with_draft: bool = False) -> Thread:
    """A thread the reader may see, with its theme, paragraph anchor and their read position
    (and, `with_draft`, their reply draft as `draft_body`, in the same query)."""
    standing.load(request.user)  # moderator, facilitator, suspended: from the cache
    queryset = (
        Thread.objects.visible_to(request.user)
        .select_related("theme", "anchor_paragraph__section__article")
        .with_read_state(request.user)
        .with_viewer_status(request.user)
    )
    if with_draft:
        queryset = reliability.with_thread_draft(queryset, request.user)
    thread = get_object_or_404(following.with_follow_levels(queryset, request.user), pk=pk)
    if hasattr(thread, "viewer_is_moderator"):
        permissions.remember_moderator_status(request.user, thread.viewer_is_moderator)
    if hasattr(thread, "viewer_is_suspended"):
        permissions.remember_suspension_status(request.user, thread.viewer_is_suspended)
    return thread


def get_comment_for_reader(request, pk: int) -> Comment:
    queryset = Comment.objects.visible_to(request.user).select_related("thread__theme")
    comment = get_object_or_404(queryset, pk=pk)
    if not permissions.can_see_thread(request.user, comment.thread):
        raise Http404("No such comment.")
    return comment


def get_comment_for_edit(request, pk: int, *, check_rules: bool) -> Comment:
    """The reader's own comment. With `check_rules`, refuse (403) when it may not be edited now;
    a submitted form checks the rules itself so a stale form keeps the typed text."""
    comment = get_comment_for_reader(request, pk)
    if comment.author_id != request.user.pk:
        raise PermissionDenied("You can only edit your own comments.")
    if check_rules and (reason := permissions.edit_refusal(request.user, comment)):
        raise PermissionDenied(reason)
    return comment


def get_comment_for_delete(request, pk: int) -> Comment:
    comment = get_comment_for_reader(request, pk)
    if reason := permissions.delete_refusal(request.user, comment):
        raise PermissionDenied(reason)
    return comment


def get_paragraph(key: str) -> Paragraph:
    return get_object_or_404(Paragraph.objects.select_related("section__article"), key=key)
