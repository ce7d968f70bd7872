"""A "page not found" in the site's design even with DEBUG on (the demo runs with DEBUG).

Django answers an Http404 under DEBUG with its technical page; readers of the demo should see
what readers of a production site see. Set MASTHEAD_DEBUG_404=1 to get Django's page back.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

# The admin and the API keep Django's own answers (the admin has its own 404 design).
KEEP_PREFIXES = ("/admin/", "/django-admin/", "/api/")


class SiteNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Http404) or request.path.startswith(KEEP_PREFIXES):
            return None
        response = TemplateResponse(request, "404.html", status=404)
        return response.render()
