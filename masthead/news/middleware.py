"""Full-page cache for anonymous readers, HTTP caching headers and security headers."""

from __future__ import annotations

import copy
import hashlib
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import patch_cache_control
from wagtail.models import Site

from masthead.news.cache import (
    ALL,
    NAV,
    Entry,
    build_started,
    cached_for_generation,
    keys_are_fresh,
    keys_collected,
    keys_fresh_now,
    keys_record,
    purges_synced,
)
from masthead.news.indexing import index_updates_batched

ADMIN_PREFIX = "/admin/"
# Paths that are never public pages: the admin, and anything personal or per-request.
PRIVATE_PREFIXES = (
    ADMIN_PREFIX,
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
    """Collect the surrogate keys of public pages, send them to the front cache, and serve
    anonymous readers from Django's cache (for MASTHEAD_PAGE_CACHE_SECONDS; 0 turns it off).

    A cached page stays until any key it recorded is purged: a publish makes stale exactly the
    pages that showed the article or should now show it, and nothing else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_public(request):
            return self.get_response(request)
        with purges_synced():
            return self._serve(request)

    def _serve(self, request: HttpRequest) -> HttpResponse:
        seconds = settings.MASTHEAD_PAGE_CACHE_SECONDS
        key = self._key(request) if seconds > 0 else ""
        if key:
            entry = cache.get(key)
            if isinstance(entry, Entry) and keys_are_fresh(entry.keys, built_at=entry.built_at):
                return self._from_cache(entry)
        built_at = build_started()
        with keys_collected() as keys:
            keys_record(ALL, NAV)
            response = self.get_response(request)
        if not _is_cacheable(response):
            return response
        if not keys_fresh_now(keys, built_at=built_at):
            # Something it shows was purged while it was built (an editor published meanwhile):
            # the purge has already gone out, so a cache keeping this copy would show the old
            # content until the next purge. The reader gets it; the next request builds it anew.
            patch_cache_control(response, private=True, no_cache=True)
            if key:
                response["X-Cache"] = "miss"
            return response
        _add_key_headers(response, keys)
        if key:
            headers = [(k, v) for k, v in response.items() if k.lower() != "set-cookie"]
            value = (response.status_code, headers, response.content)
            cache.set(key, Entry(value, frozenset(keys), built_at), seconds)
            response["X-Cache"] = "miss"
        return response

    @staticmethod
    def _from_cache(entry: Entry) -> HttpResponse:
        status, headers, content = entry.value
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["X-Cache"] = "hit"
        return response

    @staticmethod
    def _key(request: HttpRequest) -> str:
        raw = f"{request.get_host()}{request.get_full_path()}".encode()
        return f"page:{hashlib.blake2b(raw, digest_size=16).hexdigest()}"


def _is_cacheable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
        and "no-cache" not in response.get("Cache-Control", "")
    )


def _add_key_headers(response: HttpResponse, keys: set[str]) -> None:
    """The keys for Varnish (xkey), Fastly-style CDNs (Surrogate-Key) and Cloudflare (Cache-Tag);
    shared caches may keep the page long since a change purges it."""
    ordered = sorted(keys)
    response["xkey"] = " ".join(ordered)
    response["Surrogate-Key"] = " ".join(ordered)
    response["Cache-Tag"] = ",".join(ordered)
    patch_cache_control(
        response,
        public=True,
        max_age=settings.MASTHEAD_CACHE_CONTROL_MAX_AGE,
        s_maxage=settings.MASTHEAD_FRONT_CACHE_MAX_AGE,
    )


class SiteCacheMiddleware:
    """Serve Wagtail's Site lookup (and its specific root page) from the cache.

    Wagtail resolves the Site with a query on every request and then loads the root page's
    specific class with another; both change only when content does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):  # beacons and reactions render no page
            return self.get_response(request)
        site = cached_for_generation(
            f"site:{request.get_host()}:{request.get_port()}",
            partial(_site_for_request, request),
            timeout=600,
        )
        # A copy: the shared Site must not carry what one request sets on it.
        site = copy.copy(site) if site is not None else None
        setattr(request, "_wagtail_site", site)  # where Site.find_for_request looks first  # noqa: B010
        return self.get_response(request)


class AdminIndexingMiddleware:
    """An admin request (one publish saves its page three times) queues each page's search and
    reference index updates once, as it ends (`indexing.index_updates_batched`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD") or not request.path.startswith(ADMIN_PREFIX):
            return self.get_response(request)
        with index_updates_batched():
            return self.get_response(request)


def _site_for_request(request: HttpRequest) -> Site | None:
    site = Site.find_for_request(request)
    if site is not None:
        site.root_page = site.root_page.specific
    return site


def has_nul(request: HttpRequest) -> bool:
    """Whether the path, a query parameter or a cookie (a session key, say) carries a NUL
    character, which no page, slug, search term or key holds and which PostgreSQL refuses in any
    text it is sent."""
    if "\x00" in request.path or any("\x00" in value for value in request.COOKIES.values()):
        return True
    query = request.META.get("QUERY_STRING", "")
    if "%00" not in query and "\x00" not in query:
        return False
    return any("\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists())


class NulRefusalMiddleware:
    """A clear 400 for a request with a NUL in its path, query or cookies, before a view sends it
    to the database (the API answers its own requests with a 422 in its error shape, earlier)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            return HttpResponseBadRequest("NUL characters are not accepted in a URL or cookie.")
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
