"""The admin pages for themes, threads and comments open, and counters there cannot be edited."""

from __future__ import annotations

import pytest
from django.urls import reverse

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
