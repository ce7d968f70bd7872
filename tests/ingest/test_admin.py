from django.contrib.auth import get_user_model

from masthead.ingest.models import Item, Source
from masthead.news.models import ArticlePage


def test_the_ingested_items_list_links_each_item_to_its_article(client, home):
    client.force_login(get_user_model().objects.create_superuser("ed", "", "pw-123456789"))
    source = Source.objects.create(name="Wire", url="https://wire.example/feed.xml")
    article = ArticlePage.objects.live().first()
    Item.objects.create(
        source=source, key="a", title="Became an article", status="new", article=article
    )
    Item.objects.create(source=source, key="b", title="A duplicate", status="duplicate")
    response = client.get("/admin/snippets/ingest/item/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/admin/pages/{article.pk}/edit/"' in html
    assert f'href="{article.url}"' in html
    assert html.count("Edit article") == 1
