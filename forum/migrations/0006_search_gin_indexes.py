"""Full-text search indexes, and vectors for the rows that exist already: PostgreSQL only.

The GIN indexes are not declared on the models (SQLite, the embedded default, cannot build them),
so this migration creates them directly and does nothing on other databases. It also fills the
stored vectors once, the same way forum.search does (`manage.py rebuild_search_index` repeats it).
"""

from django.db import migrations

INDEXES = [
    ("forum_comment_search_gin", "forum_comment"),
    ("forum_thread_search_gin", "forum_thread"),
]

FILL = [
    "UPDATE forum_thread SET search_vector = setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')",
    """
    UPDATE forum_comment AS c
    SET search_vector = setweight(to_tsvector('english'::regconfig, COALESCE(t.title, '')), 'A')
                     || setweight(to_tsvector('english'::regconfig, COALESCE(c.body, '')), 'B')
    FROM forum_thread AS t
    WHERE t.id = c.thread_id AND c.position = 1
    """,
    "UPDATE forum_comment SET search_vector = setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'B') "
    "WHERE position <> 1",
]


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_vector)")
    for statement in FILL:
        schema_editor.execute(statement)


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0005_notification_moderation_notices_repeat"),
    ]

    operations = [
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
