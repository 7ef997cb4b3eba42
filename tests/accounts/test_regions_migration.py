"""The migration that brings in the register of regions, run on a database from before it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.regions import SHIPPED_REGISTER, read_register

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0006_verified_organisation_and_group")]
AFTER = [("accounts", "0008_remove_organisation_region")]


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


def test_organisations_free_text_regions_move_into_the_register_and_unmatched_text_is_kept():
    old = migrate(BEFORE)
    Organisation = old.get_model("accounts", "Organisation")
    Organisation.objects.all().delete()
    texts = {
        "Full name": "NHS Cheshire and Merseyside Integrated Care Board",
        "Short name in capitals": "GREATER MANCHESTER",
        "With ICB": "Devon ICB",
        "Ampersand": "NHS Bath & North East Somerset, Swindon and Wiltshire ICB",
        "Code": "e54000054",
        "Recoded in 2023": "Sussex",
        "England": "England",
        "Unknown": "Yorkshire",
        "Empty": "",
    }
    for name, region in texts.items():
        Organisation.objects.create(name=name, organisation_type="other", region=region)

    new = migrate(AFTER)
    Organisation = new.get_model("accounts", "Organisation")
    codes = {o.name: [r.code for r in o.regions.all()] for o in Organisation.objects.prefetch_related("regions")}
    assert codes == {
        "Full name": ["E54000008"],
        "Short name in capitals": ["E54000057"],
        "With ICB": ["E54000037"],
        "Ampersand": ["E54000040"],
        "Code": ["E54000054"],
        "Recoded in 2023": ["E54000064"],
        "England": ["E92000001"],
        "Unknown": [],
        "Empty": [],
    }
    unmatched = dict(Organisation.objects.exclude(region_unmatched="").values_list("name", "region_unmatched"))
    assert unmatched == {"Unknown": "Yorkshire"}
    assert new.get_model("accounts", "Region").objects.count() == len(read_register(SHIPPED_REGISTER))


def test_going_back_puts_the_text_back():
    migrate(BEFORE)  # an earlier transactional test emptied the tables: load the register again
    new = migrate(AFTER)
    Organisation, Region = new.get_model("accounts", "Organisation"), new.get_model("accounts", "Region")
    Organisation.objects.all().delete()
    Organisation.objects.create(name="Kept", organisation_type="other", region_unmatched="Yorkshire")
    matched = Organisation.objects.create(name="Matched", organisation_type="other")
    matched.regions.add(Region.objects.get(code="E54000037"))

    old = migrate(BEFORE)
    back = dict(old.get_model("accounts", "Organisation").objects.values_list("name", "region"))
    assert back == {"Kept": "Yorkshire", "Matched": "Devon"}
