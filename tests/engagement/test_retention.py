from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from masthead import periodic
from masthead.engagement import services
from masthead.engagement.models import ReaderView
from masthead.engagement.readers import Reader


def test_history_older_than_the_retention_period_is_deleted(article, settings, flushed):
    settings.MASTHEAD_HISTORY_RETENTION_DAYS = 90
    reader = Reader(id="c" * 32, is_private=False, is_new=False)
    now = timezone.now()
    services.view_record(reader=reader, article_id=article.pk, at=now - timedelta(days=91))
    services.view_record(reader=reader, article_id=article.pk, at=now - timedelta(days=10))
    flushed()
    assert ReaderView.objects.count() == 2
    call_command("purge_history")
    assert list(ReaderView.objects.values_list("viewed_at", flat=True)) == [
        now - timedelta(days=10)
    ]


def test_the_retention_job_runs_from_the_periodic_registry(article, flushed):
    job = next(j for j in periodic.jobs() if j.command == "purge_history")
    reader = Reader(id="d" * 32, is_private=False, is_new=False)
    services.view_record(
        reader=reader, article_id=article.pk, at=timezone.now() - timedelta(days=400)
    )
    flushed()
    assert job.run() == 1
    assert not ReaderView.objects.exists()
