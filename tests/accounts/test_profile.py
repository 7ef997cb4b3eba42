"""Public profiles, the member badge and the participation notice."""

from __future__ import annotations

import types
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import privacy
from accounts.models import AffiliationSource, StakeholderGroup
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def render_badge(member) -> BeautifulSoup:
    html = Template('{% include "includes/member_badge.html" with member=member %}').render(Context({"member": member}))
    return BeautifulSoup(html, "html.parser")


def text_of(soup) -> str:
    return " ".join(soup.get_text().split())


def test_badge_shows_verified_in_words_and_links_to_the_profile(db):
    member = make_member(
        "v@nhs.net", display_name="Dr Ada Lane", organisation_name="Leeds Teaching Hospitals", affiliation_verified=True
    )
    soup = render_badge(member)
    assert soup.a["href"] == member.get_absolute_url()
    assert soup.a.get_text() == "Dr Ada Lane"
    text = text_of(soup)
    assert "NHS trust or NHS staff" in text
    assert "Verified group" in text
    assert "Self-declared" not in text
    assert "Leeds Teaching Hospitals" in text
    assert "Declared interests" not in text


def test_badge_shows_self_declared_in_words_and_the_interests_marker(db):
    member = make_member(
        "s@example.org",
        display_name="Sam Provider",
        stakeholder_group=StakeholderGroup.INDEPENDENT_PROVIDER,
        declared_interests="Director of a company that holds NHS contracts.",
    )
    soup = render_badge(member)
    text = text_of(soup)
    assert "Independent sector provider" in text
    assert "Self-declared group, not verified" in text
    assert "Verified" not in text.replace("not verified", "")
    marker = next(a for a in soup.find_all("a") if "Declared interests" in a.get_text())
    assert marker["href"] == member.get_absolute_url() + "#declared-interests"


def test_badge_runs_no_queries(db, django_assert_num_queries):
    member = make_member("q@example.org", display_name="Quentin Query", declared_interests="Shares.")
    from accounts.models import User

    fresh = User.objects.get(pk=member.pk)
    with django_assert_num_queries(0):
        render_badge(fresh)


@pytest.mark.parametrize("deleted", [True, False])
def test_badge_shows_former_member_for_a_deleted_or_missing_author(db, deleted):
    if deleted:
        member = make_member("gone@example.org", display_name="Gone Soon")
        privacy.delete_account(user=member, remove_text=False)
    else:
        member = None
    soup = render_badge(member)
    assert text_of(soup) == "Former member"
    assert soup.a is None


def test_badge_escapes_what_members_type(db):
    member = make_member("x@example.org", display_name="Ex Ample", organisation_name="Acme & Sons")
    member.organisation_name = "<script>alert(1)</script>"
    html = str(render_badge(member))
    assert "<script>" not in html


def test_profile_shows_the_public_profile_and_never_the_email(client):
    member = make_member(
        "priya@nhs.net",
        display_name="Priya Shah",
        organisation_name="Leeds Teaching Hospitals",
        job_title="Head of Planned Care",
        declared_interests="Trustee of a hospice charity.",
        affiliation_verified=True,
        affiliation_source=AffiliationSource.EMAIL_DOMAIN,
        affiliation_verified_at=timezone.now(),
    )
    response = client.get(member.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    text = " ".join(BeautifulSoup(html, "html.parser").get_text().split())
    for expected in (
        "Priya Shah",
        "NHS trust or NHS staff",
        "Verified",
        "Confirmed by a work email address",
        "Leeds Teaching Hospitals",
        "Head of Planned Care",
        "Trustee of a hospice charity.",
        "Joined",
        "Comments 0",
        "Priya Shah has not commented yet.",
    ):
        assert expected in text, expected
    assert "priya@nhs.net" not in html
    assert 'id="declared-interests"' in html


def test_profile_redirects_to_the_canonical_slug_and_from_a_bare_id(client):
    member = make_member(display_name="Alex Member")
    response = client.get(reverse("accounts:profile", kwargs={"pk": member.pk, "slug": "old-name"}))
    assert response.status_code == 301
    assert response["Location"] == member.get_absolute_url()
    response = client.get(reverse("accounts:profile_by_id", kwargs={"pk": member.pk}))
    assert response["Location"] == member.get_absolute_url()


def test_profile_of_a_deleted_or_unknown_member_is_not_found(client):
    member = make_member(display_name="Alex Member")
    url = member.get_absolute_url()
    privacy.delete_account(user=member, remove_text=False)
    assert client.get(url).status_code == 404
    assert client.get(reverse("accounts:profile", kwargs={"pk": 999, "slug": "x"})).status_code == 404


@pytest.mark.parametrize("viewer", ["anonymous", "unverified", "verified"])
def test_profile_is_readable_by_everyone_and_refuses_other_methods(client, viewer):
    member = make_member("owner@example.org", display_name="Owner Person")
    if viewer != "anonymous":
        viewer_user = make_member(f"{viewer}@example.org", display_name=f"{viewer} view", verified=viewer == "verified")
        client.force_login(viewer_user)
    assert client.get(member.get_absolute_url()).status_code == 200
    assert client.post(member.get_absolute_url()).status_code == 405


def test_own_profile_offers_a_link_to_change_it(client):
    member = make_member(display_name="Alex Member")
    client.force_login(member)
    assert reverse("accounts:edit_profile") in client.get(member.get_absolute_url()).content.decode()


def _fake_forum(member, posts):
    def public_activity(m, *, viewer):
        assert m == member
        return {"post_count": len(posts), "recent_posts": posts}

    return types.SimpleNamespace(public_activity=public_activity)


def test_profile_lists_recent_posts_from_apps_that_offer_them(client, monkeypatch):
    member = make_member(display_name="Alex Member")
    now = timezone.now()
    posts = [
        {"title": "Waiting lists", "url": "/t/1/#c1", "created_at": now - timedelta(days=2), "excerpt": "Older"},
        {"title": "Capacity", "url": "/t/2/#c9", "created_at": now, "excerpt": "Newer"},
    ]
    real = privacy.member_data_modules
    monkeypatch.setattr(privacy, "member_data_modules", lambda: [*real(), ("forum", _fake_forum(member, posts))])
    text = " ".join(BeautifulSoup(client.get(member.get_absolute_url()).content, "html.parser").get_text().split())
    assert "Comments 2" in text
    assert text.index("Capacity") < text.index("Waiting lists")


def test_profile_keeps_to_its_query_budget(client, django_assert_max_num_queries):
    member = make_member(display_name="Alex Member", declared_interests="Shares.")
    # The member, then the forum's count and recent comments.
    with django_assert_max_num_queries(4):
        assert client.get(member.get_absolute_url()).status_code == 200
    client.force_login(make_member("viewer@example.org", display_name="Viewer Person"))
    client.get(member.get_absolute_url())
    # Plus the viewer, allauth's session tracking (read, update, two savepoints) and the moderator check.
    with django_assert_max_num_queries(11):
        assert client.get(member.get_absolute_url()).status_code == 200


def _render_notice(user) -> str:
    request = RequestFactory().get("/threads/1-capacity/")
    request.user = user
    html = Template('{% include "includes/participation_notice.html" with action="comment" %}').render(
        Context({"user": user, "request": request, "csrf_token": "t"})
    )
    return " ".join(BeautifulSoup(html, "html.parser").get_text().split()), html


def test_participation_notice_says_what_each_person_must_do(db):
    from django.contrib.auth.models import AnonymousUser

    text, html = _render_notice(AnonymousUser())
    assert text == "Information: Sign in or create an account to comment."
    assert "next=/threads/1-capacity/" in html

    text, html = _render_notice(make_member("u@example.org", display_name="Una Ver", verified=False))
    assert "Confirm your email address before you comment" in text
    assert "Send the link again" in text and 'method="post"' in html

    text, html = _render_notice(make_member("i@example.org", display_name="", stakeholder_group=""))
    assert "add your display name and stakeholder group" in text
    assert reverse("accounts:onboarding") in html

    text, _ = _render_notice(make_member("ok@example.org", display_name="Okay Member"))  # may take part
    assert text == ""
