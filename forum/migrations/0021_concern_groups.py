"""Replies tagged as a concern count toward contested points: each comment's concern replies are
counted by named group, and comments one group agrees with and another raised a concern about are
marked contested (forum.agreement.concerns does the same from now on)."""

from django.db import migrations, models
from django.db.models import Count

NAMED_GROUPS = ["independent", "nhs", "icb", "local_authority", "social_care", "vcse", "patient_public"]


def _contested(agrees, disagrees, concerns) -> bool:
    leans = {code: (agrees or {}).get(code, 0) - (disagrees or {}).get(code, 0) for code in NAMED_GROUPS}
    agreeing = {code for code, lean in leans.items() if lean > 0}
    against = {code for code, lean in leans.items() if lean < 0} | {code for code in concerns if code in NAMED_GROUPS}
    return any(first != second for first in agreeing for second in against)


def count_concerns(apps, schema_editor):
    Comment = apps.get_model("forum", "Comment")
    rows = (
        Comment.objects.filter(
            stance="concern", parent__isnull=False, author_group__in=NAMED_GROUPS, is_hidden=False,
            needs_approval=False, is_deleted=False, thread__is_hidden=False, thread__needs_approval=False,
        )
        .order_by().values("parent_id", "author_group").annotate(replies=Count("pk"))
    )
    by_parent: dict[int, dict[str, int]] = {}
    for row in rows:
        by_parent.setdefault(row["parent_id"], {})[row["author_group"]] = row["replies"]
    for comment in Comment.objects.filter(pk__in=list(by_parent)).only("pk", "agree_groups", "disagree_groups"):
        groups = by_parent[comment.pk]
        contested = _contested(comment.agree_groups, comment.disagree_groups, groups)
        Comment.objects.filter(pk=comment.pk).update(concern_groups=groups, is_contested=contested)


class Migration(migrations.Migration):

    dependencies = [
        ("forum", "0020_votes"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="concern_groups",
            field=models.JSONField(blank=True, default=dict, editable=False, help_text="{group code: replies}"),
        ),
        migrations.RunPython(count_concerns, migrations.RunPython.noop),
    ]
