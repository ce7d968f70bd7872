"""Editors' story decisions: groupings that re-clustering keeps, and a log of who decided what."""

from django.conf import settings
from django.db import models


class StoryGroup(models.Model):
    """Articles an editor fixed as one story (by merging, splitting out or locking).

    Its story number is minus its id: the clusterer numbers stories from 1, and treats numbers
    below zero as closed, so members stay together and nothing joins them by similarity.
    """

    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def story(self) -> int:
        return -self.pk


class StoryGroupMember(models.Model):
    """An article's place in an editor's grouping (at most one per article)."""

    group = models.ForeignKey(StoryGroup, on_delete=models.CASCADE, related_name="members")
    article = models.OneToOneField("news.ArticlePage", on_delete=models.CASCADE, related_name="+")


class StoryDecision(models.Model):
    """One editor decision on the story desk, kept for the desk's history."""

    class Kind(models.TextChoices):
        MERGE = "merge", "Merged stories"
        SPLIT = "split", "Split an article out"
        LOCK = "lock", "Locked a story"
        UNLOCK = "unlock", "Unlocked a story"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    story = models.BigIntegerField(help_text="The story decided on (after the decision).")
    other_story = models.BigIntegerField(null=True, blank=True)
    article = models.ForeignKey(
        "news.ArticlePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        permissions = [("use_story_desk", "Can merge, split and lock stories")]
