"""Pages that work without JavaScript: the reaction form and the view-counting pixel."""

import base64
import contextlib

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from masthead.engagement import selectors, services
from masthead.engagement.readers import ForgedReader, is_bot, reader_for_request, reader_remember
from masthead.news.models import ArticlePage

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@never_cache
@require_http_methods(["GET", "POST"])
def react(request: HttpRequest, article_id: int) -> HttpResponse:
    """GET: a small form (with a CSRF token) to add or withdraw reactions; POST: apply, go back."""
    article = get_object_or_404(ArticlePage.objects.live(), pk=article_id)
    try:
        reader = reader_for_request(request)
    except ForgedReader:
        return HttpResponseForbidden("Unknown reader id.")
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in selectors.reaction_kinds():
            raise Http404("No such reaction kind.")
        services.reaction_set(
            reader=reader,
            article_id=article.pk,
            kind=kind,
            active=request.POST.get("active") == "1",
        )
        response = redirect(article.get_url(request) + "#reactions", permanent=False)
        response.status_code = 303
    else:
        kinds = selectors.reaction_states(
            article_id=article.pk, reader_id=None if reader.is_new else reader.id
        )
        response = TemplateResponse(
            request, "engagement/react.html", {"article": article, "kinds": kinds}
        )
    reader_remember(response, reader)
    return response


@never_cache
@require_GET
def view_pixel(request: HttpRequest, article_id: int) -> HttpResponse:
    """The <noscript> beacon: counts a view from a browser without JavaScript."""
    response = HttpResponse(PIXEL, content_type="image/gif")
    referer = request.headers.get("Referer", "")
    own_site = referer.startswith(f"{request.scheme}://{request.get_host()}/")
    if is_bot(request) or not own_site:
        return response
    try:
        reader = reader_for_request(request)
    except ForgedReader:
        return response
    with contextlib.suppress(services.UnknownArticle):
        services.view_record(reader=reader, article_id=article_id)
    reader_remember(response, reader)
    return response
