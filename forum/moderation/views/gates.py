"""Who may open the moderators' and facilitators' pages, and what every action page shares."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.permissions import second_factor_response
from forum.moderation import rules
from forum.moderation.flow import ModerationError
from forum.permissions import can_respond_to_theme


def _staff_gate(check, refusal: str):
    def decorator(view_func):
        @wraps(view_func)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(refusal)
            if asked := second_factor_response(request):
                return asked
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator


moderator_required = _staff_gate(rules.can_moderate, "Only moderators can open this page.")
facilitator_required = _staff_gate(can_respond_to_theme, "Only facilitators can post the official response to a theme.")
commitment_steward_required = _staff_gate(can_respond_to_theme, "Only facilitators can update a commitment.")
theme_steward_required = _staff_gate(
    rules.can_change_theme_status, "Only moderators and facilitators can change a theme’s status."
)


def posted(request):
    """The submitted data for a POST (bound even when empty, so required fields are reported),
    None for a GET."""
    return request.POST if request.method == "POST" else None


def run(form, call) -> bool:
    """Call a service; a ModerationError becomes a form error. Returns True when it worked."""
    try:
        call()
    except ModerationError as error:
        form.add_error(None, str(error))
        return False
    return True


@dataclass(frozen=True)
class ActionSpec:
    """What an action page says: its title, button, and the reason box."""

    title: str
    button: str
    reason_required: bool
    reason_label: str = "Reason"
    reason_help: str = ""
    warning: bool = False
    explanation: str = ""


def form_page(request, template: str, *, form, action_url: str, back_url: str, back_label: str, **context):
    """A page with one form, on forum/moderation/form_page.html: where it posts and where Back and
    Cancel go (`back_label` finishes "Back…" for screen readers)."""
    return render(request, template, {**context, "form": form, "action_url": action_url, "back_url": back_url,
                                      "back_label": back_label})
