"""Drop the free-text organisation region: migration 0007 moved it into the register."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_regions"),
    ]

    operations = [
        migrations.RemoveField(model_name="organisation", name="region"),
    ]
