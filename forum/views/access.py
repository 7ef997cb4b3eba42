"""Access helpers: one per model. 404 for what the reader may not see; 403 with a sentence for
what they may see but not change."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404

from articles.models import Paragraph
from forum import permissions, standing
from forum.cache.reader_state import thread_and_state
from forum.cache.rows import shared_theme
from forum.cache.shells import plain_request
from forum.cache.thread_pages import page_key, page_name
from forum.following.levels import theme_level_of, with_follow_levels
from forum.models import Comment, Theme, ThemePassage, ThemeResponse, Thread
from forum.models.viewer import remember_moderator_status, remember_suspension_status
from forum.posting.drafts import thread_context, with_thread_draft


def get_theme(slug: str, user=None, *, with_follow_level: bool = True, ahead=None) -> Theme:
    """A theme with the passages it quotes (every theme is public, whatever its status), and how
    `user` follows it when given.

    Also annotated with `has_response` (whether a facilitator has responded). Given a signed-in
    reader, the theme comes from the cache (`rows.shared_theme`) and, `with_follow_level`,
    their follow level from one small query; their standing (suspended or not) from `standing`.
    `ahead`: the row as read already with the rest of the page (`theme_pages.read_ahead`).
    """
    standing.load(user)
    if user is None or not user.is_authenticated:
        return get_object_or_404(_themes_with_passages(), slug=slug)
    theme = shared_theme(slug, lambda: _themes_with_passages().filter(slug=slug).first(), ahead=ahead)
    if theme is None:
        raise Http404("No such theme.")
    if with_follow_level:
        theme.follow_level = theme_level_of(user, theme)
    return theme


def _themes_with_passages():
    """Themes with the passages they quote and whether a facilitator has responded (built only
    when the database is asked: a signed-in reader's theme usually comes from the cache)."""
    passages = ThemePassage.objects.select_related("paragraph__section__article", "section__article").order_by(
        "position", "pk"
    )
    return Theme.objects.prefetch_related(Prefetch("passages", queryset=passages)).annotate(
        has_response=Exists(ThemeResponse.objects.filter(theme=OuterRef("pk")))
    )


def get_thread_for_reader(request, pk: int, *, with_draft: bool = False, page: int | None = None) -> Thread:
    """A thread the reader may see, with its theme, paragraph anchor and their read position
    (and, `with_draft`, their reply draft as `draft_body`, in the same query; given the `page`
    too, their votes on its comments as `page_votes`)."""
    standing.load(request.user)  # moderator, facilitator, suspended: from the cache
    if with_draft and request.user.is_authenticated:
        return _thread_page_thread(request, pk, page)
    queryset = (
        Thread.objects.visible_to(request.user)
        .select_related("theme", "anchor_paragraph__section__article", "map_entry")
        .with_read_state(request.user)
        .with_viewer_status(request.user)
    )
    if with_draft:
        queryset = with_thread_draft(queryset, request.user)
    thread = get_object_or_404(with_follow_levels(queryset, request.user), pk=pk)
    if hasattr(thread, "viewer_is_moderator"):
        remember_moderator_status(request.user, thread.viewer_is_moderator)
    if hasattr(thread, "viewer_is_suspended"):
        remember_suspension_status(request.user, thread.viewer_is_suspended)
    return thread


def _thread_page_thread(request, pk: int, page: int | None) -> Thread:
    """The thread page's thread for a signed-in reader: the row as everyone sees it, the reader's
    own state and the page as stored for readers of their kind, kept in the cache and fetched
    together (`cache.reader_state`), or their state from one small query when it is not kept.
    For `ThreadPage`: the stored page as `stored_page`, its name as `page_name`, the kept state as
    `kept_state`. Changes to the thread go through `get_thread_for_reader` without a draft, which
    always reads the database."""
    user = request.user
    name = page_name(user, pk, page, settings.COMMENTS_PER_PAGE) if page and plain_request(request) else None
    thread, kept, stored_page = thread_and_state(pk, user.pk, page, also=page_key(name) if name else None)
    if thread is None or not permissions.can_see_thread(user, thread):
        raise Http404("No such discussion.")
    if isinstance(kept.value, dict):
        state, votes = kept.value["state"], kept.value["votes"]
    else:
        state, votes = _reader_state(user, thread, page)
        kept.value = {"state": state, "votes": votes}
        if state[1] is None:  # a draft's text is never kept in the cache
            kept.keep(kept.value)
    thread.kept_state = kept if state[1] is None else None  # ThreadPage adds their comments and parts
    thread.last_read_position, thread.draft_body, thread.follow_thread_level, thread.follow_theme_level = state
    if page is not None:
        thread.page_votes = votes
    thread.stored_page, thread.page_name = stored_page, name
    return thread


# Four lookups by unique index in one statement (the tables of ThreadReadState, Draft, ThreadFollow
# and ThemeFollow), and the reader's votes on one page's comments by the (thread, position) and
# (comment, member) unique indexes, one row each after the first.
_READER_STATE_SQL = (
    "SELECT 0, (SELECT last_read_position FROM forum_threadreadstate WHERE thread_id = %s AND user_id = %s),"
    " (SELECT body FROM forum_draft WHERE user_id = %s AND context = %s),"
    " (SELECT level FROM forum_threadfollow WHERE thread_id = %s AND user_id = %s),"
    " (SELECT level FROM forum_themefollow WHERE theme_id = %s AND user_id = %s)"
)
_PAGE_VOTES_SQL = (
    " UNION ALL SELECT a.comment_id, a.vote, NULL, NULL, NULL FROM forum_comment c"
    " JOIN forum_agreement a ON a.comment_id = c.id AND a.member_id = %s"
    " WHERE c.thread_id = %s AND c.position >= %s AND c.position < %s"
)


def _reader_state(user, thread, page: int | None) -> tuple[tuple, dict[int, int]]:
    """(last read position or 0, reply draft or None, thread follow level, theme follow level),
    and the reader's votes on the comments of `page` (when given) by comment id. Written in SQL
    because the ORM spends longer building this than PostgreSQL spends answering it, on every
    signed-in visit to a thread."""
    sql = _READER_STATE_SQL
    params = [thread.pk, user.pk, user.pk, thread_context(thread), thread.pk, user.pk, thread.theme_id, user.pk]
    if page is not None:
        first = (page - 1) * settings.COMMENTS_PER_PAGE + 1
        sql += _PAGE_VOTES_SQL
        params += [user.pk, thread.pk, first, first + settings.COMMENTS_PER_PAGE]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    state = next(row for row in rows if row[0] == 0)
    _zero, last_read, draft, thread_level, theme_level = state
    votes = {row[0]: row[1] for row in rows if row[0] != 0}
    return (last_read or 0, draft, thread_level, theme_level), votes


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
