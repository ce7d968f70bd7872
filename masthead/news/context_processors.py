from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Site

from masthead.news import selectors
from masthead.news.cache import content_generation


def site(request: HttpRequest) -> dict:
    """Site name, navigation and the content generation (for fragment cache keys), lazily."""

    def navigation():
        wagtail_site = Site.find_for_request(request)
        return (
            selectors.channel_list_navigation(site_root=wagtail_site.root_page)
            if wagtail_site
            else []
        )

    return {
        "site_name": settings.MASTHEAD_SITE_NAME,
        "navigation": navigation,
        "content_generation": content_generation,
    }
