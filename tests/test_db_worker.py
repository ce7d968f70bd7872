"""The task worker command: django-tasks' database worker, warmed up first."""

import logging

import pytest
from django_tasks_db.management.commands.db_worker import Command as TaskWorker

from masthead.discovery import services
from masthead.management.commands.db_worker import Command

pytestmark = pytest.mark.django_db


def test_the_task_worker_opens_the_index_before_running_tasks(corpus, monkeypatch):
    index_open_when_tasks_start = []
    monkeypatch.setattr(
        TaskWorker,
        "handle",
        lambda self, *args, **options: index_open_when_tasks_start.append(services._index),
    )
    services.index_forget()
    Command().handle()
    assert index_open_when_tasks_start[0] is not None


def test_the_task_worker_runs_its_tasks_when_warming_fails(corpus, monkeypatch):
    ran = []
    monkeypatch.setattr(TaskWorker, "handle", lambda self, *args, **options: ran.append(True))
    monkeypatch.setattr(services, "index_warm", lambda: 1 / 0)
    Command().handle()
    assert ran == [True]


def test_an_explicit_log_level_quiets_the_worker_task_lines(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    Command().configure_logging(verbosity=1)
    assert logging.getLogger("django_tasks_db").getEffectiveLevel() == logging.ERROR
    monkeypatch.delenv("LOG_LEVEL")
    Command().configure_logging(verbosity=1)
    assert logging.getLogger("django_tasks_db").getEffectiveLevel() == logging.INFO
