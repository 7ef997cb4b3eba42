"""The search GIN indexes take each new comment and discussion at once (`fastupdate = off`).

With PostgreSQL's default, new rows wait in the index's pending list until it holds 4 MB (about
5,000 comments): every search reads the whole list (measured: 15,000 waiting comments made a
search 50 ms instead of 22), and the post that fills it merges it (150 ms for those 15,000).
Without it, a new comment costs its insert about 0.1 ms more (docs/performance.md, "Sixth round").
SQLite, the embedded default, has no such index: nothing to do there.
"""

from django.db import migrations

INDEXES = ("forum_comment_search_gin", "forum_thread_search_gin")


def _set(schema_editor, clause: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {index} {clause}")
        if clause.startswith("SET"):
            schema_editor.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def without_pending_list(apps, schema_editor):
    _set(schema_editor, "SET (fastupdate = off)")


def with_pending_list(apps, schema_editor):
    _set(schema_editor, "RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0021_concern_groups"),
    ]

    operations = [
        migrations.RunPython(without_pending_list, with_pending_list),
    ]
