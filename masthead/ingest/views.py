"""Admin: poll a source now (for the demo source and for editors who do not want to wait)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from masthead.ingest.models import Source
from masthead.ingest.pipeline import source_poll


def source_poll_view(request, pk: int):
    if not request.user.has_perm("ingest.change_source"):
        raise PermissionDenied
    source = get_object_or_404(Source, pk=pk)
    if request.method == "POST":
        report = source_poll(source)
        level = messages.error if report.error else messages.success
        level(request, f"{source.name}: {report}")
        return redirect(reverse("wagtailsnippets_ingest_source:list"))
    return TemplateResponse(request, "ingest/poll_confirm.html", {"source": source})
