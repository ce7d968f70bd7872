"""Pages that work without JavaScript: the reaction form and the view-counting pixel."""

import base64
import contextlib
import math

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from masthead.engagement import budgets, selectors, services
from masthead.engagement.clients import client_for_request
from masthead.engagement.readers import is_bot, reader_for_request, reader_remember
from masthead.news.models import ArticlePage

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _form(
    request: HttpRequest,
    article: ArticlePage,
    reader_id: str | None,
    *,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    kinds = selectors.reaction_states(article_id=article.pk, reader_id=reader_id)
    context = {"article": article, "kinds": kinds, "message": message}
    return TemplateResponse(request, "engagement/react.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def react(request: HttpRequest, article_id: int) -> HttpResponse:
    """GET: a small form (with a CSRF token) to add or withdraw reactions; POST: apply, go back.

    A POST counts only for an established reader (the cookie the GET issued); a browser that
    did not keep it gets the form again with an explanation, and nothing changes."""
    article = get_object_or_404(ArticlePage.objects.live(), pk=article_id)
    reader, client = reader_for_request(request), client_for_request(request)
    if request.method == "GET":
        response = _form(request, article, None if reader.is_new else reader.id)
    elif reader.is_new:
        message = "Your browser did not keep our reader cookie, so this reaction was not counted."
        response = _form(request, article, None, message=message, status=403)
    else:
        kind = request.POST.get("kind", "")
        if kind not in selectors.reaction_kinds():
            raise Http404("No such reaction kind.")
        wait = budgets.reaction_wait(client, reader.id)
        if wait:
            message = "Too many reactions from here just now; try again in a minute."
            response = _form(request, article, reader.id, message=message, status=429)
            response["Retry-After"] = str(math.ceil(wait))
        else:
            services.reaction_set(
                reader=reader,
                article_id=article.pk,
                kind=kind,
                active=request.POST.get("active") == "1",
            )
            response = redirect(article.get_url(request) + "#reactions", permanent=False)
            response.status_code = 303
    reader_remember(response, reader, client)
    return response


@never_cache
@require_GET
def view_pixel(request: HttpRequest, article_id: int) -> HttpResponse:
    """The <noscript> beacon: counts a view from a browser without JavaScript, under the same
    budgets as the beacon API."""
    response = HttpResponse(PIXEL, content_type="image/gif")
    referer = request.headers.get("Referer", "")
    own_site = referer.startswith(f"{request.scheme}://{request.get_host()}/")
    if is_bot(request) or not own_site:
        return response
    reader, client = reader_for_request(request), client_for_request(request)
    if budgets.event_wait(client):
        return response
    with contextlib.suppress(services.UnknownArticle):
        services.view_submit(reader=reader, client=client, article_id=article_id)
    reader_remember(response, reader, client)
    return response
