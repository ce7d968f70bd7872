"""The API does what its OpenAPI document says: bounded inputs, one error shape, every answer
declared; and its docs page runs on the site's own static files."""

import json
import re

import pytest

from tests.engagement.conftest import BROWSER

HUGE = "9223372036854775808"  # 2^63: one past the largest database key


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("get", f"/api/v1/articles/{HUGE}/reader-context", None),
        ("get", f"/api/v1/articles/{HUGE}/discovery", None),
        ("put", f"/api/v1/articles/{HUGE}/reactions/verygood", {"active": True}),
        ("post", "/api/v1/events", {"type": "view", "article": int(HUGE)}),
        (
            "post",
            "/api/v1/events",
            {"type": "click", "article": 1, "widget": "ranking", "target": int(HUGE)},
        ),
        ("put", "/api/v1/articles/1/reactions/" + "k" * 200, {"active": True}),
    ],
)
def test_out_of_range_inputs_are_a_422_in_the_declared_error_shape(
    client, home, method, path, body
):
    data = json.dumps(body) if body is not None else None
    response = getattr(client, method)(
        path, data, content_type="application/json", HTTP_USER_AGENT=BROWSER
    )
    assert response.status_code == 422
    payload = response.json()
    assert set(payload) == {"error"} and payload["error"]


@pytest.mark.parametrize(
    "path,status",
    [
        (f"/articles/{HUGE}/react/", 404),
        (f"/events/pixel/{HUGE}.gif", 404),
        ("/search/?channel=99999999999999999999", 200),
        ("/search/?channel=%C2%B2", 200),
        ("/api/v1/ranking?channel=%C2%B2", 404),
        (f"/api/v1/ranking?channel={HUGE}", 404),
    ],
)
def test_numbers_a_database_cannot_hold_are_never_a_server_error(client, home, path, status):
    assert client.get(path, HTTP_USER_AGENT=BROWSER).status_code == status


@pytest.mark.parametrize(
    "path,status",
    [
        ("/api/v1/ranking?channel=%00", 422),
        ("/api/v1/articles?tag=a%00b", 422),
        ("/api/v1/articles?channel=%00", 422),
        ("/api/v1/tags?prefix=%00", 422),
        ("/api/v1/search?q=markets%00", 422),
        ("/search/?q=markets&channel=%00", 400),
        ("/search/?q=%00", 400),
        ("/tags/a%00b/", 400),
        ("/markets%00/", 400),
    ],
)
def test_a_nul_character_in_a_url_is_refused_never_a_server_error(client, home, path, status):
    """PostgreSQL refuses NUL in any text it is sent: a query or slug carrying one must stop at
    the door, with the API's own error shape on the API."""
    response = client.get(path, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == status
    if path.startswith("/api/"):
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize("path,status", [("/admin/", 400), ("/api/v1/ranking", 422)])
def test_a_nul_character_in_a_cookie_is_refused_never_a_server_error(client, home, path, status):
    cookie = 'sessionid="\\000abcdefghij"'  # Django decodes the octal escape to a NUL
    response = client.get(path, HTTP_USER_AGENT=BROWSER, HTTP_COOKIE=cookie)
    assert response.status_code == status


def test_a_validation_error_names_the_field(client, home):
    response = client.post(
        "/api/v1/events",
        json.dumps({"type": "view", "article": -1}),
        content_type="application/json",
    )
    assert response.json() == {"error": "article: Input should be greater than 0"}


def test_unknown_api_paths_answer_in_the_error_shape(client, db):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response.json() == {"error": "not found"}


def test_every_operation_declares_the_errors_the_api_gives(client, db):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            # A 422 needs something to validate: parameters or a body.
            takes_input = operation.get("parameters") or operation.get("requestBody")
            wanted = {"400", "413"} | ({"422"} if takes_input else set())
            assert wanted <= declared, (method, path)
    throttled = [
        document["paths"]["/api/v1/events"]["post"],
        document["paths"]["/api/v1/articles/{article_id}/reactions/{kind}"]["put"],
    ]
    for operation in throttled:
        assert "429" in operation["responses"]
        schema = operation["responses"]["429"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def test_the_docs_page_loads_swagger_ui_from_our_static_files(client, db):
    html = client.get("/api/v1/docs").content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert "cdn" not in html.lower()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/json"' in attributes for attributes in inline)
    for src in scripts:
        assert client.get(src).status_code == 200
