"""Keeping a theme's codebook and applying its codes to comments, in one transaction each."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max

from accounts.models import StakeholderGroup
from forum import events, permissions
from forum.models import Code, CodeApplication, Comment


@transaction.atomic
def add_code(*, theme, label: str, description: str, by) -> Code:
    """Add a code to the theme's codebook (a label not already in it)."""
    if not permissions.can_respond_to_theme(by):
        raise PermissionDenied("Only facilitators keep the codebook.")
    label = " ".join(label.split())
    if Code.objects.filter(theme=theme, label__iexact=label).exists():
        raise ValidationError(f"The codebook already has a code “{label}”.")
    position = (Code.objects.filter(theme=theme).aggregate(top=Max("position"))["top"] or 0) + 1
    return Code.objects.create(theme=theme, label=label, description=description.strip(), position=position,
                               created_by=by)


def _copy(applications) -> list[dict]:
    return [{"id": item.code_id, "label": item.code.label, "by": item.applied_by_name} for item in applications]


@transaction.atomic
def set_codes(*, comment: Comment, codes: list[Code], by) -> list[Code]:
    """Make the comment's codes exactly `codes` (all from its theme's codebook), keeping who applied
    the ones it already had. A code from another theme refuses the whole change."""
    if not permissions.can_respond_to_theme(by):
        raise PermissionDenied("Only facilitators apply codes.")
    locked = Comment.objects.select_for_update().select_related("thread").get(pk=comment.pk)
    foreign = [code.label for code in codes if code.theme_id != locked.thread.theme_id]
    if foreign:
        raise ValidationError(f"“{foreign[0]}” belongs to another theme's codebook, so it cannot be applied here.")
    wanted = {code.pk for code in codes}
    CodeApplication.objects.filter(comment=locked).exclude(code_id__in=wanted).delete()
    have = set(CodeApplication.objects.filter(comment=locked).values_list("code_id", flat=True))
    CodeApplication.objects.bulk_create(
        CodeApplication(code=code, comment=locked, applied_by=by, applied_by_name=by.public_name)
        for code in codes if code.pk not in have
    )
    applied = CodeApplication.objects.filter(comment=locked).select_related("code").order_by("code__position")
    locked.codes = _copy(applied)
    Comment.objects.filter(pk=locked.pk).update(codes=locked.codes)
    comment.codes = locked.codes
    events.comment_coded.send(comment=locked)
    return codes


@transaction.atomic
def forget_coder(user, *, name: str) -> None:
    """An erased account: the codes it applied stay, said to be applied by `name`."""
    applied = CodeApplication.objects.filter(applied_by=user)
    comment_ids = list(applied.values_list("comment_id", flat=True))
    applied.update(applied_by=None, applied_by_name=name)
    for comment in Comment.objects.filter(pk__in=comment_ids):
        copies = CodeApplication.objects.filter(comment=comment).select_related("code").order_by("code__position")
        Comment.objects.filter(pk=comment.pk).update(codes=_copy(copies))


GROUP_COLUMNS = [*StakeholderGroup.choices, ("", "No group given")]


def code_table(theme) -> dict:
    """What the codes table prints: `columns` (group code, label) and `rows` (code, counts in the
    columns' order, total)."""
    rows = [(code, [by_group.get(group, 0) for group, _label in GROUP_COLUMNS], total)
            for code, by_group, total in code_counts(theme)]
    return {"columns": GROUP_COLUMNS, "rows": rows}


def code_counts(theme) -> list[tuple[Code, dict[str, int], int]]:
    """Each code of the theme with its readable comments counted by the group they were posted for
    ({group code: n}) and in all: one aggregate query and one for the codebook."""
    rows = (
        CodeApplication.objects.filter(code__theme=theme, comment__in=Comment.objects.readable())
        .order_by().values("code_id", "comment__author_group").annotate(count=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["code_id"], {})[row["comment__author_group"] or ""] = row["count"]
    return [(code, counts.get(code.pk, {}), sum(counts.get(code.pk, {}).values()))
            for code in Code.objects.filter(theme=theme)]
