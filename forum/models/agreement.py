"""Votes on comments: a member agrees (+1) or disagrees (-1), counted by stakeholder group.

The model keeps its first name, `Agreement` (a row is a member's vote on a comment; renaming the
table would cost more than it says). `Vote` is the same model under the name the newer code reads
better with. Code that means "agrees" filters on `vote=VoteValue.AGREE` (`Agreement.objects.agreeing()`):
the planning map's "we see this too" is an agreeing vote on the opening comment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from forum.models.core import Comment

__all__ = ["Agreement", "Vote", "VoteValue"]


class VoteValue(models.IntegerChoices):
    AGREE = 1, "Agree"
    DISAGREE = -1, "Disagree"


class VoteQuerySet(models.QuerySet):
    def agreeing(self):
        return self.filter(vote=VoteValue.AGREE)

    def disagreeing(self):
        return self.filter(vote=VoteValue.DISAGREE)


class Agreement(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="agreements")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agreements")
    vote = models.SmallIntegerField(choices=VoteValue.choices, default=VoteValue.AGREE)
    stakeholder_group = models.CharField(max_length=32, help_text="The member's group when they voted.")
    group_verified = models.BooleanField(default=False, help_text="Whether that group was verified when they voted.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = VoteQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "member"], name="forum_agreement_unique")]

    def __str__(self) -> str:
        verb = "agrees" if self.vote == VoteValue.AGREE else "disagrees"
        return f"{self.member_id} {verb} with {self.comment_id}"


Vote = Agreement
