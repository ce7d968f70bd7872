"""Reader activity: reactions (the source of truth), exact counters, hourly activity, history."""

from django.db import models


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


class AppliedBatch(models.Model):
    """Batches of queued events already written to SQL, so a retried flush never double-counts."""

    batch_id = models.CharField(max_length=64, primary_key=True)
    applied_at = models.DateTimeField(auto_now_add=True)


from masthead.engagement.hourly_models import ArticleSourceHour, WidgetHour  # noqa: E402, F401
