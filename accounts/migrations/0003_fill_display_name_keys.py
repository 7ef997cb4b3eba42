"""Fill the folded display name for members who joined before it existed."""

import unicodedata

from django.db import migrations


def name_key(value):
    normalised = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in normalised if ch.isalnum())[:50]


def fill_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(display_name="").only("pk", "display_name"):
        User.objects.filter(pk=user.pk).update(display_name_key=name_key(user.display_name))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_profile_affiliation_register")]

    operations = [migrations.RunPython(fill_keys, migrations.RunPython.noop)]
