"""The migration that stops NHSmail from verifying a group, run on a database from before it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("accounts", "0005_seed_organisation_register"),
    ("forum", "0013_notification_email_retries"),
    ("account", "0009_emailaddress_unique_primary_email"),
]
AFTER = [
    ("accounts", "0006_verified_organisation_and_group"),
    ("forum", "0014_group_as_posted"),
    ("account", "0009_emailaddress_unique_primary_email"),
]


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """Leave the database as every other test expects it: all migrations applied."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def seed_as_before(apps) -> None:
    """The register as migration 0005 seeds it (transactional tests empty the tables between tests)."""
    Organisation = apps.get_model("accounts", "Organisation")
    Organisation.objects.all().delete()
    seeded = Organisation.objects.create(
        name="NHS organisations (NHSmail and nhs.uk addresses)", organisation_type="shared_domain",
        stakeholder_group="nhs",
    )
    for domain in ("nhs.net", "nhs.uk", "*.nhs.uk"):
        apps.get_model("accounts", "OrganisationDomain").objects.create(organisation=seeded, domain=domain)


def make_old_member(apps, email: str):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    seeded = apps.get_model("accounts", "Organisation").objects.get(name__startswith="NHS organisations")
    member = User.objects.create(
        email=email, display_name=email.split("@")[0], display_name_key=email.split("@")[0],
        stakeholder_group="nhs", affiliation_verified=True, affiliation_source="email_domain",
        affiliation_organisation=seeded, affiliation_verified_at=timezone.now(), password="!",
    )
    EmailAddress.objects.create(user=member, email=email, verified=True, primary=True)
    return member.pk


def test_members_verified_by_nhsmail_alone_become_self_declared_with_their_organisation_verified():
    old = migrate(BEFORE)
    seed_as_before(old)
    on_nhsmail = make_old_member(old, "gp@nhs.net")
    on_trust_domain = make_old_member(old, "ward@leedsth.nhs.uk")

    new = migrate(AFTER)
    User = new.get_model("accounts", "User")
    gp, ward = User.objects.get(pk=on_nhsmail), User.objects.get(pk=on_trust_domain)
    assert not gp.affiliation_verified and gp.affiliation_organisation.name == "NHSmail (nhs.net)"
    assert gp.affiliation_organisation.stakeholder_group == ""
    assert new.get_model("accounts", "AffiliationEvent").objects.get(member_id=gp.pk).kind == "lapsed"
    assert ward.affiliation_verified
    assert ward.affiliation_organisation.name == "NHS organisations (nhs.uk addresses)"
