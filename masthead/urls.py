from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path, register_converter
from django.views.static import serve as static_serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from masthead.api.api import api
from masthead.engagement import views as engagement_views
from masthead.news import views
from masthead.news.ids import IdConverter
from masthead.news.sitemaps import SITEMAPS

register_converter(IdConverter, "id")


class _Digits:
    """A fixed-width number in a date archive's URL (/2026/11/29/: one URL per day)."""

    width = 2

    @property
    def regex(self) -> str:
        return f"[0-9]{{{self.width}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{value:0{self.width}d}"


class _Year(_Digits):
    width = 4


register_converter(_Year, "yyyy")  # type: ignore[arg-type]
register_converter(_Digits, "mm")  # type: ignore[arg-type]
register_converter(_Digits, "dd")  # type: ignore[arg-type]

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    path("articles/<id:article_id>/react/", engagement_views.react, name="react"),
    path("events/pixel/<id:article_id>.gif", engagement_views.view_pixel, name="view_pixel"),
    path("search/", views.search, name="search"),
    path("tags/<slug:slug>/", views.tag_index, name="tag"),
    path("tags/<slug:slug>/feed/", views.tag_rss, name="tag_rss"),
    path("tags/<slug:slug>/atom/", views.tag_atom, name="tag_atom"),
    path("tags/<slug:slug>/json/", views.tag_json, name="tag_json"),
    path("authors/", views.author_list, name="authors"),
    path("authors/<str:slug>/", views.author_index, name="author"),
    path("authors/<str:slug>/feed/", views.author_rss, name="author_rss"),
    path("authors/<str:slug>/atom/", views.author_atom, name="author_atom"),
    path("authors/<str:slug>/json/", views.author_json, name="author_json"),
    path("<yyyy:year>/<mm:month>/<dd:day>/", views.archive_day, name="archive_day"),
    path("<yyyy:year>/<mm:month>/", views.archive_month, name="archive_month"),
    path("feed/", views.site_rss, name="site_rss"),
    path("feed/atom/", views.site_atom, name="site_atom"),
    path("feed/json/", views.site_json, name="site_json"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap-news.xml", views.news_sitemap, name="news_sitemap"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
]

if settings.MASTHEAD_DJANGO_ADMIN:
    # Django's own admin is not needed to run the site (Wagtail's admin manages everything);
    # it is mounted only on request, e.g. to inspect raw rows while developing.
    urlpatterns.insert(0, path("django-admin/", admin.site.urls))

if settings.MASTHEAD_SERVE_MEDIA:
    # One-machine sites serve uploads from Django; behind nginx, let nginx serve /media/.
    urlpatterns.append(
        re_path(r"^media/(?P<path>.*)$", static_serve, {"document_root": settings.MEDIA_ROOT})
    )

urlpatterns += [path("", include(wagtail_urls))]
