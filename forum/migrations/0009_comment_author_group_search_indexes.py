"""Copy each comment's author's stakeholder group onto the comment, and index search's filters.

Search filtered by the writer's group through a join to the members table, so a common word with
narrow filters read every comment holding the word (docs/performance.md). The copy (kept in sync
by accounts when a member's group changes) lets the filters combine inside one index.

On PostgreSQL only: the btree_gin extension (trusted, so the database owner may create it) lets
the search GIN index also hold the tag and the group, and it replaces the words-only GIN index of
the same name; a (thread, newest first) index lets a theme filter read only recent comments of
the theme's discussions. SQLite, the embedded default, gets the column and its values only.
"""

from django.db import migrations, models

FILL_POSTGRES = """
    UPDATE forum_comment AS c SET author_group = u.stakeholder_group
    FROM accounts_user AS u
    WHERE u.id = c.author_id AND u.stakeholder_group <> ''
"""

INDEXES = [
    ("forum_comment_search_gin", "forum_comment USING gin (search_vector, stance, author_group)"),
    ("forum_comment_thread_newest_idx", "forum_comment (thread_id, created_at DESC)"),
]


def fill_author_group(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_POSTGRES)
        return
    Comment = apps.get_model("forum", "Comment")
    User = apps.get_model("accounts", "User")
    group = models.Subquery(User.objects.filter(pk=models.OuterRef("author_id")).values("stakeholder_group")[:1])
    Comment.objects.filter(author__isnull=False).update(author_group=group)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute("DROP INDEX IF EXISTS forum_comment_search_gin")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS forum_comment_search_gin ON forum_comment USING gin (search_vector)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("forum", "0008_comment_newest_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="author_group",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="The author's current stakeholder group.",
                max_length=32,
            ),
        ),
        migrations.RunPython(fill_author_group, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
