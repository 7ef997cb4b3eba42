"""The admin pages for themes, threads and comments open, and counters there cannot be edited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config import versions
from tests.accounts.helpers import give_mfa
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    staff = make_member("admin@example.org", display_name="Ada Admin", is_staff=True, is_superuser=True)
    give_mfa(staff)  # the admin is only open to staff with two-factor authentication
    client.force_login(staff)
    return client


@pytest.mark.parametrize("model", ["theme", "thread", "comment"])
def test_the_list_and_the_edit_page_open(admin_client, thread, model):
    obj = {"theme": thread.theme, "thread": thread, "comment": thread.comments.get()}[model]
    assert admin_client.get(reverse(f"admin:forum_{model}_changelist")).status_code == 200
    response = admin_client.get(reverse(f"admin:forum_{model}_change", args=[obj.pk]))
    assert response.status_code == 200
    assert 'name="comment_count"' not in response.content.decode()


def change_form_data(response) -> dict:
    """What the admin change form would send back unchanged."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(response.content, "html.parser").select_one("form#" + response.context["opts"].model_name
                                                                   + "_form")
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            chosen = field.select_one("option[selected]")
            data[name] = chosen["value"] if chosen else ""
        elif field.name == "textarea":
            data[name] = field.get_text()
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") != "submit":
            data[name] = field.get("value", "")
    return data


class TestAdminEditsShowAtOnce:
    """The admin goes around the services, so it renews the cached pages itself."""

    @pytest.fixture(autouse=True)
    def _settled_at_once(self, monkeypatch):

        monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)  # pages may be stored straight after a change

    def test_a_thread_hidden_in_the_admin_is_gone_for_members_at_once(self, admin_client, client, thread):
        from django.test import Client

        from forum.models import Thread

        reader = Client()
        reader.force_login(make_member("reader@example.org", display_name="Rita Reader"))
        assert reader.get(thread.get_absolute_url()).status_code == 200
        assert reader.get(thread.get_absolute_url()).status_code == 200  # now from the cache
        url = reverse("admin:forum_thread_change", args=[thread.pk])
        data = change_form_data(admin_client.get(url))
        data["is_hidden"] = "on"

        assert admin_client.post(url, data).status_code == 302

        assert Thread.objects.get(pk=thread.pk).is_hidden
        assert reader.get(thread.get_absolute_url()).status_code == 404

    def test_a_thread_moved_in_the_admin_takes_its_comments_search_copy(self, admin_client, thread):
        from forum.posting.counter_check import find_drift
        from tests.forum.conftest import make_theme

        elsewhere = make_theme("elsewhere", position=7)
        url = reverse("admin:forum_thread_change", args=[thread.pk])
        data = change_form_data(admin_client.get(url))
        data["theme"] = str(elsewhere.pk)

        assert admin_client.post(url, data).status_code == 302

        assert set(thread.comments.values_list("thread_theme_id", flat=True)) == {elsewhere.pk}
        assert not [d for d in find_drift() if d.kind == "copy"]

    def test_a_comment_deleted_in_the_admin_leaves_members_pages_at_once(self, admin_client, thread, other_member):
        from django.test import Client

        from tests.forum.conftest import reply

        gone = reply(thread, other_member, "Removed by staff")
        reader = Client()
        reader.force_login(make_member("reader@example.org", display_name="Rita Reader"))
        reader.get(thread.get_absolute_url())
        assert "Removed by staff" in reader.get(thread.get_absolute_url()).content.decode()

        url = reverse("admin:forum_comment_delete", args=[gone.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 302

        assert "Removed by staff" not in reader.get(thread.get_absolute_url()).content.decode()
