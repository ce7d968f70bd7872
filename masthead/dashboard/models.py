"""Roll-ups the analytics pages read: small tables refreshed from the hourly engagement rows and
the ingestion record by `rollup.rollup_refresh`, so no admin page scans raw history."""

from django.db import models


class ChannelHour(models.Model):
    """Views and reactions in one hour of one top-level channel ('' = articles outside any)."""

    hour = models.DateTimeField()
    channel_path = models.CharField(max_length=255)
    view_count = models.BigIntegerField(default=0)
    reaction_count = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()
        permissions = [("view_analytics", "Can view newsroom analytics")]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel_path"], name="one_channel_row_per_hour"
            )
        ]


class TopArticle(models.Model):
    """One place in the most-read list of a window and scope (the site, or a top-level channel).

    `previous_view_count` is the article's views in the window before, for the trend.
    """

    window = models.CharField(max_length=4)
    scope_path = models.CharField(max_length=255)
    rank = models.PositiveSmallIntegerField()
    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    view_count = models.BigIntegerField()
    reaction_count = models.BigIntegerField()
    previous_view_count = models.BigIntegerField()

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["window", "scope_path", "rank"], name="one_top_rank")
        ]


class IngestDay(models.Model):
    """Items one source brought in one day with one outcome (and, for held items, one reason)."""

    day = models.DateField()
    source = models.ForeignKey("ingest.Source", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16)
    reason = models.CharField(max_length=255, blank=True)
    item_count = models.IntegerField()

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["day", "source"], name="ingest_day_by_source")]


class RollupMark(models.Model):
    """How far the roll-ups have been brought: one row per roll-up name."""

    name = models.CharField(max_length=32, primary_key=True)
    done_until = models.DateTimeField()
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        default_permissions = ()


class WidgetDay(models.Model):
    """Impressions and clicks of one widget position in one day (from engagement's hours)."""

    day = models.DateField()
    widget = models.CharField(max_length=32)
    position = models.PositiveSmallIntegerField()
    impression_count = models.BigIntegerField()
    click_count = models.BigIntegerField()

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["day", "widget"], name="widget_day")]


class SearchDay(models.Model):
    """All searches of one day, and those that found nothing."""

    day = models.DateField(primary_key=True)
    search_count = models.BigIntegerField()
    zero_result_count = models.BigIntegerField()

    class Meta:
        default_permissions = ()


class SearchQueryDay(models.Model):
    """One of a day's most asked (or most often fruitless) queries: the long tail of one-off
    queries is left in the hourly rows, so a month of them stays a few thousand rows."""

    day = models.DateField()
    query = models.CharField(max_length=100)
    search_count = models.BigIntegerField()
    zero_result_count = models.BigIntegerField()

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["day"], name="search_query_day")]
