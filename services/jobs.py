"""The scheduler's jobs: ingest's fetch -> full text -> index pipeline, plus the jobs that
are not about getting papers in (email digests), handed to ingest.scheduler here so that
ingest/ never imports the services above it.

`papersift scheduler` and `papersift run-all` start the scheduler through these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from config import Settings
from ingest import scheduler
from ingest.scheduler import Job, PipelineScheduler

DIGEST_EVERY = timedelta(hours=1)      # each user's digest goes out when it is due


def _send_digests(engine: Engine, settings: Settings) -> None:
    from services.digest import scheduled_digest  # SMTP and templates only when a digest runs

    scheduled_digest(engine, settings)


def jobs(settings: Settings) -> Sequence[Job]:
    """The jobs beside the pipeline: email digests, hourly, when SMTP is configured."""
    if not settings.smtp_host:
        return ()
    return (Job("digest", "email digests", DIGEST_EVERY, _send_digests),)


def pipeline_scheduler(engine: Engine, settings: Settings, **options: Any) -> PipelineScheduler:
    """A PipelineScheduler carrying papersift's jobs (options as PipelineScheduler takes them)."""
    return PipelineScheduler(engine, settings, jobs=jobs(settings), **options)


def start_background(engine: Engine, settings: Settings, *, first_run_delay: float = 30.0
                     ) -> PipelineScheduler:
    """The scheduler with every job in a background thread (`papersift run-all`)."""
    return scheduler.start_background(engine, settings, first_run_delay=first_run_delay,
                                      jobs=jobs(settings))


def run_blocking(engine: Engine, settings: Settings) -> None:
    """`papersift scheduler`: the pipeline and every job in the foreground until stopped."""
    scheduler.run_blocking(engine, settings, jobs=jobs(settings))
