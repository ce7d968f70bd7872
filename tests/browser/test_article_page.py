import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def test_a_reader_sees_breadcrumb_title_date_body_and_tags(page, site_url, output_dir):
    page.goto(f"{site_url}/markets/")
    page.locator(".card__title a").first.click()
    page.wait_for_load_state()

    breadcrumb = page.locator("nav.breadcrumb")
    assert breadcrumb.is_visible()
    assert breadcrumb.locator("a").first.inner_text() == "Home"
    title = page.locator("h1.article__title")
    assert title.is_visible() and title.inner_text()
    assert page.title() == f"{title.inner_text()} - Masthead News"
    date = page.locator(".article__date")
    assert date.is_visible()
    assert re.fullmatch(r"Date: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", date.inner_text())
    assert page.locator(".article__body p").first.is_visible()
    tags = page.locator(".tags a")
    assert tags.count() >= 1 and tags.first.is_visible()
    assert page.locator("article[data-article-id]").count() == 1
    page.screenshot(path=str(output_dir / "article-page.png"), full_page=True)

    tags.first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Tag: ")


def test_the_home_page_works_on_a_phone_sized_screen(browser, site_url, output_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(site_url)
    assert phone.locator(".top-stories h2").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    phone.screenshot(path=str(output_dir / "home-phone.png"), full_page=False)
    context.close()
