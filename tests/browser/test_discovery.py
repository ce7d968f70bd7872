import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def open_article(page, url):
    page.goto(url)
    page.wait_for_selector("html[data-reader-ready=true]")


def recommended(page) -> list[str]:
    return page.locator('[data-widget="recommendation"] a').evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )


def server_rendered(page, url) -> list[str]:
    """The Recommendation links in the HTML as served (before reader.js runs)."""
    html = page.request.get(url).text()
    section = html.split('data-widget="recommendation"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'href="([^"]+)"', section)


# Headless Chromium announces itself and is not counted as a reader; this one is a person.
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
def reader_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, user_agent=DESKTOP)
    yield context.new_page()
    context.close()


def test_a_returning_reader_gets_a_personal_recommendation_in_place_of_the_cached_one(
    reader_page, site_url, site_env, output_dir
):
    page = reader_page
    page.goto(f"{site_url}/markets/")
    article = page.locator(".card__title a").first.get_attribute("href")
    open_article(page, site_url + article)
    cached = server_rendered(page, site_url + article)
    page.wait_for_load_state("networkidle")

    open_article(page, site_url + cached[0])  # the reader reads the first recommendation
    page.wait_for_load_state("networkidle")  # its view beacon is in
    # Queued views reach the reader's history at the next flush (`run_periodic` every 5 s).
    flush = [sys.executable, "-m", "masthead.cli", "flush_events"]
    subprocess.run(flush, env=site_env, check=True, capture_output=True)
    open_article(page, site_url + article)
    page.wait_for_selector('[data-widget="recommendation"][data-personal="true"]')
    personal = recommended(page)
    assert server_rendered(page, site_url + article) == cached  # the shared page is unchanged
    # The personal list also leaves out the stories the reader read and the page's Ranking, so
    # on this 40-article site it may hold fewer items than the shared one.
    assert personal and personal != cached
    assert cached[0] not in personal and article not in personal
    reasons = page.locator('[data-widget="recommendation"] .widget__reason').all_inner_texts()
    assert all(reasons)
    page.screenshot(path=str(output_dir / "article-recommendation.png"), full_page=True)


def test_a_private_reader_keeps_the_shared_list(browser, site_url):
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"}, user_agent=DESKTOP)
    page = context.new_page()
    page.goto(f"{site_url}/markets/")
    links = page.locator(".card__title a").evaluate_all(
        "links => links.slice(0, 2).map(a => a.getAttribute('href'))"
    )
    for link in links:
        open_article(page, site_url + link)
        page.wait_for_load_state("networkidle")
    assert page.locator('[data-widget="recommendation"]').get_attribute("data-personal") == "false"
    context.close()
