"""The story desk: merge, split out, lock; every list and every re-clustering honours them."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from masthead.discovery import desk, interface, services
from masthead.discovery.models import ArticleProfile, StoryDecision
from masthead.news.models import ArticlePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(corpus):
    services.index_rebuild()
    return corpus


def members(story: int) -> set[int]:
    return set(desk.story_members(story=story))


def story_of(article_id: int) -> int:
    return ArticleProfile.objects.get(pk=article_id).story


def a_story_with_copies() -> list[int]:
    for profile in ArticleProfile.objects.order_by("published_at"):
        group = desk.story_members(story=profile.story)
        if len(group) >= 2:
            return group
    raise AssertionError("the corpus has no story with two articles")


def two_single_stories() -> tuple[int, int]:
    singles = [
        p.article_id
        for p in ArticleProfile.objects.order_by("published_at")
        if len(desk.story_members(story=p.story)) == 1
    ]
    return singles[0], singles[-1]


def lists_of(article_id: int) -> interface.ArticleLists:
    """As the page would show them now: cached lists are purged precisely, never wholesale."""
    return interface.article_lists(ArticlePage.objects.get(pk=article_id))


def test_an_article_split_out_leaves_its_story_in_every_list_and_after_a_rebuild(indexed):
    group = a_story_with_copies()
    out, stay = group[0], group[1]
    assert out in [i.article.pk for i in lists_of(stay).story]
    story = desk.story_split(article_id=out)
    assert story < 0 and members(story) == {out}
    assert out not in [i.article.pk for i in lists_of(stay).story]
    assert lists_of(out).story == []
    services.index_rebuild()
    assert story_of(out) == story and members(story) == {out}
    assert out not in members(story_of(stay))


def test_merged_stories_show_as_one_story_everywhere_and_survive_a_rebuild(indexed):
    first, second = two_single_stories()
    merged = desk.story_merge(story=story_of(first), into=story_of(second))
    assert members(merged) == {first, second}
    assert [i.article.pk for i in lists_of(first).story] == [second]
    assert second not in [i.article.pk for i in lists_of(first).related]
    services.index_rebuild(refit=False)
    assert members(story_of(first)) == {first, second}


def test_a_locked_story_keeps_exactly_its_articles_when_the_clusterer_runs_again(
    indexed, make_article
):
    group = a_story_with_copies()
    locked = desk.story_lock(story=story_of(group[0]))
    before = members(locked)
    source = ArticlePage.objects.get(pk=group[0])
    copy = make_article(title=source.title, dek=source.dek, body=source.body.raw_data)
    services.article_update(article_id=copy.pk)
    assert story_of(copy.pk) != locked  # a near-copy does not join a locked story
    services.index_rebuild()
    assert members(locked) == before


def test_unlocking_hands_the_story_back_to_the_clusterer_under_an_open_number(indexed):
    group = a_story_with_copies()
    locked = desk.story_lock(story=story_of(group[0]))
    opened = desk.story_unlock(story=locked)
    assert opened > 0 and members(opened) == set(group)
    assert [d.kind for d in StoryDecision.objects.order_by("pk")] == ["lock", "unlock"]


def test_impossible_decisions_are_refused_and_change_nothing(indexed):
    group = a_story_with_copies()
    story = story_of(group[0])
    with pytest.raises(desk.StoryDeskError):
        desk.story_merge(story=story, into=story)
    with pytest.raises(desk.StoryDeskError):
        desk.story_merge(story=10**9, into=story)
    with pytest.raises(desk.StoryDeskError):
        desk.story_unlock(story=story)
    assert members(story) == set(group) and not StoryDecision.objects.exists()


@pytest.fixture
def editor(db) -> Client:
    user = User.objects.create_user("eddie", password="x")
    user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(user)
    return client


def test_an_editor_splits_an_article_out_on_the_story_desk(indexed, editor):
    story = desk.story_list_recent()[0].story
    group = desk.story_members(story=story)
    listing = editor.get("/admin/stories/")
    assert listing.status_code == 200 and f"/admin/stories/{story}/" in listing.content.decode()
    page = editor.get(f"/admin/stories/{story}/")
    assert page.status_code == 200 and b"Split out" in page.content
    done = editor.post(f"/admin/stories/{story}/", {"action": "split", "article": group[0]})
    assert done.status_code == 302
    assert story_of(group[0]) < 0 and group[0] not in members(story)
    assert editor.get(done["Location"]).status_code == 200


def test_the_story_desk_is_closed_to_users_without_the_permission(indexed):
    user = User.objects.create_user("reader", password="x")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(user)
    assert client.get("/admin/stories/").status_code in (302, 403)
