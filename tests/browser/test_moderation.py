"""Moderation in a real browser: a member reports a comment, a moderator signs in with an
authenticator code and hides it with a reason, the author reads the reason and appeals. Every
moderation page passes axe (WCAG 2.2 A and AA) with zero violations."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import StakeholderGroup
from forum.models import Appeal, Comment, FlagReason, ModerationLogEntry, WordFilter
from forum.moderation import appeals, reports
from forum.moderation import comments as comment_actions
from forum.moderation import filters as moderation_filters
from forum.moderation import members as member_actions
from forum.moderation.flow import carry_out
from forum.posting import filters, services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme
from tests.forum.moderation_support import give_totp, grant, make_facilitator, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password-42"


@pytest.fixture
def theme(transactional_db):
    make_theme("social-care", title="Social care in planning", position=2)
    return make_theme("waiting-lists", title="Waiting lists")


@pytest.fixture
def author(transactional_db):
    return make_member("author@example.org", display_name="Ari Author", stakeholder_group=StakeholderGroup.ICB)


@pytest.fixture
def reporter(transactional_db):
    return make_member("reporter@example.org", display_name="Remy Reporter")


@pytest.fixture
def moderator_with_secret(transactional_db):
    user = make_member("moderator@example.org", display_name="Mina Moderator",
                       stakeholder_group=StakeholderGroup.OTHER)
    grant(user, "moderate_comment")
    return user, give_totp(user)


@pytest.fixture
def discussion(theme, author, reporter):
    thread = services.start_thread(theme=theme, author=author, title="Sharing theatre lists",
                                   body="Could we share theatre lists across the region?")
    comment = services.create_comment(thread=thread, author=author, body="The ward sister on 7B is useless.")
    services.create_comment(thread=thread, author=reporter, body="I think we should keep to the topic.")
    return thread, comment


def sign_in_with_code(page, live_server, email: str, secret: str) -> None:
    """The real sign-in: the password form, then the authenticator app's code."""
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Enter your authentication code").wait_for()
    assert_accessible(page)
    page.get_by_label("Authentication code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/2fa/" not in url)


def test_report_review_hide_and_appeal(browser, page, live_server, login, discussion, author, reporter,
                                       moderator_with_secret):
    thread, comment = discussion
    moderator, secret = moderator_with_secret

    # A member reports the comment.
    login(page, reporter)
    page.goto(live_server.url + thread.get_absolute_url())
    page.get_by_role("link", name=f"Report comment {comment.position} by Ari Author to the moderators").click()
    page.get_by_role("heading", name="Report this comment").wait_for()
    assert_accessible(page)
    page.get_by_label("Abusive or disrespectful").check()
    page.get_by_label("Tell the moderators more").fill("Names a colleague and insults her.")
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("We have received your report of this comment").wait_for()

    # The moderator signs in through the real form with an authenticator code.
    mod_context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    mod_page = mod_context.new_page()
    mod_page.set_default_timeout(10_000)
    sign_in_with_code(mod_page, live_server, moderator.email, secret)
    mod_page.get_by_role("link", name="Review queue").first.click()
    mod_page.get_by_role("heading", name="Review queue", exact=True).wait_for()
    queue = mod_page.locator("main")
    assert "The ward sister on 7B is useless." in queue.inner_text()
    assert "Abusive or disrespectful" in queue.inner_text() and "Names a colleague" in queue.inner_text()
    assert_accessible(mod_page)
    mod_page.get_by_role("link", name=f"Hide comment {comment.position} by Ari Author").click()
    mod_page.get_by_role("heading", name="Hide this comment").wait_for()
    assert_accessible(mod_page)
    mod_page.get_by_role("button", name="Hide comment").click()  # no reason yet
    mod_page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(mod_page)
    mod_page.get_by_label("Reason").fill("Personal remarks about a named member of staff.")
    mod_page.get_by_role("button", name="Hide comment").click()
    mod_page.get_by_role("heading", name=f"Review comment {comment.position} by Ari Author").wait_for()
    assert_accessible(mod_page)
    assert Comment.objects.get(pk=comment.pk).is_hidden

    # Everyone else sees the placeholder with the reason.
    page.goto(live_server.url + thread.get_absolute_url())
    page.get_by_text("Hidden by moderators: Personal remarks about a named member of staff.").wait_for()
    assert "useless" not in page.locator("main").inner_text()

    # The author sees the reason and appeals once.
    author_context = browser.new_context(locale="en-GB")
    author_page = author_context.new_page()
    author_page.set_default_timeout(10_000)
    login(author_page, author)
    author_page.goto(live_server.url + thread.get_absolute_url())
    author_page.get_by_text("Hidden by moderators: Personal remarks about a named member of staff.").wait_for()
    author_page.get_by_role("link", name="See the decision about your comment and appeal it").click()
    author_page.get_by_role("heading", name="Moderation decisions about you").wait_for()
    assert_accessible(author_page)
    author_page.get_by_role("link", name="Appeal this decision").first.click()
    author_page.get_by_role("heading", name="Appeal a moderation decision").wait_for()
    assert_accessible(author_page)
    author_page.get_by_label("Your appeal").fill("I was describing a staffing problem, not a person.")
    author_page.get_by_role("button", name="Send appeal").click()
    author_page.get_by_text("Your appeal has been sent to the moderators").wait_for()
    assert "Waiting for review" in author_page.locator("main").inner_text()
    assert Appeal.objects.get().text == "I was describing a staffing problem, not a person."

    # The appeal reaches the moderator's queue.
    mod_page.goto(live_server.url + reverse("forum:moderation_queue"))
    assert "I was describing a staffing problem" in mod_page.locator("main").inner_text()
    mod_context.close()
    author_context.close()


@pytest.fixture
def busy_forum(discussion, author, reporter, moderator_with_secret, transactional_db):
    """Something on every moderation page: reports, a waiting comment, an appeal, a filter, a log."""
    thread, comment = discussion
    moderator, _secret = moderator_with_secret
    reports.flag_comment(comment=comment, flagger=reporter, reason=FlagReason.OTHER, detail="Rude.")
    reports.flag_thread(thread=thread, flagger=reporter, reason=FlagReason.OFF_TOPIC)
    waiting = services.create_comment(thread=thread, author=author, body="Waiting words.", needs_approval=True)
    hidden = services.create_comment(thread=thread, author=author, body="Hidden words.")
    carry_out(comment_actions.Hide(hidden, actor=moderator, reason="Off-topic."))
    entry = ModerationLogEntry.objects.get(action="hide")
    appeal = appeals.submit_appeal(entry=entry, member=author, text="It was on topic.")
    moderation_filters.add_filter(moderator=moderator, pattern="miracle cure", action="review")
    make_member("lookalike@example.org", display_name="Ari Auth\u043er")  # a Cyrillic "о": a name to check
    suspended = make_member("gone@example.org", display_name="Sid Suspended")
    carry_out(member_actions.Suspend(suspended, actor=moderator, reason="Spam.", days=7))
    return {"thread": thread, "comment": comment, "waiting": waiting, "entry": entry, "appeal": appeal}


MODERATOR_PAGES = [
    ("forum:moderation_queue", lambda d: {}),
    ("forum:moderation_log", lambda d: {}),
    ("forum:moderation_filters", lambda d: {}),
    ("forum:moderation_names", lambda d: {}),
    ("forum:moderation_comment", lambda d: {"pk": d["comment"].pk}),
    ("forum:moderation_comment_edit", lambda d: {"pk": d["comment"].pk}),
    ("forum:moderation_comment_action", lambda d: {"pk": d["comment"].pk, "action": "delete"}),
    ("forum:moderation_comment_action", lambda d: {"pk": d["waiting"].pk, "action": "approve"}),
    ("forum:moderation_thread", lambda d: {"pk": d["thread"].pk}),
    ("forum:moderation_thread_action", lambda d: {"pk": d["thread"].pk, "action": "lock"}),
    ("forum:moderation_thread_move", lambda d: {"pk": d["thread"].pk}),
    ("forum:moderation_member", lambda d: {"pk": d["comment"].author_id}),
    ("forum:moderation_member_suspend", lambda d: {"pk": d["comment"].author_id}),
    ("forum:moderation_appeal", lambda d: {"pk": d["appeal"].pk}),
    ("forum:theme_status", lambda d: {"slug": d["thread"].theme.slug}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), MODERATOR_PAGES, ids=[f"{n}-{i}" for i, (n, _k) in enumerate(MODERATOR_PAGES)]
)
def test_every_moderator_page_passes_axe(page, live_server, login, busy_forum, moderator_with_secret, name, kwargs):
    moderator, _secret = moderator_with_secret
    login(page, moderator)
    response = page.goto(live_server.url + reverse(name, kwargs=kwargs(busy_forum)))
    assert response.status == 200
    assert_accessible(page)


def test_the_thread_page_a_moderator_sees_passes_axe(page, live_server, login, busy_forum, moderator_with_secret):
    moderator, _secret = moderator_with_secret
    login(page, moderator)
    page.goto(live_server.url + busy_forum["thread"].get_absolute_url())
    page.get_by_text("Hidden from readers:").first.wait_for()
    assert_accessible(page)


def test_member_pages_pass_axe(page, live_server, login, busy_forum, author, reporter):
    login(page, author)
    for url in (reverse("forum:moderation_notices"), busy_forum["thread"].get_absolute_url()):
        page.goto(live_server.url + url)
        assert_accessible(page)
    login(page, reporter)
    page.goto(live_server.url + reverse("forum:flag_thread", args=[busy_forum["thread"].pk]))
    page.get_by_text("We have received your report").wait_for()
    assert_accessible(page)


def test_a_suspended_member_sees_why_and_until_when(page, live_server, login, busy_forum):
    from accounts.models import User

    login(page, User.objects.get(email="gone@example.org"))
    page.goto(live_server.url + busy_forum["thread"].get_absolute_url())
    text = page.locator("main").inner_text()
    assert "Your account is suspended until" in text and "Spam." in text
    page.goto(live_server.url + reverse("forum:moderation_notices"))
    page.get_by_role("heading", name="Your account is suspended").wait_for()
    assert_accessible(page)


def test_the_facilitator_response_page_and_the_responded_theme_pass_axe(page, live_server, login, theme,
                                                                        transactional_db):
    facilitator = make_facilitator()
    login(page, facilitator)
    page.goto(live_server.url + reverse("forum:theme_respond", args=[theme.slug]))
    assert_accessible(page)
    page.get_by_label("The official response").fill("You said waits were too long; we opened two clinics.")
    page.get_by_role("button", name="Publish the response").click()
    page.get_by_role("heading", name="Official response").wait_for()
    assert_accessible(page)


def test_blocked_words_keep_the_text_without_javascript(page_no_js, live_server, login, discussion, reporter,
                                                        moderator_with_secret):
    moderator, _secret = moderator_with_secret
    WordFilter.objects.create(pattern="useless", action="block", message="Please criticise the idea, not people.",
                              created_by=moderator)
    filters.forget()
    thread, _comment = discussion
    login(page_no_js, reporter)
    page_no_js.goto(live_server.url + thread.get_absolute_url())
    page_no_js.get_by_label("Your comment").fill("This plan is useless.")
    page_no_js.get_by_role("button", name="Post comment").click()
    page_no_js.get_by_role("heading", name="There is a problem").wait_for()
    assert "Please criticise the idea, not people." in page_no_js.locator(".nhsuk-error-summary").inner_text()
    assert page_no_js.get_by_label("Your comment").input_value() == "This plan is useless."
