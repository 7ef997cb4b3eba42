import pytest
from django.contrib.auth.models import Group

from accounts.groups import GROUP_PERMISSIONS, grant_staff_group_permissions
from accounts.permissions import FACILITATORS_GROUP, MODERATORS_GROUP

pytestmark = pytest.mark.django_db


def _codes(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_facilitators_may_post_the_official_response_to_a_theme():
    grant_staff_group_permissions()
    assert "forum.respond_to_theme" in _codes(FACILITATORS_GROUP)


def test_moderators_may_review_comments_and_read_the_log_in_the_admin():
    grant_staff_group_permissions()
    codes = _codes(MODERATORS_GROUP)
    assert {"forum.moderate_comment", "forum.view_moderationlogentry", "forum.view_flag"} <= codes
    assert "forum.change_moderationlogentry" not in codes


def test_every_listed_permission_exists():
    grant_staff_group_permissions()
    for group_name, names in GROUP_PERMISSIONS.items():
        assert set(names) <= _codes(group_name), group_name
