"""Seed the organisation register with rules that hold everywhere, and name the site.

Only rules that say something true about every address are seeded: NHSmail (nhs.net) and the
nhs.uk domains are used only by NHS organisations. There is no such rule for councils (gov.uk
also covers central government) or for providers; administrators add those organisations, with
their own domains, in the admin. Safe to run again: existing rows are left as they are.
"""

from urllib.parse import urlparse

from django.conf import settings
from django.db import migrations

SEED = [
    {
        "name": "NHS organisations (NHSmail and nhs.uk addresses)",
        "organisation_type": "shared_domain",
        "stakeholder_group": "nhs",
        "notes": "Generic rule: any address at nhs.net, nhs.uk or a subdomain of nhs.uk.",
        "domains": ["nhs.net", "nhs.uk", "*.nhs.uk"],
    },
]


def seed(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    OrganisationDomain = apps.get_model("accounts", "OrganisationDomain")
    for row in SEED:
        organisation, _ = Organisation.objects.get_or_create(
            name=row["name"],
            defaults={k: row[k] for k in ("organisation_type", "stakeholder_group", "notes")},
        )
        for domain in row["domains"]:
            OrganisationDomain.objects.get_or_create(domain=domain, defaults={"organisation": organisation})

    Site = apps.get_model("sites", "Site")
    domain = urlparse(settings.SITE_URL).netloc or "127.0.0.1:8000"
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": "Common Ground"})


def unseed(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    Organisation.objects.filter(name__in=[row["name"] for row in SEED]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_staff_groups"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
