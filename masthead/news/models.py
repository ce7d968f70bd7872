"""Wagtail pages of a news site: the home page, nestable channels and articles."""

from __future__ import annotations

from datetime import timedelta
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.http import http_date
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageViewRestriction
from wagtail.search import index
from wagtail.url_routing import RouteResult

from masthead.news import feeds, selectors, structured_data
from masthead.news.blocks import ArticleBodyBlock
from masthead.news.cache import article_key, cached_with_keys, channel_key, keys_record, page_key
from masthead.news.page_shell import shell_fill, shell_render
from masthead.news.pagination import ListingPage, paginate

# A revision within this long after first publication is a correction, not an update.
UPDATE_GRACE = timedelta(minutes=5)
# One rendition serves the page, OpenGraph, Twitter and JSON-LD (16:9, Google's preferred shape).
LEAD_RENDITION = "fill-1200x675|format-jpeg|jpegquality-80"
# An article's rendered body and metadata stay cached until it changes; this only bounds memory.
ARTICLE_CACHE_SECONDS = 24 * 3600
# What the article page's head shows besides the page's own fields (see ArticlePage._head).
ARTICLE_HEAD = ("lead_image_url", "canonical_url", "own_url", "json_ld")


class ServedPage(Page):
    """Serving without Wagtail's per-request view-restriction queries while the site has no
    restricted page (the usual case for a news site); with any, Wagtail's own check runs."""

    # Masthead queues the page's index updates itself, once per page per admin request
    # (news/indexing.py); modelsearch's handler would queue one on every save.
    search_auto_update = False

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Imported here: Wagtail's signal and task modules read the page model when imported,
        # which they cannot while this module is loading.
        from masthead.news.indexing import page_saving

        with page_saving(self):
            return super().save(*args, **kwargs)

    def get_view_restrictions(self):
        if not selectors.site_has_view_restrictions():
            return _no_view_restrictions()
        return super().get_view_restrictions()


@cache
def _no_view_restrictions() -> models.QuerySet[PageViewRestriction]:
    """One empty queryset, evaluated once: iterating it again reads its (empty) results instead
    of compiling SQL on every request; chaining on it (`order_by`, `exists`) makes a new one."""
    none = PageViewRestriction.objects.none()
    len(none)
    return none


class HomePage(ServedPage):
    intro = models.CharField(max_length=300, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        InlinePanel("pinned_stories", label="Pinned top stories", max_num=10),
    ]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["news.ChannelPage"]
    max_count = 1

    def route(self, request: HttpRequest, path_components: list[str]) -> RouteResult:
        """Resolve a whole URL with one indexed lookup instead of a query pair per level.

        Channel sub-routes (feeds) have no page of their own and fall back to the tree walk.
        """
        if path_components:
            url_path = f"{self.url_path}{'/'.join(path_components)}/"
            page = selectors.page_for_url_path(url_path=url_path)
            if page is not None:
                return page.route(request, [])  # checks it is live; resolves index routes
        return super().route(request, path_components)

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        keys_record(page_key(self.pk))
        # Callables: the template calls them only when its fragment cache misses.
        context["top_stories"] = partial(selectors.home_list_top_stories, home=self)
        context["sections"] = partial(selectors.channel_list_sections, home=self)
        return context


class PinnedStory(Orderable):
    """An article an editor pins to the top of the home page, in the order given."""

    home = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="pinned_stories")
    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("article")]


class ChannelPage(RoutablePageMixin, ServedPage):
    """A section of the site (Markets, Markets > Stocks); lists its own and its sub-channels' articles."""

    description = models.CharField(max_length=300, blank=True)
    column = models.CharField(
        max_length=100,
        blank=True,
        help_text='Default column line for articles in this channel, e.g. "Markets Desk".',
    )

    content_panels = Page.content_panels + [FieldPanel("description"), FieldPanel("column")]
    search_fields = Page.search_fields + [index.SearchField("description")]

    parent_page_types = ["news.HomePage", "news.ChannelPage"]
    subpage_types = ["news.ChannelPage", "news.ArticlePage"]

    @path("")
    def index(self, request: HttpRequest):
        keys_record(page_key(self.pk), channel_key(self.pk))
        # Read only when the cached listing fragment is rendered again.
        listing = cache(partial(self._listing, request))
        breadcrumbs = selectors.page_list_breadcrumbs(page=self)
        return self.render(
            request,
            context_overrides={
                "articles": SimpleLazyObject(lambda: listing()[0]),
                "pagination_message": SimpleLazyObject(lambda: listing()[1]),
                "breadcrumbs": breadcrumbs,
                "sub_channels": selectors.channel_list_children(channel=self),
                "json_ld": [
                    structured_data.breadcrumb_list(request=request, trail=[*breadcrumbs, self])
                ],
            },
        )

    def _listing(self, request: HttpRequest) -> tuple[ListingPage, str]:
        keys_record(channel_key(self.pk))
        articles = selectors.article_list_stories(within=self)
        return paginate(request, articles, settings.MASTHEAD_PAGE_SIZE)

    @path("feed/")
    def rss(self, request: HttpRequest):
        return feeds.ArticleRssFeed(scope=feeds.FeedScope.for_channel(self))(request)

    @path("atom/")
    def atom(self, request: HttpRequest):
        return feeds.ArticleAtomFeed(scope=feeds.FeedScope.for_channel(self))(request)

    @path("json/")
    def json_feed(self, request: HttpRequest):
        return feeds.json_feed(request, scope=feeds.FeedScope.for_channel(self))


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey(
        "news.ArticlePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class ArticlePage(ServedPage):
    dek = models.TextField("summary", blank=True, max_length=600)
    column = models.CharField(
        max_length=100,
        blank=True,
        help_text='Column or source line, e.g. "Markets Desk" or a wire.',
    )
    byline = models.CharField(max_length=200, blank=True)
    source_name = models.CharField(max_length=100, blank=True)
    source_url = models.URLField(
        max_length=1000, blank=True, help_text="Original of a syndicated copy."
    )
    is_canonical_at_source = models.BooleanField(
        default=False, help_text="Point rel=canonical at the original (syndicated copies)."
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Shown publication time; set at first publication when left empty.",
    )
    lead_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_image_caption = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(
        "news.Author",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        help_text="The author's page; matched from the byline when left empty.",
    )
    body = StreamField(ArticleBodyBlock(), blank=True)
    tags = ClusterTaggableManager(through=ArticleTag, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("dek"),
        MultiFieldPanel(
            [
                FieldPanel("column"),
                FieldPanel("byline"),
                FieldPanel("author"),
                FieldPanel("published_at"),
            ],
            "Credit line",
        ),
        MultiFieldPanel([FieldPanel("lead_image"), FieldPanel("lead_image_caption")], "Lead image"),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    promote_panels = Page.promote_panels + [
        MultiFieldPanel(
            [
                FieldPanel("source_name"),
                FieldPanel("source_url"),
                FieldPanel("is_canonical_at_source"),
            ],
            "Source",
        ),
        InlinePanel(
            "related_overrides",
            label="Related: pinned or blocked articles",
            help_text="Pinned articles lead the Related list in this order; blocked ones never appear.",
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("dek"),
        index.SearchField("body_text"),
        index.SearchField("byline"),
        index.RelatedFields("tags", [index.SearchField("name", boost=2)]),
        index.FilterField("published_at"),
    ]

    parent_page_types = ["news.ChannelPage"]
    subpage_types: list[str] = []

    def save(self, *args, **kwargs):
        if self.live and self.published_at is None:
            self.published_at = self.first_published_at or timezone.now()
        if not self.column and not self.source_name and self.path:
            # The channel's desk ("Markets Desk") is the column line unless the editor sets one.
            parent = self.get_parent()
            self.column = getattr(parent.specific, "column", "") if parent else ""
        if self.author_id is None and self.byline:
            self.author = selectors.author_for_byline(byline=self.byline)
        return super().save(*args, **kwargs)

    @property
    def updated_at(self):
        """The time of the last revision worth telling readers about, or None."""
        first, last = self.first_published_at, self.last_published_at
        if first and last and last - first > UPDATE_GRACE:
            return last
        return None

    @cached_property
    def body_text(self) -> str:
        """The body as plain text, extracted once per instance (indexing reads it three times)."""
        return " ".join(
            text for block in self.body for text in block.block.get_searchable_content(block.value)
        )

    @property
    def credit_line(self) -> str:
        return self.column or self.source_name

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        """Every value is computed on first use: the page's cached fragments (head, header,
        body and lists) use them only when they are rendered again."""
        context = super().get_context(request, *args, **kwargs)
        keys_record(article_key(self.pk))
        breadcrumbs = cache(partial(selectors.page_list_breadcrumbs, page=self))
        tags_and_lead = cache(partial(self._tags_and_lead_for, request))
        head = cache(partial(self._head, request, breadcrumbs, tags_and_lead))
        context.update(
            breadcrumbs=breadcrumbs,
            sidebar_seconds=settings.MASTHEAD_SIDEBAR_CACHE_SECONDS,
            article_tags=lambda: tags_and_lead()[0],
            lead_rendition=lambda: tags_and_lead()[1],
            **{name: partial(lambda name: head()[name], name) for name in ARTICLE_HEAD},
        )
        return context

    def _tags_and_lead_for(self, request: HttpRequest) -> tuple[list, Any]:
        if getattr(request, "is_preview", False):  # a draft's own tags and image
            return self._tags_and_lead()
        return cached_with_keys(
            f"article-meta:{self.pk}", self._tags_and_lead, timeout=ARTICLE_CACHE_SECONDS
        )

    def _head(self, request: HttpRequest, breadcrumbs, tags_and_lead) -> dict[str, Any]:
        """Addresses and structured data for the page's head."""
        tags, lead = tags_and_lead()
        trail = breadcrumbs()
        lead_url = request.build_absolute_uri(lead.url) if lead else None
        own_url = request.build_absolute_uri(self.get_url(request))
        canonical = self.source_url if self.is_canonical_at_source and self.source_url else own_url
        return {
            "lead_image_url": lead_url,
            "canonical_url": canonical,
            "own_url": own_url,
            "json_ld": [
                structured_data.news_article(
                    request=request,
                    article=self,
                    author_url=(
                        request.build_absolute_uri(self.author.url) if self.author else None
                    ),
                    url=own_url,
                    section=trail[-1].title if trail else "",
                    tags=tags,
                    image_url=lead_url,
                ),
                structured_data.breadcrumb_list(request=request, trail=[*trail, self]),
            ],
        }

    def _tags_and_lead(self) -> tuple[list, Any]:
        """The article's tags and lead rendition, cached until the article changes."""
        keys_record(article_key(self.pk))
        lead = self.lead_image.get_rendition(LEAD_RENDITION) if self.lead_image else None
        return list(self.tags.all()), lead

    def serve(self, request: HttpRequest, *args, **kwargs):
        """The page from its cached shell (`news.page_shell`): rendered once until the article
        or anything it shows changes; the reaction counts and the sidebar are rendered now."""
        context = self.get_context(request, *args, **kwargs)
        template = self.get_template(request, *args, **kwargs)
        # Absolute addresses in the head depend on the scheme and host; the footer's archive
        # link on the month.
        month = timezone.localdate().strftime("%Y-%m")
        shell = cached_with_keys(
            f"article-shell:{self.pk}:{request.scheme}:{request.get_host()}:{month}",
            partial(shell_render, template, context, request),
            timeout=ARTICLE_CACHE_SECONDS,
        )
        response = HttpResponse(shell_fill(shell, context, request))
        if self.last_published_at:
            response["Last-Modified"] = http_date(self.last_published_at.timestamp())
        return response


class StoryEntry(models.Model):
    """An article's place in its story, as discovery's clustering last saw it.

    Discovery writes the grouping (which articles tell one story); news picks each story's lead
    copy (`news.stories.lead_rank`), which is the one entry listings show. An article without a
    row (not clustered yet) lists as a story of its own.
    """

    article = models.OneToOneField(
        ArticlePage, on_delete=models.CASCADE, primary_key=True, related_name="story_entry"
    )
    story = models.BigIntegerField(db_index=True)
    lead = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="+")
    is_lead = models.BooleanField(default=False)
    source_count = models.PositiveIntegerField(default=1)  # live copies in the story, lead included


class Author(index.Indexed, models.Model):  # type: ignore[django-manager-missing]
    """A writer with a page of their own (/authors/<slug>/): name, photo, short biography."""

    name = models.CharField(
        max_length=200, unique=True, help_text="As it appears in bylines, e.g. Maya Chen."
    )
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    role = models.CharField(max_length=100, blank=True, help_text='e.g. "Markets reporter".')
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bio = models.TextField(blank=True, max_length=2000)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("role"),
        FieldPanel("photo"),
        FieldPanel("bio"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return reverse("author", args=[self.slug])


@register_setting(icon="doc-full")
class FeedSettings(BaseSiteSetting):
    """How this site's RSS, Atom and JSON feeds present articles."""

    is_full_text = models.BooleanField(
        "full text",
        default=False,
        help_text="Put each article's whole body in the feeds, not only its summary.",
    )

    panels = [FieldPanel("is_full_text")]

    class Meta:
        verbose_name = "Feeds"


from masthead.news.search_log import SearchQueryHour  # noqa: E402, F401
