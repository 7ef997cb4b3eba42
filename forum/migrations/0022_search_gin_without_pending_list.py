"""The search GIN indexes take each new comment and discussion at once (`fastupdate = off`).

With PostgreSQL's default, new rows wait in the index's pending list until it holds 4 MB (about
5,000 comments): every search reads the whole list (measured: 15,000 waiting comments made a
search 50 ms instead of 22), and the post that fills it merges it (150 ms for those 15,000).
Without it, a new comment costs its insert about 0.1 ms more (docs/performance.md, "Sixth round").
SQLite, the embedded default, has no such index: nothing to do there.
"""

from django.db import migrations

INDEXES = ("forum_comment_search_gin", "forum_thread_search_gin")


def without_pending_list(apps, schema_editor):
    """Each index takes new rows at once, and the list it already holds is merged into it."""
    for index in _indexes(schema_editor):
        schema_editor.execute(f"ALTER INDEX IF EXISTS {index} SET (fastupdate = off)")
        schema_editor.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def with_pending_list(apps, schema_editor):
    for index in _indexes(schema_editor):
        schema_editor.execute(f"ALTER INDEX IF EXISTS {index} RESET (fastupdate)")


def _indexes(schema_editor) -> tuple[str, ...]:
    return INDEXES if schema_editor.connection.vendor == "postgresql" else ()


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0021_concern_groups"),
    ]

    operations = [
        migrations.RunPython(without_pending_list, with_pending_list),
    ]
