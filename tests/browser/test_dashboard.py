"""An Editor opens the analytics in the admin; the charts draw from real counted traffic."""

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
EDITOR = """
from django.contrib.auth.models import Group, User
user, _ = User.objects.get_or_create(username="editor")
user.set_password("editor-pass-123")
user.save()
user.groups.add(Group.objects.get(name="Editors"))
"""
COUNTS = """
from masthead.engagement.hourly_models import ArticleSourceHour, WidgetHour
from django.db.models import Sum
print(ArticleSourceHour.objects.filter(source="related").aggregate(n=Sum("view_count"))["n"] or 0,
      WidgetHour.objects.filter(widget="related").aggregate(n=Sum("click_count"))["n"] or 0)
"""


def masthead(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "masthead.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def analytics_site(site_url, site_env):
    masthead(site_env, "shell", "-c", EDITOR)
    masthead(site_env, "rebuild_discovery")
    masthead(site_env, "simulate", "--readers", "40", "--hours", "24", "--seed", "5")
    masthead(site_env, "dashboard_rollup")
    return site_url


def log_in(page, url):
    page.goto(url + "/admin/login/")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", "editor-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/admin/")


def drawn_points(page, chart_id: str) -> int:
    page.wait_for_selector(f'canvas[data-chart="{chart_id}"][data-points]')
    return page.evaluate(
        """id => { const c = document.querySelector(`canvas[data-chart="${id}"]`).chart;
                   return c.data.datasets.reduce((n, d) => n + d.data.filter(v => v > 0).length, 0); }""",
        chart_id,
    )


def test_an_editor_sees_the_overview_and_an_articles_analytics_drawn_as_charts(
    analytics_site, page, output_dir
):
    log_in(page, analytics_site)
    page.click("text=Analytics")
    page.goto(analytics_site + "/admin/analytics/?window=24h&bucket=hour")
    assert page.locator("canvas[data-chart]").count() == 2
    assert drawn_points(page, "chart-activity") > 0
    assert drawn_points(page, "chart-channels") > 0
    canvas = page.locator('canvas[data-chart="chart-activity"]').bounding_box()
    assert canvas["width"] > 300 and canvas["height"] > 100
    page.screenshot(path=str(output_dir / "dashboard-overview.png"), full_page=True)

    page.locator("table.listing a").first.click()
    page.wait_for_url("**/admin/analytics/articles/**")
    assert drawn_points(page, "chart-article") > 0
    assert drawn_points(page, "chart-sources") > 0
    page.screenshot(path=str(output_dir / "dashboard-article.png"), full_page=True)

    page.goto(analytics_site + "/admin/analytics/widgets/?window=24h")
    assert drawn_points(page, "chart-widgets") > 0
    page.screenshot(path=str(output_dir / "dashboard-widgets.png"), full_page=True)


def test_a_readers_click_on_related_is_counted_with_its_origin_and_position(
    analytics_site, browser, site_env
):
    before = [int(n) for n in masthead(site_env, "shell", "-c", COUNTS).splitlines()[-1].split()]
    context = browser.new_context(user_agent=DESKTOP)
    page = context.new_page()
    page.goto(analytics_site + "/")
    page.locator("main a[href*='/']").filter(has_text=" ").first.click()
    page.wait_for_selector('[data-widget="related"] a[data-target]')
    page.locator('[data-widget="related"] a[data-target]').first.click()
    page.wait_for_selector("article[data-article-id]")
    page.wait_for_timeout(500)
    context.close()
    after = [int(n) for n in masthead(site_env, "shell", "-c", COUNTS).splitlines()[-1].split()]
    assert after[0] == before[0] + 1  # the second article's view came from Related
    assert after[1] == before[1] + 1  # one click on a Related position
