"""The headless read API: filters, cursor pagination, conditional requests, keys, OpenAPI."""

import pytest
from django.test import Client

from masthead.discovery import desk, services
from masthead.news.cache import content_generation_bump
from masthead.news.models import ArticlePage, ChannelPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(corpus) -> Client:
    return Client()


def all_pages(api: Client, query: str = "", limit: int = 7) -> list[dict]:
    items, cursor = [], ""
    for _ in range(100):
        response = api.get(f"/api/v1/articles?limit={limit}&cursor={cursor}{query}")
        assert response.status_code == 200
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def test_cursor_pages_walk_every_live_article_once_newest_first(api):
    items = all_pages(api)
    ids = [i["id"] for i in items]
    expected = list(
        ArticlePage.objects.live()
        .exclude(published_at=None)
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)
    )
    assert ids == expected


def test_articles_filter_by_channel_with_its_sub_channels_by_tag_and_by_date(api):
    markets = ChannelPage.objects.get(slug="markets")
    in_markets = set(ArticlePage.objects.live().descendant_of(markets).values_list("pk", flat=True))
    assert {i["id"] for i in all_pages(api, "&channel=markets")} == in_markets
    assert {i["id"] for i in all_pages(api, f"&channel={markets.pk}")} == in_markets

    tagged = ArticlePage.objects.live().filter(tagged_items__isnull=False).first()
    slug = tagged.tags.first().slug
    with_tag = set(
        ArticlePage.objects.live().filter(tagged_items__tag__slug=slug).values_list("pk", flat=True)
    )
    found = all_pages(api, f"&tag={slug}")
    assert {i["id"] for i in found} == with_tag and all(slug in i["tags"] for i in found)

    middle = sorted(ArticlePage.objects.live().values_list("published_at", flat=True))[
        len(with_tag) // 2 + 5
    ]
    since = middle.isoformat().replace("+00:00", "Z")
    after = all_pages(api, f"&since={since}")
    assert after and all(i["published_at"] >= middle.isoformat()[:19] for i in after)
    before = all_pages(api, f"&until={since}")
    assert len(after) + len(before) == ArticlePage.objects.live().count()


def test_bad_filters_get_a_clear_4xx(api):
    assert api.get("/api/v1/articles?cursor=not-a-cursor").status_code == 400
    assert api.get("/api/v1/articles?channel=no-such-channel").status_code == 404
    assert api.get("/api/v1/articles?limit=0").status_code == 422
    assert api.get("/api/v1/articles?since=yesterday").status_code == 422
    # Any offset ISO 8601 allows, on PostgreSQL too (which itself takes ±15:59 at most).
    far = api.get("/api/v1/articles?until=0510-01-07T20%3A36%3A32-23%3A35")
    assert far.status_code == 200 and far.json()["items"] == []
    assert api.get("/api/v1/articles?since=0001-01-01T00%3A00%2B23%3A00").status_code == 422
    assert api.get("/api/v1/articles/999999999").status_code == 404


def test_an_article_comes_with_structured_body_tags_channel_path_images_and_source(api):
    article = ArticlePage.objects.live().exclude(lead_image=None).first()
    body = api.get(f"/api/v1/articles/{article.pk}").json()
    assert body["title"] == article.title
    assert [c["slug"] for c in body["channel_path"]][-1] == article.get_parent().slug
    assert body["lead_image"]["renditions"]["thumbnail"].startswith("/media/")
    assert body["body"] and {b["type"] for b in body["body"]} <= {
        "paragraph",
        "heading",
        "image",
        "quote",
        "embed",
    }
    assert all(isinstance(b["value"], (str, dict)) for b in body["body"])
    assert body["source"]["canonical_url"].endswith(article.url)
    assert set(body["tags"]) == set(article.tags.values_list("slug", flat=True))


def test_unchanged_content_answers_304_until_a_publish_changes_it(api):
    first = api.get("/api/v1/articles?limit=3")
    etag = first["ETag"]
    assert first["Cache-Control"].startswith("public")
    again = api.get("/api/v1/articles?limit=3", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert api.get("/api/v1/articles?limit=4", HTTP_IF_NONE_MATCH=etag).status_code == 200
    content_generation_bump()  # what publishing does
    assert api.get("/api/v1/articles?limit=3", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_an_article_answers_if_modified_since_with_its_last_publication(api):
    article = ArticlePage.objects.live().first()
    response = api.get(f"/api/v1/articles/{article.pk}")
    stamp = response["Last-Modified"]
    assert (
        api.get(f"/api/v1/articles/{article.pk}", HTTP_IF_MODIFIED_SINCE=stamp).status_code == 304
    )
    assert (
        api.get(
            f"/api/v1/articles/{article.pk}", HTTP_IF_MODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT"
        ).status_code
        == 200
    )


def test_channels_come_as_a_tree(api):
    tree = api.get("/api/v1/channels").json()
    markets = next(c for c in tree if c["slug"] == "markets")
    assert "stocks" in [c["slug"] for c in markets["children"]]
    assert len(tree) == ChannelPage.objects.live().filter(depth=3).count()


def test_tags_page_by_slug(api):
    first = api.get("/api/v1/tags?limit=3").json()
    assert len(first) == 3 and first == sorted(first, key=lambda t: t["slug"])
    rest = api.get(f"/api/v1/tags?limit=3&after={first[-1]['slug']}").json()
    assert rest and rest[0]["slug"] > first[-1]["slug"]


def test_search_ranks_as_the_site_does_and_pages(api, client):
    article = ArticlePage.objects.live().first()
    word = article.title.split()[0]
    body = api.get(f"/api/v1/search?q={word}&limit=2").json()
    assert body["count"] >= 1 and body["items"]
    site = client.get(f"/search/?q={word}")
    assert site.context["results"][0].pk == body["items"][0]["id"]
    assert api.get("/api/v1/search?q=").status_code == 422


def test_stories_list_and_detail_follow_the_story_desk(api):
    services.index_rebuild()
    story = desk.story_list_recent()[0]
    listed = api.get("/api/v1/stories?days=14").json()
    assert story.story in [s["story"] for s in listed]
    detail = api.get(f"/api/v1/stories/{story.story}").json()
    first = detail["articles"][0]["id"]
    locked = desk.story_split(article_id=first)
    assert api.get(f"/api/v1/stories/{locked}").json()["articles"][0]["id"] == first
    assert first not in [
        a["id"] for a in api.get(f"/api/v1/stories/{story.story}").json()["articles"]
    ]
    assert api.get("/api/v1/stories/123456789").status_code == 404


def test_a_key_is_asked_for_only_when_the_setting_requires_one(api, settings):
    settings.MASTHEAD_API_KEY_REQUIRED = True
    settings.MASTHEAD_API_KEYS = ["k-123"]
    assert api.get("/api/v1/channels").status_code == 401
    assert api.get("/api/v1/channels", HTTP_X_API_KEY="wrong").status_code == 401
    answered = api.get("/api/v1/channels", HTTP_X_API_KEY="k-123")
    assert answered.status_code == 200 and answered["Cache-Control"].startswith("private")


def test_every_read_response_is_declared_in_the_openapi_document(api):
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    for path in [
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/channels",
        "/api/v1/tags",
        "/api/v1/search",
        "/api/v1/stories",
        "/api/v1/stories/{story}",
        "/api/v1/recommendation",
    ]:
        declared = set(paths[path]["get"]["responses"])
        assert {"200", "304", "401"} <= declared, path
