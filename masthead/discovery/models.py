"""What discovery precomputes per article, the fitted text model, and editors' Related overrides."""

from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable


class TextModel(models.Model):
    """The fitted word rarity and LSA projection (engine.Model), refitted by a full rebuild."""

    created_at = models.DateTimeField(auto_now_add=True)
    documents = models.IntegerField()
    data = models.BinaryField()


class ArticleProfile(models.Model):
    """An article as discovery sees it: vectors, story, and its precomputed neighbour lists.

    Lists hold [article id, score, reason] rows, best first; pages filter them for what is still
    live, so they are a lookup, never a scan.
    """

    article = models.OneToOneField(
        "news.ArticlePage", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    model = models.ForeignKey(TextModel, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(db_index=True)
    channel_path = models.CharField(max_length=255)
    terms = models.BinaryField()  # sparse TF-IDF: int32 indices then float32 values
    vector = models.BinaryField()  # float32 LSA
    signature = models.BinaryField()  # uint32 MinHash
    story = models.BigIntegerField(db_index=True)
    related = models.JSONField(default=list)
    related_floor = models.FloatField(default=-1.0)
    like = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)


class RelatedOverride(Orderable):
    """An editor's pin (shown first, in this order) or block (never shown) in an article's Related."""

    PIN, BLOCK = "pin", "block"

    page = ParentalKey(
        "news.ArticlePage", on_delete=models.CASCADE, related_name="related_overrides"
    )
    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(
        max_length=8,
        choices=[(PIN, "Pin into Related"), (BLOCK, "Block from Related")],
        default=PIN,
    )

    panels = [FieldPanel("article"), FieldPanel("action")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["page", "article"], name="one_override_per_article")
        ]


from masthead.discovery.desk_models import (  # noqa: E402, F401
    StoryDecision,
    StoryGroup,
    StoryGroupMember,
)
