"""Every URL in the URLconf, requested by every kind of visitor, answers as the rules say.

The roles: an anonymous visitor; a member whose email address is not confirmed; a member; the
author of the discussion and comment the URLs point at; a suspended member; a moderator and an
administrator (both with two-factor authentication, as the site requires of them).

`MATRIX` gives, for each named URL, the requests to make and the status each role must get.
Write views are sent a valid form, so 302 means the change was made and anything else that it was
refused. `test_every_url_has_an_entry` walks the resolver: a new view without an entry here (or
a rule below, for the Django admin and allauth's own pages) fails it.

Each role's request runs in a transaction that is rolled back, so one role's change cannot
affect the next role's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from forum import models
from forum.agreement import services as agreements
from forum.models import EntryKind, FlagReason, Notification, NotificationKind, WordFilter
from forum.moderation import appeals, reports
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.planning import services as planning
from forum.posting import drafts, services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply
from tests.forum.moderation_support import give_totp, make_admin, make_moderator, suspend
from tests.forum.planning_support import make_stage
from tests.forum.planning_support import post as planned

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "unverified", "member", "author", "suspended", "moderator", "admin")


def statuses(anonymous, unverified, member, author, suspended, moderator, admin) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, unverified, member, author, suspended, moderator, admin), strict=True))


def everyone(status) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


# Shorthands for the common shapes.
PUBLIC = everyone(200)
SIGNED_IN = statuses(302, 200, 200, 200, 200, 200, 200)
MODERATORS = statuses(302, 403, 403, 403, 403, 200, 200)
MODERATORS_ACT = statuses(302, 403, 403, 403, 403, 302, 302)
# No role here is a facilitator; the administrator (a superuser) may do what facilitators do.
FACILITATORS = statuses(302, 403, 403, 403, 403, 403, 200)
FACILITATORS_ACT = statuses(302, 403, 403, 403, 403, 403, 302)
GET_NOT_ALLOWED = everyone(405)
GET_NOT_ALLOWED_SIGN_IN_FIRST = statuses(302, 405, 405, 405, 405, 405, 405)


@dataclass(frozen=True)
class Check:
    method: str
    expected: dict[str, int]
    data: Callable | dict = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    kwargs: Callable
    checks: tuple[Check, ...]


def get(expected) -> Check:
    return Check("GET", expected)


def post(expected, data=None) -> Check:
    return Check("POST", expected, data or {})


def no_args(world) -> dict:
    return {}


def comment_args(world) -> dict:
    return {"pk": world.comment.pk}


def thread_args(world) -> dict:
    return {"pk": world.thread.pk}


def theme_args(world) -> dict:
    return {"slug": world.theme.slug}


REASON = {"reason": "Checked by the permission matrix."}

MATRIX: dict[str, Entry] = {
    # Site pages ------------------------------------------------------------------------------
    "home": Entry(no_args, (get(PUBLIC),)),
    "about": Entry(no_args, (get(PUBLIC),)),
    "privacy": Entry(no_args, (get(PUBLIC),)),
    "accessibility": Entry(no_args, (get(PUBLIC),)),
    "contact": Entry(no_args, (get(PUBLIC),)),
    "healthz": Entry(no_args, (get(PUBLIC),)),
    "csp_report": Entry(no_args, (get(GET_NOT_ALLOWED),)),
    # Accounts ---------------------------------------------------------------------------------
    "accounts:profile_by_id": Entry(lambda w: {"pk": w.users["author"].pk}, (get(everyone(301)),)),
    "accounts:profile": Entry(
        lambda w: {"pk": w.users["author"].pk, "slug": w.users["author"].slug}, (get(PUBLIC),)
    ),
    "accounts:affiliation_decision": Entry(
        lambda w: {"pk": w.users["author"].pk},
        # Verifying affiliations is its own permission, which the moderator here does not hold.
        (get(GET_NOT_ALLOWED), post(statuses(302, 403, 403, 403, 403, 403, 400))),
    ),
    "accounts:settings": Entry(no_args, (get(SIGNED_IN),)),
    "accounts:onboarding": Entry(no_args, (get(everyone(302)),)),  # every profile here is complete
    "accounts:edit_profile": Entry(no_args, (get(SIGNED_IN),)),
    "accounts:resend_verification": Entry(no_args, (get(GET_NOT_ALLOWED_SIGN_IN_FIRST), post(statuses(
        302, 302, 302, 302, 302, 302, 302)))),
    "accounts:data_export": Entry(no_args, (get(SIGNED_IN),)),  # suspended members too
    "accounts:delete_account": Entry(no_args, (get(everyone(302)),)),
    # Source texts ------------------------------------------------------------------------------
    "articles:list": Entry(no_args, (get(PUBLIC),)),
    "articles:detail": Entry(lambda w: {"slug": w.source.article.slug}, (get(PUBLIC),)),
    # Forum: reading and writing ----------------------------------------------------------------
    "forum:theme_list": Entry(no_args, (get(PUBLIC),)),
    "forum:theme": Entry(theme_args, (get(PUBLIC),)),
    "forum:start_thread": Entry(
        theme_args,
        (
            get(PUBLIC),
            post(statuses(302, 200, 302, 302, 200, 302, 302),
                 {"action": "post", "title": "A matrix discussion", "body": "Opening words."}),
        ),
    ),
    "forum:thread": Entry(lambda w: {"pk": w.thread.pk, "slug": w.thread.slug}, (get(PUBLIC),)),
    "forum:reply": Entry(
        thread_args,
        (get(GET_NOT_ALLOWED), post(statuses(302, 200, 302, 302, 200, 302, 302), {"action": "post", "body": "Hello."})),
    ),
    "forum:comment": Entry(comment_args, (get(everyone(302)),)),
    "forum:comment_edit": Entry(
        comment_args,
        (
            get(statuses(302, 403, 403, 200, 403, 403, 403)),
            post(statuses(302, 403, 403, 302, 403, 403, 403), {"action": "post", "body": "Edited words."}),
        ),
    ),
    "forum:comment_delete": Entry(
        comment_args,
        (get(statuses(302, 403, 403, 200, 403, 403, 403)), post(statuses(302, 403, 403, 302, 403, 403, 403))),
    ),
    "forum:comment_history": Entry(comment_args, (get(PUBLIC),)),
    "forum:paragraph_discuss": Entry(
        lambda w: {"key": w.source.paragraphs[0].key},
        (
            get(PUBLIC),
            post(statuses(302, 200, 302, 302, 200, 302, 302),
                 lambda w: {"action": "post", "theme": str(w.theme.pk), "title": "About this", "body": "Words."}),
        ),
    ),
    "forum:save_draft": Entry(
        no_args,
        (get(GET_NOT_ALLOWED), post(statuses(403, 403, 204, 204, 403, 204, 204),
                                    lambda w: {"context": w.draft_context, "body": "Half a thought"})),
    ),
    "forum:discard_draft": Entry(
        no_args,
        (get(GET_NOT_ALLOWED), post(statuses(403, 403, 302, 302, 403, 302, 302),
                                    lambda w: {"context": w.draft_context})),
    ),
    # Signals, downloads and search
    "forum:agree": Entry(
        comment_args, (get(GET_NOT_ALLOWED), post(statuses(302, 403, 302, 403, 403, 302, 302))),
    ),
    "forum:disagree": Entry(
        comment_args, (get(GET_NOT_ALLOWED), post(statuses(302, 403, 302, 403, 403, 302, 302))),
    ),
    "forum:withdraw_agreement": Entry(
        lambda w: {"pk": w.agreed_comment.pk},
        # Withdrawing is always allowed (nothing to withdraw is not an error).
        (get(GET_NOT_ALLOWED), post(everyone(302))),
    ),
    "forum:common_ground": Entry(theme_args, (get(PUBLIC),)),
    "forum:contested": Entry(theme_args, (get(PUBLIC),)),
    "forum:common_ground_all": Entry(no_args, (get(PUBLIC),)),
    "forum:theme_summary": Entry(theme_args, (get(PUBLIC),)),
    "forum:theme_export": Entry(lambda w: {"slug": w.theme.slug, "fmt": "csv"}, (get(SIGNED_IN),)),
    "forum:exports": Entry(no_args, (get(SIGNED_IN),)),
    "forum:export_all": Entry(lambda w: {"fmt": "csv"}, (get(SIGNED_IN),)),
    "forum:search": Entry(no_args, (get(PUBLIC),)),
    # Following and notifications
    "forum:follow_theme": Entry(
        theme_args,
        (get(GET_NOT_ALLOWED), post(statuses(302, 403, 302, 302, 403, 302, 302), {"level": "watching"})),
    ),
    "forum:follow_thread": Entry(
        thread_args,
        (get(GET_NOT_ALLOWED), post(statuses(302, 403, 302, 302, 403, 302, 302), {"level": "watching"})),
    ),
    "forum:theme_feed": Entry(theme_args, (get(PUBLIC),)),
    "forum:thread_feed": Entry(thread_args, (get(PUBLIC),)),
    "forum:following": Entry(no_args, (get(SIGNED_IN),)),
    "forum:notifications": Entry(no_args, (get(SIGNED_IN),)),
    "forum:notification_open": Entry(
        lambda w: {"pk": w.notification.pk}, (get(statuses(302, 404, 302, 404, 404, 404, 404)),)
    ),
    "forum:notification_read": Entry(
        lambda w: {"pk": w.notification.pk},
        (get(GET_NOT_ALLOWED_SIGN_IN_FIRST), post(statuses(302, 404, 302, 404, 404, 404, 404))),
    ),
    "forum:notifications_read_all": Entry(
        no_args, (get(GET_NOT_ALLOWED_SIGN_IN_FIRST), post(statuses(302, 302, 302, 302, 302, 302, 302))),
    ),
    "forum:notification_settings": Entry(no_args, (get(SIGNED_IN),)),
    "forum:unsubscribe": Entry(lambda w: {"token": "not-a-real-token"}, (get(everyone(400)),)),
    # Reporting, notices and appeals
    "forum:flag_comment": Entry(
        comment_args,
        (
            get(statuses(302, 403, 200, 403, 403, 200, 200)),
            post(statuses(302, 403, 302, 403, 403, 302, 302), {"reason": FlagReason.OFF_TOPIC}),
        ),
    ),
    "forum:flag_thread": Entry(
        thread_args,
        (
            get(statuses(302, 403, 200, 403, 403, 200, 200)),
            post(statuses(302, 403, 302, 403, 403, 302, 302), {"reason": FlagReason.SPAM}),
        ),
    ),
    "forum:moderation_notices": Entry(no_args, (get(SIGNED_IN),)),
    "forum:appeal": Entry(
        lambda w: {"pk": w.hide_entry.pk},
        (
            get(statuses(302, 404, 404, 200, 404, 404, 404)),
            post(statuses(302, 404, 404, 302, 404, 404, 404), {"text": "Please look again."}),
        ),
    ),
    # The theme brief
    "forum:theme_brief": Entry(theme_args, (get(PUBLIC),)),
    "forum:theme_brief_pdf": Entry(theme_args, (get(PUBLIC),)),
    # Coded responses
    "forum:codebook": Entry(
        theme_args, (get(PUBLIC), post(statuses(302, 403, 403, 403, 403, 403, 302), {"label": "Matrix code"})),
    ),
    "forum:coding": Entry(theme_args, (get(FACILITATORS),)),
    "forum:comment_codes": Entry(
        comment_args, (get(GET_NOT_ALLOWED_SIGN_IN_FIRST), post(FACILITATORS_ACT, {"codes": []})),
    ),
    # The planning map
    "forum:map": Entry(no_args, (get(PUBLIC),)),
    "forum:map_download": Entry(lambda w: {"fmt": "csv"}, (get(SIGNED_IN),)),
    "forum:map_cell": Entry(lambda w: {"stage": w.stage.slug, "support": "capacity"}, (get(PUBLIC),)),
    "forum:region": Entry(lambda w: {"code": w.need.region.code}, (get(PUBLIC),)),
    "forum:map_new": Entry(
        lambda w: {"kind": "need"},
        (
            get(PUBLIC),
            post(statuses(302, 200, 302, 302, 200, 302, 302), lambda w: {
                "action": "post", "stage": str(w.stage.pk), "support": "capacity", "region": w.need.region.code,
                "title": "A matrix need", "body": "Where we need support.", "source_theme": w.theme.slug}),
        ),
    ),
    "forum:map_entry": Entry(lambda w: {"pk": w.need.pk}, (get(PUBLIC),)),
    "forum:map_see": Entry(
        lambda w: {"pk": w.need.pk},
        (get(GET_NOT_ALLOWED_SIGN_IN_FIRST), post(statuses(302, 403, 302, 403, 403, 302, 302))),
    ),
    "forum:map_not_seen": Entry(
        lambda w: {"pk": w.need.pk},
        (get(GET_NOT_ALLOWED_SIGN_IN_FIRST), post(statuses(302, 403, 302, 403, 403, 302, 302))),
    ),
    "forum:map_unsee": Entry(lambda w: {"pk": w.need.pk}, (get(GET_NOT_ALLOWED_SIGN_IN_FIRST), post(everyone(302)))),
    "forum:map_link": Entry(
        lambda w: {"pk": w.need.pk},
        (get(GET_NOT_ALLOWED_SIGN_IN_FIRST),
         post(statuses(302, 403, 302, 302, 403, 302, 302), lambda w: {"other": str(w.other_offer.pk)})),
    ),
    "forum:map_unlink": Entry(
        lambda w: {"pk": w.need.pk, "link_pk": w.map_link.pk},
        (get(GET_NOT_ALLOWED_SIGN_IN_FIRST), post(statuses(302, 403, 302, 403, 403, 302, 302))),
    ),
    # Facilitators and theme status
    "forum:theme_respond": Entry(
        theme_args,
        (get(FACILITATORS), post(FACILITATORS_ACT, {"body": "You said, we did."})),
    ),
    "forum:theme_status": Entry(
        theme_args, (get(MODERATORS), post(MODERATORS_ACT, {"status": "closed", **REASON})),
    ),
    "forum:commitments": Entry(no_args, (get(PUBLIC),)),
    "forum:commitment_status": Entry(
        lambda w: {"slug": w.theme.slug, "pk": w.commitment.pk},
        (get(FACILITATORS), post(FACILITATORS_ACT, {"status": "in_progress", "note": "Started."})),
    ),
    # Moderators
    "forum:moderation_queue": Entry(no_args, (get(MODERATORS),)),
    "forum:moderation_log": Entry(no_args, (get(MODERATORS),)),
    "forum:moderation_log_csv": Entry(no_args, (get(MODERATORS),)),
    "forum:moderation_filters": Entry(
        no_args, (get(MODERATORS), post(MODERATORS_ACT, {"pattern": "matrixword", "action": "block"})),
    ),
    "forum:moderation_filter_delete": Entry(
        lambda w: {"pk": w.word_filter.pk},
        (get(statuses(302, 403, 403, 403, 403, 405, 405)), post(MODERATORS_ACT)),
    ),
    "forum:moderation_comment": Entry(comment_args, (get(MODERATORS),)),
    "forum:moderation_comment_edit": Entry(
        comment_args, (get(MODERATORS), post(MODERATORS_ACT, {"body": "Tidied.", **REASON})),
    ),
    "forum:moderation_comment_action": Entry(
        lambda w: {"pk": w.comment.pk, "action": "hide"}, (get(MODERATORS), post(MODERATORS_ACT, REASON)),
    ),
    "forum:moderation_thread": Entry(thread_args, (get(MODERATORS),)),
    "forum:moderation_thread_move": Entry(
        thread_args, (get(MODERATORS), post(MODERATORS_ACT, lambda w: {"theme": str(w.other_theme.pk), **REASON})),
    ),
    "forum:moderation_thread_action": Entry(
        lambda w: {"pk": w.thread.pk, "action": "lock"}, (get(MODERATORS), post(MODERATORS_ACT, REASON)),
    ),
    "forum:moderation_names": Entry(no_args, (get(MODERATORS),)),
    "forum:moderation_member": Entry(lambda w: {"pk": w.users["author"].pk}, (get(MODERATORS),)),
    "forum:moderation_member_suspend": Entry(
        lambda w: {"pk": w.users["author"].pk},
        (get(MODERATORS), post(MODERATORS_ACT, {"duration": "7", **REASON})),
    ),
    "forum:moderation_member_unsuspend": Entry(
        lambda w: {"pk": w.users["suspended"].pk}, (get(MODERATORS), post(MODERATORS_ACT)),
    ),
    "forum:moderation_appeal": Entry(
        lambda w: {"pk": w.appeal.pk},
        (get(MODERATORS), post(MODERATORS_ACT, {"decision": "reject", **REASON})),
    ),
}

# allauth's own pages: every role gets the page (200) or is sent on (302), except these: two need a
# key or token in the URL (made up here), and the two-factor pages answer 404 to someone without
# an authenticator or recovery codes.
ALLAUTH_PREFIXES = ("account_", "mfa_", "usersessions_", "socialaccount_", "openid_connect_")
ALLAUTH_EXCEPTIONS = {
    # No provider is configured in these tests, so a sign-in through one is not found.
    "openid_connect_login": ({"provider_id": "none-configured"}, everyone(404)),
    "openid_connect_callback": ({"provider_id": "none-configured"}, everyone(404)),
    "socialaccount_login_error": ({}, everyone(401)),  # allauth's status for a failed sign-in
    "account_confirm_email": ({"key": "made-up-key"}, everyone(200)),
    "account_reset_password_from_key": ({"uidb36": "1", "key": "made-up-key"}, everyone(200)),
    "mfa_deactivate_totp": ({}, statuses(302, 404, 404, 404, 404, 302, 302)),
    "mfa_view_recovery_codes": ({}, statuses(302, 404, 404, 404, 404, 404, 404)),
    "mfa_download_recovery_codes": ({}, statuses(302, 404, 404, 404, 404, 404, 404)),
    # Nobody has a passkey with this id; everyone is sent to sign in or to confirm it is them first.
    "mfa_remove_webauthn": ({"pk": 999999}, everyone(302)),
    "mfa_edit_webauthn": ({"pk": 999999}, everyone(302)),
}
ALLAUTH_OK = {200, 302}

# The Django admin: staff only. Everyone else is sent to sign in; the administrator gets each page
# (200, or 302 where the admin redirects), except these.
NOT_STAFF = statuses(302, 302, 302, 302, 302, 302, None)
ADMIN_EXCEPTIONS = {
    # Signed-in members who are not staff are told no rather than shown a second sign-in form.
    "admin:login": statuses(302, 403, 403, 403, 403, 403, 302),
    "admin:logout": statuses(302, 302, 302, 302, 302, 302, 405),  # POST only
    "admin:autocomplete": statuses(302, 302, 302, 302, 302, 302, 403),  # needs its query parameters
    # Read-only on purpose: the moderation log, reports, notifications, digest runs, the affiliation log
    # and task results.
    "admin:forum_moderationlogentry_add": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:forum_moderationlogentry_delete": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:forum_flag_add": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:forum_notification_add": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:forum_notification_delete": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:forum_digestperiod_add": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:forum_digestperiod_delete": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:accounts_affiliationevent_add": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:accounts_affiliationevent_delete": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:accounts_region_delete": statuses(302, 302, 302, 302, 302, 302, 403),  # a region ends, never goes
    "admin:django_tasks_database_dbtaskresult_add": statuses(302, 302, 302, 302, 302, 302, 403),
    "admin:django_tasks_database_dbtaskresult_delete": statuses(302, 302, 302, 302, 302, 302, 403),
    "(catch-all)": statuses(302, 302, 302, 302, 302, 302, 404),
}


def walk(patterns, namespace=None, prefix=""):
    """Every URL pattern under `patterns`: (full name or None, route, pattern)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, prefix + str(pattern.pattern), pattern


ALL_PATTERNS = list(walk(get_resolver().url_patterns))


def rule_for(name: str | None, route: str) -> str | None:
    if name in MATRIX:
        return "matrix"
    if route.startswith("admin/"):
        return "admin"
    if name is not None and name.startswith(ALLAUTH_PREFIXES):
        return "allauth"
    if name is None and route.startswith("accounts/social/"):
        return "allauth's old addresses, redirecting to their /accounts/3rdparty/ pages"
    return None


def test_every_url_has_an_entry():
    """A view added without saying who may use it fails here."""
    missing = [
        f"{name or '(unnamed)'} at /{route}" for name, route, _p in ALL_PATTERNS if rule_for(name, route) is None
    ]
    assert not missing, "Add these to MATRIX in tests/forum/test_permission_matrix.py:\n" + "\n".join(missing)


def test_the_matrix_names_no_url_that_is_gone():
    names = {name for name, _route, _p in ALL_PATTERNS}
    assert not set(MATRIX) - names


# The world every request is made against ---------------------------------------------------------


@pytest.fixture
def world(source, theme, unverified_member):
    moderator = make_moderator("matrix-mod@example.org", display_name="Matrix Moderator")
    users = {
        "anonymous": None,
        "unverified": unverified_member,
        "member": make_member("matrix-member@example.org", display_name="Matrix Member"),
        "author": make_member("matrix-author@example.org", display_name="Matrix Author"),
        "suspended": make_member("matrix-suspended@example.org", display_name="Matrix Suspended"),
        "moderator": moderator,
        "admin": make_admin("matrix-admin@example.org", display_name="Matrix Admin"),
    }
    author, member = users["author"], users["member"]
    suspend(users["suspended"], moderator, reason="Matrix suspension.")
    thread = services.start_thread(theme=theme, author=author, title="Matrix discussion", body="Opening.")
    comment = reply(thread, author, "A comment by the author.")
    other = reply(thread, make_member("matrix-other@example.org", display_name="Matrix Other"), "Agreed by many.")

    agreements.agree(comment=other, member=member)
    hidden = reply(thread, author, "Hidden later.")
    carry_out(comment_actions.Hide(hidden, actor=moderator, reason="Matrix hide."))
    hide_entry = models.ModerationLogEntry.objects.filter(action="hide").latest("pk")
    appealed = reply(thread, author, "Hidden and appealed.")
    carry_out(comment_actions.Hide(appealed, actor=moderator, reason="Matrix hide two."))
    appealed_entry = models.ModerationLogEntry.objects.filter(action="hide").latest("pk")
    appeal = appeals.submit_appeal(entry=appealed_entry, member=author, text="Please reconsider.")
    reporter = make_member("matrix-reporter@example.org", display_name="Matrix Reporter")
    reports.flag_comment(comment=comment, flagger=reporter, reason=FlagReason.OFF_TOPIC)
    notification = Notification.objects.create(recipient=member, kind=NotificationKind.REPLY, thread=thread,
                                               comment=comment, theme=theme)
    stage = make_stage()
    need = planned(EntryKind.NEED, author, stage, theme=theme)
    offer = planned(EntryKind.OFFER, member, stage, theme=theme)
    map_link = planning.link(need=need, offer=offer, member=member)
    response = models.ThemeResponse.objects.create(theme=theme, author_name="Matrix Facilitator", body="We heard.")
    commitment = models.Commitment.objects.create(response=response, theme=theme, what="Open a clinic",
                                                  owner_organisation="Matrix ICB", due_on="2027-03-31")

    return SimpleNamespace(
        users=users,
        source=source,
        theme=theme,
        other_theme=make_theme("matrix-other-theme", title="Another theme", position=5),
        thread=thread,
        comment=comment,
        agreed_comment=other,
        hide_entry=hide_entry,
        appeal=appeal,
        word_filter=WordFilter.objects.create(pattern="matrixfilter", action="block"),
        notification=notification,
        draft_context=drafts.thread_context(thread),
        stage=stage,
        need=need,
        map_link=map_link,
        commitment=commitment,
        other_offer=planned(EntryKind.OFFER, member, stage, theme=theme, title="Another offer"),
    )


def request_as(world, role: str, method: str, url: str, data) -> int:
    """The status `role` gets, with every change rolled back afterwards."""
    client = Client()
    user = world.users[role]
    with transaction.atomic():
        if user is not None:
            client.force_login(user)
        response = client.get(url) if method == "GET" else client.post(url, data(world) if callable(data) else data)
        transaction.set_rollback(True)
    cache.clear()  # rate limits and cached answers must not carry over to the next role
    for person in world.users.values():
        if person is not None:
            for attr in ("_forum_suspension", "_forum_is_moderator", "_forum_can_respond", "_cg_has_mfa"):
                person.__dict__.pop(attr, None)
    return response.status_code


def matrix_params():
    for name, route, _pattern in ALL_PATTERNS:
        if rule_for(name, route) == "matrix":
            yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(matrix_params()))
def test_each_role_gets_the_expected_answer(world, name):
    entry = MATRIX[name]
    url = reverse(name, kwargs=entry.kwargs(world))
    problems = []
    for check in entry.checks:
        for role in ROLES:
            got = request_as(world, role, check.method, url, check.data)
            if got != check.expected[role]:
                problems.append(f"{check.method} {url} as {role}: expected {check.expected[role]}, got {got}")
    assert not problems, "\n".join(problems)


def allauth_params():
    for name, route, _pattern in ALL_PATTERNS:
        if rule_for(name, route) == "allauth":
            yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(allauth_params()))
def test_allauth_pages_answer_every_role(world, name):
    kwargs, expected = ALLAUTH_EXCEPTIONS.get(name, ({}, None))
    url = reverse(name, kwargs=kwargs)
    problems = []
    for role in ROLES:
        got = request_as(world, role, "GET", url, {})
        wanted = {expected[role]} if expected else ALLAUTH_OK
        if got not in wanted:
            problems.append(f"GET {url} as {role}: expected one of {sorted(wanted)}, got {got}")
    assert not problems, "\n".join(problems)


def admin_url(route: str, pattern, name: str | None) -> str:
    """A URL for an admin pattern: an existing object of the model where there is one."""
    from django.apps import apps

    if name is None and "(?P<url>" in route:
        return "/admin/no-such-page/"  # the admin's catch-all
    parts = route.split("/")  # admin/<app_label>/<model_name>/<path:object_id>/...
    kwargs = {}
    names = list(pattern.pattern.converters) or list(getattr(pattern.pattern, "regex", None).groupindex)
    if route.startswith("admin/r/"):  # view on site: /admin/r/<content_type_id>/<object_id>/
        from django.contrib.contenttypes.models import ContentType

        from accounts.models import User

        member = User.objects.order_by("pk").first()
        return reverse(name, kwargs={
            "content_type_id": ContentType.objects.get_for_model(User).pk, "object_id": member.pk,
        })
    for converter in names:
        if converter in {"object_id", "id"}:  # the user admin's password page calls it <id>
            try:
                model = apps.get_model(parts[1], parts[2])
            except (LookupError, ValueError, IndexError):
                model = None
            obj = model._default_manager.order_by("pk").first() if model is not None else None
            kwargs[converter] = str(obj.pk) if obj is not None else "1"
        elif converter == "app_label":
            kwargs["app_label"] = "forum"
        else:
            kwargs[converter] = "1"
    if name is not None:
        return reverse(name, kwargs=kwargs)
    url = route
    for key, value in kwargs.items():
        url = url.replace(f"<path:{key}>", value).replace(f"<{key}>", value)
    return "/" + url


def admin_params():
    for name, route, pattern in ALL_PATTERNS:
        if rule_for(name, route) == "admin":
            yield pytest.param(name, route, pattern, id=name or route)


@pytest.mark.parametrize(("name", "route", "pattern"), list(admin_params()))
def test_the_admin_is_for_administrators_only(world, name, route, pattern):
    url = admin_url(route, pattern, name)
    problems = []
    for role in ROLES:
        got = request_as(world, role, "GET", url, {})
        key = "(catch-all)" if name is None and "(?P<url>" in route else name
        if key in ADMIN_EXCEPTIONS:
            wanted = {ADMIN_EXCEPTIONS[key][role]}
        else:
            wanted = {200, 302} if role == "admin" else {NOT_STAFF[role]}
        if got not in wanted:
            problems.append(f"GET {url} as {role}: expected one of {sorted(wanted)}, got {got}")
    assert not problems, "\n".join(problems)


def test_a_moderator_without_two_factor_authentication_is_refused_everywhere_moderators_act(world):
    """The MFA rule holds for every moderator page, not only the queue."""
    user = make_member("nomfa-mod@example.org", display_name="No Mfa Moderator")
    group = Group.objects.create(name="Matrix moderators without MFA")
    group.permissions.add(Permission.objects.get(codename="moderate_comment", content_type__app_label="forum"))
    user.groups.add(group)
    world.users["moderator"] = user
    for name, entry in MATRIX.items():
        if not name.startswith("forum:moderation_") or name in {"forum:moderation_notices"}:
            continue
        url = reverse(name, kwargs=entry.kwargs(world))
        assert request_as(world, "moderator", "GET", url, {}) in {403, 405}, url
    give_totp(user)
    assert request_as(world, "moderator", "GET", reverse("forum:moderation_queue"), {}) == 200
