"""Copy each comment's discussion's theme onto the comment, and put it in the search GIN index.

A theme filter was a condition on the discussions, outside the comments' index, so a search with a
theme rebuilt the bitmap of every comment holding the words and then read the theme's discussions
(docs/performance.md). With the theme on the comment (kept in sync by moderation.move_thread) the
words, tag, group and theme combine inside one index.

On PostgreSQL the index is dropped before the fill and built again after it, since updating a
GIN index row by row for every comment costs far more than building it once. SQLite, the embedded
default, gets the column and its values only.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL_POSTGRES = """
    UPDATE forum_comment AS c SET thread_theme_id = t.theme_id
    FROM forum_thread AS t
    WHERE t.id = c.thread_id AND c.thread_theme_id IS DISTINCT FROM t.theme_id
"""

WITH_THEME = "gin (search_vector, stance, author_group, thread_theme_id)"
WITHOUT_THEME = "gin (search_vector, stance, author_group)"  # as 0009 left it


def _index(schema_editor, definition: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS forum_comment_search_gin")
    if definition:
        schema_editor.execute(f"CREATE INDEX forum_comment_search_gin ON forum_comment USING {definition}")


def drop_index(apps, schema_editor):
    _index(schema_editor, "")


def restore_index(apps, schema_editor):
    _index(schema_editor, WITHOUT_THEME)


def fill_thread_theme(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_POSTGRES)
        return
    Comment = apps.get_model("forum", "Comment")
    Thread = apps.get_model("forum", "Thread")
    theme = models.Subquery(Thread.objects.filter(pk=models.OuterRef("thread_id")).values("theme_id")[:1])
    Comment.objects.update(thread_theme=theme)


def create_index(apps, schema_editor):
    _index(schema_editor, WITH_THEME)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE forum_comment")  # the planner's estimates for the new column


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0009_comment_author_group_search_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_index, restore_index),
        migrations.AddField(
            model_name="comment",
            name="thread_theme",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                help_text="The theme of the comment's discussion, copied for search.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="forum.theme",
            ),
        ),
        migrations.RunPython(fill_thread_theme, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
