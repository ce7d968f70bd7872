"""The story desk in the Wagtail admin: a list of recent stories and one story's page, where
editors merge, split out and lock (users with discovery.use_story_desk)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from masthead.discovery import desk

PERMISSION = "discovery.use_story_desk"


def desk_list(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "discovery/desk_list.html", {"stories": desk.story_list_recent()}
    )


def _decide(request: HttpRequest, story: int) -> int:
    """Carry out the posted decision; returns the story to show next."""
    action = request.POST.get("action", "")
    if action == "lock":
        return desk.story_lock(story=story, user=request.user)
    if action == "unlock":
        return desk.story_unlock(story=story, user=request.user)
    if action == "split":
        article = request.POST.get("article", "")
        if not article.isdigit():
            raise desk.StoryDeskError("choose an article to split out")
        desk.story_split(article_id=int(article), user=request.user)
        return story
    if action == "merge":
        other = request.POST.get("other", "").strip()
        if not other.lstrip("-").isdigit():
            raise desk.StoryDeskError("give the number of the story to merge in")
        return desk.story_merge(story=int(other), into=story, user=request.user)
    raise desk.StoryDeskError("unknown action")


@require_http_methods(["GET", "POST"])
def desk_story(request: HttpRequest, story: str) -> HttpResponse:
    return _desk_story(request, int(story))


def _desk_story(request: HttpRequest, story: int) -> HttpResponse:
    if request.method == "POST":
        try:
            shown = _decide(request, story)
        except desk.StoryDeskError as error:
            messages.error(request, f"Nothing changed: {error}.")
            return redirect("story_desk_story", story=story)
        messages.success(request, "Done. Every list on the site follows this decision now.")
        return redirect("story_desk_story", story=shown)
    members = desk.story_detail(story=story)
    if not members:
        messages.warning(request, "That story has no articles (now).")
        return redirect("story_desk")
    return TemplateResponse(
        request,
        "discovery/desk_story.html",
        {
            "title": f"Story #{story}",
            "story": story,
            "is_locked": story < 0,
            "members": members,
            "first": members[0],
            "latest": max(members, key=lambda m: m.published_at),
            "decisions": desk.story_decisions(story=story),
        },
    )
