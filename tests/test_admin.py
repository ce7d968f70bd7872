"""The admin: login throttling, no Django admin in production, who reads ingestion."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def editor_account(db) -> User:
    user = User.objects.create_user("edna", password=PASSWORD, is_superuser=True, is_staff=True)
    return user


def login(client: Client, password: str):
    return client.post(
        "/admin/login/", {"username": "edna", "password": password, "next": "/admin/"}
    )


def test_wrong_passwords_lock_the_address_out_even_for_the_right_one(editor_account, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [login(attacker, "guess").status_code for _ in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]  # the form again, then locked
    assert login(attacker, PASSWORD).status_code == 429
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert login(elsewhere, PASSWORD).status_code == 302  # the editor is not locked out


def test_a_right_password_under_the_limit_logs_in(editor_account):
    client = Client(REMOTE_ADDR="203.0.113.9")
    login(client, "typo")
    assert login(client, PASSWORD).status_code == 302


def test_the_django_admin_is_not_served_in_production(db, client):
    assert client.get("/django-admin/").status_code == 404


def test_moderators_read_ingested_items_but_do_not_manage_sources(db, home):
    moderator = User.objects.create_user("mo", password=PASSWORD)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client = Client()
    client.force_login(moderator)
    assert client.get("/admin/snippets/ingest/item/").status_code == 200
    assert client.get("/admin/snippets/ingest/source/").status_code in (302, 403)
    assert client.get("/admin/snippets/ingest/source/add/").status_code in (302, 403)
