"""A thread's pages, and replying to it."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from forum import events, permissions
from forum.agreement.services import with_agreement_of
from forum.cache import fragments, rows
from forum.cache.pages import AnonymousPage
from forum.cache.thread_pages import ThreadPage
from forum.cache.versions import thread_key
from forum.models import Comment, Draft
from forum.posting import drafts, quoting
from forum.posting.forms import CommentForm
from forum.reading import mark_thread_read
from forum.views.access import get_thread_for_reader
from forum.views.common import page_number, pagination_items
from forum.views.compose import compose


def _initial_reply(request, thread) -> tuple[dict, Comment | None]:
    """Form values for the Reply (?reply_to=) and Quote (?quote=) links, when they can be used."""
    quote_id = request.GET.get("quote", "")
    reply_id = request.GET.get("reply_to", "")
    target_id = quote_id or reply_id
    if not target_id.isdigit():
        return {}, None
    target = (
        Comment.objects.visible_to(request.user).filter(thread=thread, pk=int(target_id)).first()
    )
    if target is None:
        return {}, None
    target.thread = thread
    if not permissions.can_reply(request.user, target):
        return {}, None
    initial = {"parent": target.pk}
    if quote_id:
        initial["quoted_comment"] = target.pk
        # The words the member selected (quote.js), when they are the comment's; else all of it.
        part = quoting.quoted_part(target, request.GET.get("part", ""))
        initial["body"] = quoting.quote_as_markdown(target, passage=part)
    return initial, target


def _render_thread(request, thread, page: int, form: CommentForm, *, preview=None, reply_target=None, status=200,
                   restored=None):
    per_page = settings.COMMENTS_PER_PAGE
    last_read = getattr(thread, "last_read_position", None)
    first_unread_id = None
    # Signed-in readers of a plain page: the comments as stored for the last reader, when they
    # are the same for this one (fragments.Listing); otherwise read and assembled as below.
    plain = reply_target is None and not form.is_bound and not form["parent"].value() and preview is None
    listing = fragments.Listing(request, thread, page, per_page) if plain and request.user.is_authenticated else None
    if listing is not None and (stored := listing.html()) is not None:
        comments, comments_html = stored
    else:
        comments = list(
            with_agreement_of(thread.comments.listed_for(request.user), request.user)  # for Agree / Withdraw
            .on_page(thread, page, per_page)
            .select_related("author", "parent")
        )
        if last_read:
            first_unread_id = next((c.pk for c in comments if c.position > last_read), None)
        if reply_target is None and form["parent"].value():
            parent_id = str(form["parent"].value())
            reply_target = next((c for c in comments if str(c.pk) == parent_id), None) or form.parent_comment
        # Signed-in readers: each comment's HTML from the cache where it is the same for others.
        comments_html = fragments.comment_list_html(request, thread, comments, first_unread_id, listing)
    context = _context(request, thread, page, form, comments, comments_html)
    context.update({
        "first_unread_id": first_unread_id,
        "preview_html": preview,
        "reply_target": reply_target,
        "restored": restored,
    })
    if restored:
        context["blank_form_html"] = None
    return render(request, "forum/thread_detail.html", context, status=status)


def _shared_page(request, thread, page: int):
    """The whole page as stored for readers of this one's kind, when nothing on it is theirs
    alone (forum.cache.thread_pages), or None."""
    shared = ThreadPage(request, thread, page, settings.COMMENTS_PER_PAGE, read=getattr(thread, "stored_page", None))
    if not shared.usable:
        return None

    def page_html(comments, comments_html) -> tuple[str, str]:
        """The page with the reader's own parts left as marks, and its form's one-time key."""
        form = CommentForm(user=request.user, thread=thread)
        context = {**_context(request, thread, page, form, comments, comments_html), "shell_marks": True}
        html = render(request, "forum/thread_detail.html", context).content.decode()
        return html, str(form["submission_key"].value())

    return shared.response(page_html)


def _context(request, thread, page: int, form, comments, comments_html) -> dict:
    num_pages = thread.num_pages
    refusal = permissions.comment_refusal(request.user, thread)
    last_read = getattr(thread, "last_read_position", None)
    return {
        "thread": thread,
        "theme": thread.theme,
        "comments": comments,
        "comments_html": comments_html,
        "page": page,
        "num_pages": num_pages,
        "pagination": pagination_items(page, num_pages, thread.get_page_url) if num_pages > 1 else [],
        "previous_url": thread.get_page_url(page - 1) if page > 1 else None,
        "next_url": thread.get_page_url(page + 1) if page < num_pages else None,
        "first_unread_id": None,
        "first_unread_url": thread.first_unread_url(last_read) if last_read else None,
        "form": form,
        "preview_html": None,
        "reply_target": None,
        "comment_refusal": refusal,
        "blank_form_html": None if refusal else rows.blank_form_html(request, form),
        "draft_context": drafts.thread_context(thread) if request.user.is_authenticated else "",
        "restored": None,
    }


def _with_draft(request, thread, initial: dict) -> tuple[dict, drafts.Restored]:
    """Start the reply box from the member's draft (or text kept over a sign-in); a quote the
    member asked for goes after it, so neither is lost."""
    draft_body = getattr(thread, "draft_body", None)
    known = Draft(body=draft_body) if draft_body is not None else None
    restored = drafts.restore(request, drafts.thread_context(thread), draft=known, look_up=False)
    if restored:
        quote = initial.get("body", "")
        body = restored.body
        if quote and quote.strip() not in body:
            body = f"{body.rstrip()}\n\n{quote}"
        initial = {**initial, "body": body}
    return initial, restored


@require_GET
def thread_detail(request, pk: int, slug: str):
    cached = AnonymousPage(request, thread_key(pk))  # anonymous readers: whole page
    page = page_number(request)
    thread = get_thread_for_reader(request, pk, with_draft=True, page=page)
    if slug != thread.slug:
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(thread.get_absolute_url() + query, permanent=True)
    if page > thread.num_pages:
        raise Http404("No such page.")
    initial, reply_target = _initial_reply(request, thread)
    initial, restored = _with_draft(request, thread, initial)
    response = None
    if request.user.is_authenticated:
        events.page_read.send(reader=request.user, thread=thread, page=page)  # before the header counts
        if not initial and not restored:
            response = _shared_page(request, thread, page)
    if response is None:
        form = CommentForm(initial=initial, user=request.user, thread=thread)
        response = _render_thread(request, thread, page, form, reply_target=reply_target, restored=restored)
    last_on_page = min(page * settings.COMMENTS_PER_PAGE, thread.last_position)
    mark_thread_read(user=request.user, thread=thread, position=last_on_page)
    return cached.keep(response)


def _read_up_to(user, thread, comment):
    """A member who had read everything before their new comment has read it too, so it is not
    marked "New since your last visit" for them."""
    if (getattr(thread, "last_read_position", 0) or 0) >= comment.position - 1:
        mark_thread_read(user=user, thread=thread, position=comment.position)
    return comment


@require_POST
def reply(request, pk: int):
    thread = get_thread_for_reader(request, pk)
    composing = compose(
        request,
        context=drafts.thread_context(thread),
        make_form=lambda data, initial: CommentForm(data, user=request.user, thread=thread),
        create=lambda form: _read_up_to(request.user, thread, form.save()),
        done=lambda comment: redirect(comment.get_thread_url() if comment else thread),  # a repeat lands on the same
        next_url=thread.get_absolute_url(),
    )
    if composing.response is not None:
        return composing.response
    return _render_thread(request, thread, thread.num_pages, composing.form, preview=composing.preview_html)
