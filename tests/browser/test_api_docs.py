import pytest

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def test_the_api_docs_render_under_the_sites_content_security_policy(page, site_url):
    violations, outside = [], []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(site_url) and not request.url.startswith("data:")
            else None
        ),
    )
    response = page.goto(f"{site_url}/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "Masthead API" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    assert "/api/v1/events" in page.locator(".swagger-ui").inner_text()
    assert violations == []
    assert outside == []
