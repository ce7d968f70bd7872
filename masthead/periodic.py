"""The site-wide registry of periodic jobs.

Each app registers its own jobs in its `AppConfig.ready()`; `masthead run_periodic` runs whatever is
registered, so the scheduler knows no app and no app knows the scheduler's loop. Every job is also a
management command, so a site without a long-running process can run them from cron.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    command: str  # the management command that runs the same job once, for cron


_jobs: dict[str, Job] = {}


def register(name: str, *, every_seconds: float, run: Callable[[], object], command: str) -> None:
    """Add a job; registering the same name again replaces it (apps may be set up twice in tests)."""
    _jobs[name] = Job(name, every_seconds, run, command)


def jobs() -> list[Job]:
    """The registered jobs, in registration order (which follows INSTALLED_APPS)."""
    return list(_jobs.values())
