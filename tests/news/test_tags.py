from taggit.models import Tag

from masthead.news import selectors
from masthead.news.models import ArticlePage


def test_a_tag_page_lists_the_tagged_stories_newest_first(client, home):
    article = ArticlePage.objects.live().filter(tagged_items__isnull=False)[0]
    tag = article.tags.all()[0]
    response = client.get(f"/tags/{tag.slug}/")
    assert response.status_code == 200
    listed = list(response.context["articles"])
    expected = selectors.article_list_stories_for_tag(slug=tag.slug)
    assert [a.pk for a in listed] == [a.pk for a in expected[:20]]
    html = response.content.decode()
    assert f"Tag: {tag.name}" in html
    assert f'href="/tags/{tag.slug}/feed/"' in html


def test_a_tag_page_is_paginated(client, home, settings):
    settings.MASTHEAD_PAGE_SIZE = 2
    tag = max(
        Tag.objects.all(),
        key=lambda t: selectors.article_list_stories_for_tag(slug=t.slug).count(),
    )
    response = client.get(f"/tags/{tag.slug}/", {"page": 2})
    assert response.status_code == 200
    assert response.context["articles"].number == 2
    assert 'rel="prev"' in response.content.decode()
