from django.conf import settings
from django.test import override_settings

WITH_SITE_404 = [*settings.MIDDLEWARE, "masthead.news.not_found.SiteNotFoundMiddleware"]


@override_settings(DEBUG=True, MIDDLEWARE=WITH_SITE_404)
def test_with_debug_on_a_missing_page_still_has_the_sites_design(client, home):
    response = client.get("/no-such-channel/no-such-article/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html and 'class="masthead"' in html
    assert "URLconf" not in html


@override_settings(DEBUG=True, MIDDLEWARE=WITH_SITE_404)
def test_with_debug_on_an_unknown_tag_or_author_has_the_sites_design(client, home):
    for path in ["/tags/no-such-tag/", "/authors/nobody/", "/2025/02/30/"]:
        response = client.get(path)
        assert response.status_code == 404 and b"<h1>Page not found</h1>" in response.content


@override_settings(DEBUG=True, MIDDLEWARE=settings.MIDDLEWARE)
def test_without_the_middleware_debug_shows_djangos_page(client, home):
    assert b"<h1>Page not found</h1>" not in client.get("/no-such-channel/").content


def test_the_demo_settings_add_the_middleware_under_debug():
    import subprocess
    import sys

    code = (
        "from django.conf import settings; "
        "print('masthead.news.not_found.SiteNotFoundMiddleware' in settings.MIDDLEWARE)"
    )
    env = {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "masthead.settings", "PATH": ""}
    env["MASTHEAD_VAR_DIR"] = settings.VAR_DIR.as_posix()
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True", result.stderr


def test_favicon_ico_leads_to_the_sites_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)


def test_pages_link_the_icon(client, home):
    assert b'rel="icon"' in client.get("/").content
