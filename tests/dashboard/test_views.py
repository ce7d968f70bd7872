"""The analytics pages in the admin: who may see them, what they show, CSV downloads."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.utils import timezone

from masthead.dashboard import rollup
from masthead.engagement import hourly
from masthead.engagement.models import ArticleActivity
from masthead.engagement.ranking import hour_start
from masthead.news.models import ArticlePage
from masthead.news.search_log import search_query_record

pytestmark = pytest.mark.django_db


def login(group: str | None) -> Client:
    user = User.objects.create_user(f"user-{group}", password="x")
    if group:
        user.groups.add(Group.objects.get(name=group))
    else:
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def traffic(home):
    """Two hours of views on two articles, widget impressions and clicks, two searches."""
    a, b = ArticlePage.objects.live().order_by("pk")[:2]
    hour = hour_start(timezone.now()) - timedelta(hours=1)
    ArticleActivity.objects.create(
        article=a, hour=hour, path=a.path, view_count=9, reaction_count=2
    )
    ArticleActivity.objects.create(
        article=b, hour=hour, path=b.path, view_count=4, reaction_count=0
    )
    hourly.page_shown_record(
        reader_id="r1", article_id=a.pk, source="related", shown={"related": 4}, at=hour
    )
    hourly.page_shown_record(
        reader_id="r2", article_id=a.pk, source="home", shown={"related": 4}, at=hour
    )
    hourly.widget_click_record(
        reader_id="r1", widget="related", position=1, article_id=a.pk, target_id=b.pk, at=hour
    )
    search_query_record(query="Copper prices", result_count=3, at=hour)
    search_query_record(query="coppper", result_count=0, at=hour)
    rollup.rollup_refresh()
    return a, b


def chart(response, chart_id: str) -> dict:
    found = re.search(
        rf'<script id="{chart_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, chart_id
    return json.loads(found.group(1))


@pytest.mark.parametrize("group", ["Editors", "Moderators"])
def test_editors_and_moderators_see_the_analytics_menu_and_pages(traffic, group):
    client = login(group)
    assert b"Analytics" in client.get("/admin/").content
    for url in [
        "/admin/analytics/",
        "/admin/analytics/widgets/",
        "/admin/analytics/search/",
        "/admin/analytics/ingestion/",
        f"/admin/analytics/articles/{traffic[0].pk}/",
    ]:
        assert client.get(url).status_code == 200, url


def test_users_without_the_permission_are_kept_out(traffic):
    client = login(None)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/analytics/").status_code in (302, 403)
    assert b'href="/admin/analytics/"' not in client.get("/admin/").content


def test_the_overview_charts_and_tables_carry_the_counted_views(traffic):
    a, b = traffic
    page = login("Editors").get("/admin/analytics/?window=24h&bucket=hour")
    data = chart(page, "chart-activity")
    assert sum(data["lines"]["views"]) == 13 and sum(data["lines"]["reactions"]) == 2
    assert len(data["labels"]) == 24
    assert page.context["top"][0].article.pk == a.pk and page.context["top"][0].view_count == 9


def test_csv_downloads_hold_the_same_numbers_as_the_tables(traffic):
    client = login("Editors")
    response = client.get("/admin/analytics/?window=24h&csv=top")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "rank" and [r[1] for r in rows[1:]] == [
        str(traffic[0].pk),
        str(traffic[1].pk),
    ]
    widgets = list(
        csv.reader(
            io.StringIO(
                client.get("/admin/analytics/widgets/?window=24h&csv=widgets").content.decode()
            )
        )
    )
    assert widgets[1] == ["related", "8", "1", "0.1250"]


def test_the_article_page_shows_where_readers_came_from_and_its_lists(traffic):
    a, _ = traffic
    page = login("Editors").get(f"/admin/analytics/articles/{a.pk}/")
    assert sum(chart(page, "chart-article")["lines"]["views"]) == 9
    sources = chart(page, "chart-sources")
    assert dict(zip(sources["labels"], sources["lines"]["views"], strict=True)) == {
        "Related": 1,
        "Home page": 1,
    }


def test_the_article_edit_view_has_an_analytics_tab_for_editors(traffic):
    a, _ = traffic
    edit = login("Editors").get(f"/admin/pages/{a.pk}/edit/")
    assert edit.status_code == 200
    content = edit.content.decode()
    assert "Analytics" in content and 'id="chart-panel-article"' in content
    assert "chart.umd.min.js" in content


def test_the_search_page_lists_top_and_zero_result_queries(traffic):
    page = login("Editors").get("/admin/analytics/search/?window=24h")
    assert page.context["top"][0][0] in ("copper prices", "coppper")
    assert page.context["zero"] == [("coppper", 1, 1)]
