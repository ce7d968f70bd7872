"""An admin publish queues each page's search-index and reference-index updates once."""

from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django_tasks.signals import task_enqueued
from wagtail.models import Page
from wagtail.search.models import IndexEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from masthead.news.indexing import index_updates_batched
from masthead.news.models import ArticlePage

INDEX_TASKS = {"insert_or_update_object_task", "update_reference_index_task"}


@pytest.fixture
def editor(db, client):
    user = User.objects.create_superuser("indexing-editor", "e@example.com", "pw-indexing")
    client.force_login(user)
    return user


def test_an_admin_publish_queues_each_index_update_once_and_the_index_finds_the_article(
    client, editor, stocks
):
    queued: Counter[tuple[str, tuple]] = Counter()

    def note(sender, task_result, **kwargs) -> None:
        if task_result.task.name in INDEX_TASKS:
            queued[(task_result.task.name, tuple(task_result.args))] += 1

    task_enqueued.connect(note, dispatch_uid="test-indexing")
    try:
        response = client.post(
            f"/admin/pages/add/news/articlepage/{stocks.pk}/",
            nested_form_data(
                {
                    "title": "Quillwort growers report a record harvest",
                    "slug": "quillwort-growers-record-harvest",
                    "dek": "Growers in the valley doubled their yield.",
                    "body": streamfield(
                        [("paragraph", rich_text("<p>Quillwort prices fell.</p>"))]
                    ),
                    "tags": "quillwort, harvest",
                    "related_overrides": inline_formset([]),
                    "action-publish": "publish",
                }
            ),
        )
    finally:
        task_enqueued.disconnect(dispatch_uid="test-indexing")
    assert response.status_code == 302, response.content.decode()[:2000]
    article = ArticlePage.objects.get(slug="quillwort-growers-record-harvest")
    assert article.live
    key = ("news", "articlepage", str(article.pk))
    assert queued == {
        ("insert_or_update_object_task", key): 1,
        ("update_reference_index_task", key): 1,
    }
    assert list(ArticlePage.objects.live().search("quillwort")) == [article]


def test_a_deleted_article_leaves_the_search_index(make_article):
    """modelsearch's own delete handler is off for Masthead's pages with its save handler; the
    index rows go with the page through their generic relation."""
    article = make_article(title="Quillwort exports halted at the border")
    page_types = ContentType.objects.get_for_models(Page, ArticlePage).values()
    entries = IndexEntry.objects.filter(content_type__in=page_types, object_id=str(article.pk))
    assert entries.exists()

    article.delete()

    assert not entries.exists()


def test_a_page_created_in_a_request_that_rolls_back_queues_no_index_update(make_article):
    """Inside an admin request's batch, a page whose creation rolls back leaves nothing to
    index: it is gone, and a task for it would only fail."""
    queued: list[tuple] = []

    def note(sender, task_result, **kwargs) -> None:
        if task_result.task.name in INDEX_TASKS:
            queued.append(tuple(task_result.args))

    task_enqueued.connect(note, dispatch_uid="test-indexing-rollback")
    try:
        with index_updates_batched(), pytest.raises(RuntimeError), transaction.atomic():
            make_article(title="Quillwort exports halted at the border")
            raise RuntimeError("the request fails after the save")
    finally:
        task_enqueued.disconnect(dispatch_uid="test-indexing-rollback")
    assert queued == []
