"""Full-page cache for anonymous readers, HTTP caching headers and security headers."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from wagtail.models import Site

from masthead.news.cache import content_generation

# Paths that are never public pages: the admin, and anything personal or per-request.
PRIVATE_PREFIXES = (
    "/admin/",
    "/django-admin/",
    "/static/",
    "/media/",
    "/api/",
    "/search/",
    "/articles/",
    "/events/",
)
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: https:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-src https:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _is_public(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(PRIVATE_PREFIXES)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


class PageCacheMiddleware:
    """Serve public pages to anonymous readers from the cache for MASTHEAD_PAGE_CACHE_SECONDS.

    Keys carry the content generation, so a publish makes every cached page stale at once.
    Off when the setting is 0.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.seconds = settings.MASTHEAD_PAGE_CACHE_SECONDS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.seconds <= 0 or not _is_public(request):
            return self.get_response(request)
        key = self._key(request)
        cached = cache.get(key)
        if cached is not None:
            status, headers, content = cached
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
        ):
            headers = [(k, v) for k, v in response.items() if k.lower() != "set-cookie"]
            cache.set(key, (200, headers, response.content), self.seconds)
            response["X-Cache"] = "miss"
        return response

    @staticmethod
    def _key(request: HttpRequest) -> str:
        raw = f"{request.get_host()}{request.get_full_path()}".encode()
        return f"page:{content_generation()}:{hashlib.blake2b(raw, digest_size=16).hexdigest()}"


class SiteCacheMiddleware:
    """Serve Wagtail's Site lookup (and its specific root page) from the cache.

    Wagtail resolves the Site with a query on every request and then loads the root page's
    specific class with another; both change only when content does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = f"site:{content_generation()}:{request.get_host()}:{request.get_port()}"
        site = cache.get(key)
        if site is None:
            site = Site.find_for_request(request)
            if site is not None:
                site.root_page = site.root_page.specific
                cache.set(key, site, 600)
        setattr(request, "_wagtail_site", site)  # where Site.find_for_request looks first  # noqa: B010
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on the site; caching headers on pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(("/admin/", "/django-admin/")):
            return response
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "interest-cohort=(), browsing-topics=()")
        if "Cache-Control" not in response:
            if _is_public(request) and response.status_code == 200 and not response.cookies:
                patch_cache_control(
                    response, public=True, max_age=settings.MASTHEAD_CACHE_CONTROL_MAX_AGE
                )
            else:
                patch_cache_control(response, private=True, no_cache=True)
        return response
