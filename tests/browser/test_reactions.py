import pytest

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def reaction_count(page) -> int:
    return int(page.locator("[data-reactions] .reaction__count").first.inner_text())


def open_article(page, url):
    page.goto(url)
    page.wait_for_selector("html[data-reader-ready=true]")


def test_a_reader_reacts_sees_the_count_rise_keeps_it_after_reload_and_withdraws(
    page, site_url, output_dir
):
    page.goto(f"{site_url}/world/")
    article_url = page.locator(".card__title a").first.get_attribute("href")
    open_article(page, site_url + article_url)
    button = page.locator("[data-reactions] .reaction").first
    assert button.inner_text().startswith("veryGood! (")
    before = reaction_count(page)

    button.click()
    page.wait_for_function(
        "n => document.querySelector('[data-reactions] .reaction__count').textContent == n",
        arg=str(before + 1),
    )
    page.wait_for_load_state("networkidle")
    assert button.get_attribute("aria-pressed") == "true"
    page.screenshot(path=str(output_dir / "article-reacted.png"))

    open_article(page, site_url + article_url)
    assert reaction_count(page) == before + 1
    assert page.locator("[data-reactions] .reaction").first.get_attribute("aria-pressed") == "true"

    page.locator("[data-reactions] .reaction").first.click()
    page.wait_for_function(
        "n => document.querySelector('[data-reactions] .reaction__count').textContent == n",
        arg=str(before),
    )
    page.wait_for_load_state("networkidle")
    open_article(page, site_url + article_url)
    assert reaction_count(page) == before
