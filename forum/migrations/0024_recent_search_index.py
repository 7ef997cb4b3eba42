"""A second search GIN index over the comments of the last RECENT_DAYS days alone
(`forum.search.recent`, which renews it as time moves on; docs/performance.md, "Seventh round").

Built here without CONCURRENTLY, inside the migration: new comments wait while it is built (about
2 seconds at a million comments). SQLite, the embedded default, has no such index.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

from forum.search import recent


def build(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        since = timezone.now() - timedelta(days=recent.RECENT_DAYS)
        schema_editor.execute(recent.create_sql(recent.INDEX, since, concurrently=False))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {recent.INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0023_thread_unlisted_index"),
    ]

    operations = [
        migrations.RunPython(build, drop),
    ]
