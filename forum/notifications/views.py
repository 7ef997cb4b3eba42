"""Notifications in the app, email preferences, and unsubscribing from a link in an email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forum.models import Notification, NotificationKind, NotificationPreference
from forum.notifications import emails, inbox, listing
from forum.notifications import unsubscribe as unsubscribing
from forum.notifications.forms import NotificationPreferenceForm


@login_required
@require_GET
def notification_list(request):
    """The member's notifications, newest first, those about one discussion grouped together."""

    def page_html(page, groups_html, marks: bool) -> str:
        context = {"page_obj": page, "groups_html": groups_html, "unread": inbox.unread_count(request.user),
                   "shell_marks": marks}
        return render_to_string("forum/notifications/list.html", context, request)

    return listing.page_response(request, page_html)


@login_required
@require_GET
def notification_open(request, pk: int):
    """Follow a notification's link. Marking it read is idempotent and only touches the reader's
    own row, which is why a GET may do it."""
    notification = get_object_or_404(
        Notification.objects.select_related("comment", "thread", "theme"), pk=pk, recipient=request.user
    )
    inbox.mark_read(request.user, notification.pk)
    return redirect(emails.target_url(notification))


@login_required
@require_POST
def notification_read(request, pk: int):
    get_object_or_404(Notification, pk=pk, recipient=request.user)
    inbox.mark_read(request.user, pk)
    messages.success(request, "Notification marked as read.")
    return redirect("forum:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = inbox.mark_all_read(request.user)
    messages.success(
        request, f"{count} notification{'s' if count != 1 else ''} marked as read." if count else "Nothing was unread."
    )
    return redirect("forum:notifications")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    preference = emails.preference_for(request.user)
    initial = {
        "email_frequency": preference.email_frequency,
        "email_kinds": preference.email_kinds or list(NotificationKind.values),
    }
    form = NotificationPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        kinds = form.cleaned_data["email_kinds"]
        NotificationPreference.objects.update_or_create(
            user=request.user,
            defaults={
                "email_frequency": form.cleaned_data["email_frequency"],
                # Every kind ticked is stored as "all", so kinds added later are included too.
                "email_kinds": [] if set(kinds) >= set(NotificationKind.values) or not kinds else kinds,
            },
        )
        messages.success(request, "Your email settings have been saved.")
        return redirect("forum:notification_settings")
    return render(request, "forum/notifications/settings.html", {"form": form})


def _token_problem(request, exc: Exception, status: int = 400):
    expired = isinstance(exc, signing.SignatureExpired)
    return render(request, "forum/notifications/unsubscribe_invalid.html", {"expired": expired}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """Unfollow a thread or theme, or stop all emails, from a signed link in an email.

    Works without signing in: the signed token is the authority. A GET only asks for
    confirmation (mail scanners follow links); the POST acts. It is exempt from CSRF checks so
    mail programs can send RFC 8058's one-click POST without a session; a forged POST gains
    nothing without a valid token, and acting twice changes nothing.
    """
    try:
        data = unsubscribing.read_unsubscribe_token(token)
    except signing.BadSignature as exc:
        return _token_problem(request, exc)
    described = unsubscribing.describe_unsubscribe(data)
    if described is None:
        return render(request, "forum/notifications/unsubscribe_invalid.html", {"gone": True}, status=404)
    if request.method == "POST":
        unsubscribing.apply_unsubscribe(data)
        return render(request, "forum/notifications/unsubscribe_done.html", {"described": described})
    return render(request, "forum/notifications/unsubscribe_confirm.html", {"described": described, "token": token})
