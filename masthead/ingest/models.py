"""Wire and feed sources, and a record of every item ever taken from them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel


def validate_source_url(value: str) -> None:
    # Imported when a source is validated: the fetcher brings httpx (with its command-line
    # tool's rich and click: about 0.15 s of CPU), which a web worker starting up does not need.
    from masthead.ingest.fetch import url_problem

    if problem := url_problem(value):
        raise ValidationError(problem)


class Source(models.Model):
    RSS, RDF, ATOM, JSON_FEED, NINJS, HTML = "rss", "rdf", "atom", "jsonfeed", "ninjs", "html"
    FORMATS = [
        (RSS, "RSS 2.0"),
        (RDF, "RSS 1.0 (RDF)"),
        (ATOM, "Atom"),
        (JSON_FEED, "JSON Feed"),
        (NINJS, "ninjs (IPTC) JSON"),
        (HTML, "A single HTML article"),
    ]
    PUBLISH, DRAFT = "publish", "draft"

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(
        max_length=1000,
        validators=[validate_source_url],
        help_text="Feed address, or the article's for HTML.",
    )
    format = models.CharField(max_length=10, choices=FORMATS, default=RSS)
    channel = models.ForeignKey(
        "news.ChannelPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where items go when no rule below matches; empty: the channel classifier decides.",
    )
    channel_rules = models.TextField(
        blank=True,
        help_text="One rule per line: feed category = channel slug (e.g. 'Equities = stocks').",
    )
    policy = models.CharField(
        max_length=8,
        choices=[(PUBLISH, "Publish at once"), (DRAFT, "Draft for an editor's review")],
        default=DRAFT,
    )
    poll_minutes = models.PositiveIntegerField(default=15)
    full_text = models.BooleanField(
        default=True,
        help_text="Fetch the linked page for the full text when the feed has a summary.",
    )
    credit = models.CharField(
        max_length=100,
        blank=True,
        help_text="Column/source line shown on articles (default: name).",
    )
    canonical_to_original = models.BooleanField(
        default=True, help_text="Syndicated copies point their canonical link at the original."
    )
    enabled = models.BooleanField(default=True)

    # Health, kept by the pipeline.
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(default=timezone.now, db_index=True)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    items_seen = models.PositiveIntegerField(default=0)
    items_new = models.PositiveIntegerField(default=0)
    items_duplicate = models.PositiveIntegerField(default=0)
    items_held = models.PositiveIntegerField(default=0)

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("url"), FieldPanel("format")]),
        MultiFieldPanel([FieldPanel("channel"), FieldPanel("channel_rules")], "Channel"),
        FieldRowPanel([FieldPanel("policy"), FieldPanel("poll_minutes"), FieldPanel("enabled")]),
        FieldRowPanel(
            [FieldPanel("full_text"), FieldPanel("credit"), FieldPanel("canonical_to_original")]
        ),
    ]

    def __str__(self) -> str:
        return self.name

    @property
    def credit_line(self) -> str:
        return self.credit or self.name

    def rules(self) -> dict[str, str]:
        """Feed category (lower case) -> channel slug."""
        out = {}
        for line in self.channel_rules.splitlines():
            category, sep, slug = line.partition("=")
            if sep and category.strip() and slug.strip():
                out[category.strip().lower()] = slug.strip()
        return out


class Item(models.Model):
    """One item of one source, recorded once: the key that makes ingestion idempotent."""

    NEW, DUPLICATE, NEAR_DUPLICATE, HELD, REJECTED = (
        "new",
        "duplicate",
        "near-duplicate",
        "held",
        "rejected",
    )
    STATUSES = [
        (NEW, "New article"),
        (DUPLICATE, "Duplicate"),
        (NEAR_DUPLICATE, "Near-duplicate: another source of a story"),
        (HELD, "Held for review"),
        (REJECTED, "Rejected"),
    ]

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=64, help_text="Hash of the GUID or normalised URL.")
    guid = models.CharField(max_length=1000, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    title = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(max_length=40, db_index=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUSES)
    reason = models.CharField(max_length=255, blank=True)
    article = models.ForeignKey(
        "news.ArticlePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="one_item_per_key")]
        indexes = [models.Index(fields=["url"], name="item_by_url")]

    def __str__(self) -> str:
        return f"{self.source}: {self.title or self.url or self.guid}"
