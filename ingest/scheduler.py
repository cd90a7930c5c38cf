"""The pipeline on a timer: fetch -> full text -> index, in exactly one process.

APScheduler runs two jobs, and any others its caller hands it (services.jobs adds the
email digests):
- `pipeline` every PAPERSIFT_SCHEDULE_HOURS: the three stages in order (the index stage also
  encodes the new version's embeddings, on RQ workers when they listen). Coalesced (missed
  runs collapse into one), never two at once (max_instances=1), and a run up to
  MISFIRE_GRACE late (a suspended laptop, a busy process) still happens.
- `leader` every HEARTBEAT seconds: takes or renews the scheduler lock (Redis with
  REDIS_URL, else a lock file in the data dir). Only the holder runs the pipeline and the
  other jobs; the others stay standby and take over when the leader stops (its lock
  expires or is freed).

A stage that fails is logged in one line and the next stages and runs still happen. An
unreachable arXiv is a warning per run, not a traceback: offline machines keep serving.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from config import Settings
from ingest.locks import Lock, make_lock

log = logging.getLogger("papersift.scheduler")

PIPELINE_JOB = "pipeline"
LEADER_JOB = "leader"
MISFIRE_GRACE = 3600          # seconds a run may be late and still run
HEARTBEAT = 15.0              # seconds between lock renewals
LOCK_TTL = 60.0               # a dead leader's Redis lock frees itself after this

# a stage returns UNREACHABLE when arXiv cannot be reached: stages that download from arXiv
# (NEEDS_ARXIV) are then skipped for this run instead of failing paper by paper
Stage = Callable[[Engine, Settings], object]
UNREACHABLE = "unreachable"
NEEDS_ARXIV = frozenset({"fulltext"})


def fetch_stage(engine: Engine, settings: Settings) -> str | None:
    from ingest.fetch import fetch_new

    summary = fetch_new(engine, settings)
    if summary.status == "ok":
        log.info("scheduled fetch: %s", summary.text())
    elif summary.status == "busy":
        log.info("scheduled fetch skipped: %s", summary.message)
    else:
        log.warning("scheduled fetch failed (arXiv unreachable or failing; will retry at the next run): %s",
                    summary.message)
        return UNREACHABLE if summary.unreachable else None
    return None


def fulltext_stage(engine: Engine, settings: Settings) -> None:
    try:
        from ingest.fulltext_pipeline import run_fulltext
    except ImportError:
        log.info("full text skipped: the full-text pipeline is not installed")
        return
    summary = run_fulltext(engine, settings)
    log.info("scheduled full text: %s", summary.summary())


def index_stage(engine: Engine, settings: Settings) -> None:
    """Build the index if the store changed, then encode the papers' vectors for it: the
    site serves the new version lexically at once and turns hybrid when the vectors land."""
    from ingest import indexing
    from ingest.embeddings import embed_with_workers

    log.info("scheduled index: %s", indexing.build(engine, settings).summary())
    log.info("scheduled embeddings: %s", embed_with_workers(engine, settings).summary())


@dataclass(frozen=True)
class Job:
    """A job run every `every` by the leader only, beside the pipeline (e.g. email digests)."""

    id: str
    name: str
    every: timedelta
    run: Callable[[Engine, Settings], object]


STAGES: tuple[tuple[str, Stage], ...] = (
    ("fetch", fetch_stage), ("fulltext", fulltext_stage), ("index", index_stage))


def run_pipeline(engine: Engine, settings: Settings,
                 stages: Sequence[tuple[str, Stage]] = STAGES) -> dict[str, str]:
    """Run each stage in order; a failing stage is logged (one line) and the next still runs."""
    results: dict[str, str] = {}
    for name, stage in stages:
        if name in NEEDS_ARXIV and UNREACHABLE in results.values():
            log.info("scheduled %s skipped: arXiv is unreachable this run", name)
            results[name] = "skipped"
            continue
        try:
            outcome = stage(engine, settings)
            results[name] = UNREACHABLE if outcome == UNREACHABLE else "ok"
        except Exception as exc:  # noqa: BLE001 - a stage must never kill the scheduler
            log.error("scheduled %s failed: %s: %s", name, exc.__class__.__name__, exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))
            results[name] = "failed"
    return results


class PipelineScheduler:
    """APScheduler with the pipeline and leader jobs; run only while holding the lock."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        blocking: bool = False,
        stages: Sequence[tuple[str, Stage]] = STAGES,
        interval: timedelta | None = None,
        heartbeat: float = HEARTBEAT,
        first_run_delay: float = 0.0,
        lock: Lock | None = None,
        jobs: Sequence[Job] = (),
    ) -> None:
        self.engine, self.settings, self.stages = engine, settings, stages
        self.lock = lock or make_lock(settings, "scheduler", ttl=LOCK_TTL)
        self.is_leader = False
        self.runs = 0
        cls: type[BaseScheduler] = BlockingScheduler if blocking else BackgroundScheduler
        self.scheduler = cls(timezone=UTC)
        now = datetime.now(UTC)
        once = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE}
        self.scheduler.add_job(self._heartbeat, IntervalTrigger(seconds=heartbeat), id=LEADER_JOB,
                               name="take or renew the scheduler lock", next_run_time=now, **once)
        every = interval or timedelta(hours=settings.schedule_hours)
        self.scheduler.add_job(self._pipeline, IntervalTrigger(seconds=every.total_seconds()),
                               id=PIPELINE_JOB, name="fetch -> fulltext -> index",
                               next_run_time=now + timedelta(seconds=first_run_delay), **once)
        for job in jobs:
            every_job = IntervalTrigger(seconds=job.every.total_seconds())
            self.scheduler.add_job(partial(self._as_leader, job), every_job, id=job.id, name=job.name, **once)

    def _heartbeat(self) -> None:
        leader = self.lock.acquire()
        if leader != self.is_leader:
            log.info("this scheduler is %s", "now the leader" if leader else "standby (another one leads)")
        self.is_leader = leader

    def _pipeline(self) -> None:
        self._heartbeat()
        if not self.is_leader:
            return
        self.runs += 1
        log.info("pipeline run %d starting", self.runs)
        run_pipeline(self.engine, self.settings, self.stages)

    def _as_leader(self, job: Job) -> None:
        if self.is_leader:
            job.run(self.engine, self.settings)

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.lock.release()
        self.is_leader = False


def start_background(engine: Engine, settings: Settings, *, first_run_delay: float = 30.0,
                     jobs: Sequence[Job] = ()) -> PipelineScheduler:
    """The scheduler in a background thread (for `run-all`); the first run after a short delay
    so the site is up first."""
    sched = PipelineScheduler(engine, settings, first_run_delay=first_run_delay, jobs=jobs)
    sched.start()
    log.info("scheduler started in the background: every %g h", settings.schedule_hours)
    return sched


def run_blocking(engine: Engine, settings: Settings, *, jobs: Sequence[Job] = ()) -> None:
    """`papersift scheduler`: run in the foreground until SIGINT/SIGTERM."""
    sched = PipelineScheduler(engine, settings, blocking=True, jobs=jobs)
    signal.signal(signal.SIGTERM, lambda *_: sched.shutdown())
    log.info("scheduler running: fetch -> fulltext -> index every %g h", settings.schedule_hours)
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sched.shutdown()
