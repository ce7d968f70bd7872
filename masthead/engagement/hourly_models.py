"""Hourly aggregates of what readers were shown and where they came from (for the dashboard).

Each row is one hour of one key, incremented in place, so a year of history at millions of views
a day stays a few hundred thousand rows that a chart reads with one indexed range scan.
"""

from django.db import models


class WidgetHour(models.Model):
    """Impressions and clicks of one widget's position (1 = first item) in one hour."""

    hour = models.DateTimeField()
    widget = models.CharField(max_length=32)
    position = models.PositiveSmallIntegerField()
    impression_count = models.BigIntegerField(default=0)
    click_count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "widget", "position"], name="one_widget_row_per_hour"
            )
        ]


class ArticleSourceHour(models.Model):
    """Views of one article in one hour that came from one place (a widget, a listing, outside)."""

    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    source = models.CharField(max_length=16)
    view_count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "hour", "source"], name="one_source_row_per_hour"
            )
        ]
        indexes = [models.Index(fields=["hour", "source"], name="source_by_hour")]
