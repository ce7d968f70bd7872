import time
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page, Workflow

from masthead.news.models import ArticlePage


def test_editors_and_moderators_groups_exist(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"Editors", "Moderators"}


def test_articles_go_through_the_editor_review_workflow(home):
    workflow = Workflow.objects.get(name="Editor review")
    assert workflow.active
    tasks = list(workflow.tasks.specific())
    assert [group.name for group in tasks[0].groups.all()] == ["Moderators"]
    article = ArticlePage.objects.live()[0]
    assert article.get_workflow() == workflow


def test_a_scheduled_article_goes_live_when_the_periodic_job_runs(client, stocks):
    article = ArticlePage(title="Embargoed results", live=False)
    stocks.add_child(instance=article)
    go_live = timezone.now() + timedelta(seconds=1.5)
    article.go_live_at = go_live
    article.save_revision().publish()
    article.refresh_from_db()
    assert not article.live
    assert client.get("/markets/stocks/embargoed-results/").status_code == 404

    call_command("run_periodic", once=True)
    article.refresh_from_db()
    assert not article.live  # not yet due

    time.sleep(max(0.0, (go_live - timezone.now()).total_seconds()) + 0.1)
    call_command("run_periodic", once=True)
    article.refresh_from_db()
    assert article.live
    assert client.get("/markets/stocks/embargoed-results/").status_code == 200


def test_an_expired_article_is_unpublished_by_the_periodic_job(client, make_article):
    article = make_article(title="Short-lived offer")
    Page.objects.filter(pk=article.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    call_command("run_periodic", once=True)
    article.refresh_from_db()
    assert not article.live
    assert client.get(article.url or "/markets/stocks/short-lived-offer/").status_code == 404
