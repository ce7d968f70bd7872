"""Admin: poll a source now (for the demo source and for editors who do not want to wait)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from masthead.ingest.models import Source
from masthead.ingest.tasks import source_poll_task


def source_poll_view(request, pk: int):
    if not request.user.has_perm("ingest.change_source"):
        raise PermissionDenied
    source = get_object_or_404(Source, pk=pk)
    if request.method == "POST":
        # On the task worker, which keeps discovery's near-duplicate index in memory.
        source_poll_task.enqueue(source.pk)
        messages.success(
            request, f"{source.name}: poll queued; its health updates when it is done."
        )
        return redirect(reverse("wagtailsnippets_ingest_source:list"))
    return TemplateResponse(request, "ingest/poll_confirm.html", {"source": source})
