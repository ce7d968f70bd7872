"""What pages and the API get from `masthead.discovery.interface`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.discovery import interface, services
from masthead.discovery.models import ArticleProfile, RelatedOverride
from masthead.engagement.models import ReaderView
from masthead.engagement.readers import Reader
from masthead.news.cache import content_generation_bump
from masthead.news.models import ArticlePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(corpus):
    services.index_rebuild()
    return corpus


def story_with_copies() -> tuple[ArticlePage, list[int]]:
    """An article whose story has other live members."""
    for profile in ArticleProfile.objects.order_by("published_at"):
        members = list(
            ArticleProfile.objects.filter(story=profile.story)
            .exclude(pk=profile.pk)
            .values_list("article_id", flat=True)
        )
        if members:
            return ArticlePage.objects.get(pk=profile.pk), members
    raise AssertionError("the corpus has no story with two articles")


def test_lists_exclude_the_article_its_story_and_repeat_no_story(indexed):
    article, copies = story_with_copies()
    lists = interface.article_lists(article)
    assert len(lists.related) == interface.RELATED_SIZE
    related = [i.article.pk for i in lists.related]
    assert article.pk not in related and not set(copies) & set(related)
    stories = dict(ArticleProfile.objects.values_list("article_id", "story"))
    for items in (lists.related, lists.like):
        item_stories = [stories[i.article.pk] for i in items]
        assert len(item_stories) == len(set(item_stories))
    assert {i.article.pk for i in lists.story} == set(copies)
    assert {i.reason for i in lists.story} == {"Same story"}
    assert all(i.reason for i in lists.related + lists.like)


def test_unpublished_articles_drop_out_at_once(indexed):
    article, _ = story_with_copies()
    first = interface.article_lists(article).related[0].article
    ArticlePage.objects.get(pk=first.pk).unpublish()
    assert first.pk not in [i.article.pk for i in interface.article_lists(article).related]


def test_without_traffic_like_offers_more_on_the_subject_beyond_related(indexed):
    article, _ = story_with_copies()
    lists = interface.article_lists(article)
    assert interface.LIKE_MIN <= len(lists.like) <= interface.LIKE_SIZE
    assert lists.like_heading == interface.MORE_HEADING
    assert not {i.article.pk for i in lists.like} & {i.article.pk for i in lists.related}


def test_editors_pin_and_block_related_items(indexed):
    article, copies = story_with_copies()
    lists = interface.article_lists(article)
    blocked = lists.related[0].article
    far = (
        ArticlePage.objects.live()
        .exclude(pk__in=[article.pk, *copies, *[i.article.pk for i in lists.related]])
        .order_by("-id")
        .first()
    )
    RelatedOverride.objects.create(page=article, article=far, action=RelatedOverride.PIN)
    RelatedOverride.objects.create(page=article, article=blocked, action=RelatedOverride.BLOCK)
    content_generation_bump()  # as publishing the page does
    related = interface.article_lists(article).related
    assert related[0].article.pk == far.pk and related[0].reason == "Editor's choice"
    assert blocked.pk not in [i.article.pk for i in related]


def test_the_admin_edit_form_offers_related_overrides(indexed, admin_client):
    article, _ = story_with_copies()
    response = admin_client.get(f"/admin/pages/{article.pk}/edit/")
    assert response.status_code == 200
    assert b"Related: pinned or blocked articles" in response.content


def reader(private=False, new=False) -> Reader:
    return Reader(id="a" * 32, is_private=private, is_new=new)


def read(article_ids, who="a" * 32):
    now = timezone.now()
    ReaderView.objects.bulk_create(
        ReaderView(
            reader_id=who, article_id=a, viewed_at=now - timedelta(minutes=len(article_ids) - i)
        )
        for i, a in enumerate(article_ids)
    )


def test_recommendation_for_a_reader_excludes_what_they_read_and_says_why(indexed):
    article, _ = story_with_copies()
    history = [i.article.pk for i in interface.article_lists(article).related[:3]] + [article.pk]
    read(history)
    items = interface.recommend(reader(), article)
    assert len(items) == interface.RECOMMEND_SIZE
    assert not {i.article.pk for i in items} & set(history)
    assert any(i.reason.startswith("Because you read") for i in items)


def test_private_and_new_readers_get_the_non_personal_list(indexed):
    article, _ = story_with_copies()
    read([i.article.pk for i in interface.article_lists(article).related[:3]])
    cold = [i.article.pk for i in interface.recommend(None, article)]
    assert cold
    assert [i.article.pk for i in interface.recommend(reader(private=True), article)] == cold
    assert [i.article.pk for i in interface.recommend(reader(new=True), article)] == cold
    assert not interface.is_personal(reader(private=True))


def test_reader_context_carries_the_personal_recommendation(indexed, client):
    article, _ = story_with_copies()
    response = client.get(f"/api/v1/articles/{article.pk}/reader-context")
    body = response.json()
    assert body["recommendation_personal"] is False  # a new reader
    assert len(body["recommendation"]) == interface.RECOMMEND_SIZE
    private = client.get(f"/api/v1/articles/{article.pk}/reader-context", headers={"Sec-GPC": "1"})
    assert private.json()["recommendation_personal"] is False


def test_discovery_endpoint_lists_related_like_and_story(indexed, client):
    article, copies = story_with_copies()
    body = client.get(f"/api/v1/articles/{article.pk}/discovery").json()
    assert len(body["related"]) == interface.RELATED_SIZE
    assert {i["id"] for i in body["story"]} == set(copies)
    assert client.get("/api/v1/articles/999999/discovery").status_code == 404


def test_article_page_shows_every_widget(indexed, client):
    article, _ = story_with_copies()
    html = client.get(article.url).content.decode()
    for widget in ("story", "related", "like", "recommendation"):
        assert f'data-widget="{widget}"' in html
    assert "More coverage of this story" in html


def test_like_from_traffic_repeats_no_story(indexed):
    article, copies = story_with_copies()
    related = [i.article.pk for i in interface._article_lists(article).related]
    stories = dict(ArticleProfile.objects.values_list("article_id", "story"))
    taken = {stories[a] for a in [article.pk, *related]}
    others: list[int] = []
    for pk in ArticlePage.objects.live().order_by("id").values_list("pk", flat=True):
        if stories[pk] not in taken and len(others) < interface.LIKE_MIN:
            others.append(pk)
            taken.add(stories[pk])
    rows = [[pk, 0.9, "Readers of this also read"] for pk in [*copies, *others]]
    ArticleProfile.objects.filter(pk=article.pk).update(like=rows)
    lists = interface._article_lists(article)
    like = [i.article.pk for i in lists.like]
    assert not set(copies) & set(like)  # the article's own story: not "also read"
    assert set(others) == set(like) and lists.like_heading == interface.LIKE_HEADING
