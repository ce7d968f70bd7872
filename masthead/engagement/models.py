"""Reader activity: reactions (the source of truth), exact counters, hourly activity, history."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from masthead.engagement.reaction_kinds import InvalidReactionKinds, kinds_format, kinds_parse


class Reaction(models.Model):
    """One reader's reaction of one kind to one article; withdrawing it deletes the row."""

    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    reader_id = models.CharField(max_length=32)
    kind = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "reader_id", "kind"], name="one_reaction_per_reader"
            )
        ]
        indexes = [models.Index(fields=["reader_id", "article"], name="reaction_by_reader")]


class ArticleCounter(models.Model):
    """An exact running total per article: `view` or `reaction:<kind>`."""

    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=48)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "name"], name="one_counter_per_name")
        ]


class ArticleActivity(models.Model):
    """Views and reactions of one article in one hour: what Ranking is computed from."""

    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    # The article's tree path, so a channel's ranking (sub-channels included) is a prefix match.
    path = models.CharField(max_length=255)
    view_count = models.IntegerField(default=0)
    reaction_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "hour"], name="one_activity_per_hour")
        ]
        indexes = [models.Index(fields=["hour", "path"], name="activity_by_hour")]


class ReaderView(models.Model):
    """A reader's view of an article (history; never kept for GPC/DNT readers)."""

    reader_id = models.CharField(max_length=32)
    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    viewed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["reader_id", "-viewed_at"], name="history_by_reader"),
            models.Index(fields=["viewed_at"], name="history_by_time"),
        ]


class WidgetClick(models.Model):
    """A click on a discovery widget's item, for click-through per widget."""

    widget = models.CharField(max_length=32)
    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    clicked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["widget", "clicked_at"], name="click_by_widget")]


class SeenEvent(models.Model):
    """De-duplication marks (one view per reader per article per window) on the SQL backend."""

    key = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)


class QueuedView(models.Model):
    """A counted view not yet added to the totals, on the SQL backend: the beacon writes this
    row with its de-duplication mark, and the flush moves rows into the totals, hourly activity
    and history, deleting them in the same transaction."""

    id = models.BigAutoField(primary_key=True)
    article_id = models.BigIntegerField()  # no foreign key: the flush skips deleted articles
    path = models.CharField(max_length=255)
    reader_id = models.CharField(max_length=32)
    is_private = models.BooleanField()
    at = models.DateTimeField()


class AppliedBatch(models.Model):
    """Batches of queued events already written to SQL, so a retried flush never double-counts."""

    batch_id = models.CharField(max_length=64, primary_key=True)
    applied_at = models.DateTimeField(auto_now_add=True)


class RateLimit(models.Model):
    """One rate limit's state on the SQL backend: its theoretical arrival time (GCRA), in Unix
    seconds. A row whose time has passed is the same as no row, so old rows are purged freely."""

    key = models.CharField(max_length=64, primary_key=True)
    tat = models.FloatField(db_index=True)


class RankingScore(models.Model):
    """One article's forward-decayed Ranking sum in one window and scope (the site's or a
    channel's tree path), kept up to date as activity is added and as hours leave the window."""

    window_name = models.CharField(max_length=8)
    scope = models.CharField(max_length=255)
    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    last_hour = models.DateTimeField()  # newest hourly bucket added: older rows have left

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["window_name", "scope", "article"], name="one_score_per_list"
            )
        ]
        indexes = [
            models.Index(
                "window_name",
                "scope",
                models.F("score").desc(),
                models.F("article").desc(),
                name="ranking_by_score",
            ),
            models.Index(fields=["window_name", "last_hour"], name="ranking_by_last_hour"),
        ]


class RankingClock(models.Model):
    """Per window: the landmark the stored sums are relative to, and the first hour still in
    the window as of the last expiry (older buckets have been subtracted)."""

    window_name = models.CharField(max_length=8, primary_key=True)
    landmark = models.DateTimeField()
    expired_before = models.DateTimeField()


def _default_reaction_kinds() -> str:
    # The environment variable stays the initial value, so existing set-ups keep their buttons.
    return kinds_format(settings.MASTHEAD_REACTION_KINDS)


@register_setting(icon="pick")
class ReactionSettings(BaseGenericSetting):
    """The reaction buttons readers see, editable in Settings > Reactions."""

    kinds = models.TextField(
        default=_default_reaction_kinds,
        help_text=(
            "One reaction per line as `slug: Label`, e.g. `verygood: veryGood!`. Renaming a label "
            "keeps its counts; removing a slug hides its button and counts (they are kept)."
        ),
    )
    show_count_on_listings = models.BooleanField(
        default=False,
        help_text="Show each article's reaction total on channel, tag, author and archive lists.",
    )

    panels = [FieldPanel("kinds"), FieldPanel("show_count_on_listings")]

    class Meta:
        verbose_name = "Reactions"

    def clean(self) -> None:
        super().clean()
        try:
            kinds_parse(self.kinds)
        except InvalidReactionKinds as error:
            raise ValidationError({"kinds": str(error)}) from None


from masthead.engagement.hourly_models import ArticleSourceHour, WidgetHour  # noqa: E402, F401
