"""The scheduler carries an hourly digest job when email is configured, run only by the leader."""

from __future__ import annotations

from services.jobs import pipeline_scheduler
from tests.helpers.feeds import engine_of, smtp_settings, subscribe


def test_digest_job_exists_only_with_smtp_and_sends_as_leader(feeds_app, smtp_server):
    engine = engine_of(feeds_app)
    plain = pipeline_scheduler(engine, feeds_app.config["SETTINGS"], stages=())
    assert plain.scheduler.get_job("digest") is None

    subscribe(feeds_app, "ada", "ada@example.org")
    sched = pipeline_scheduler(engine, smtp_settings(feeds_app, smtp_server), stages=())
    job = sched.scheduler.get_job("digest")
    assert job is not None and job.trigger.interval.total_seconds() == 3600
    job.func()                                   # standby: another process leads
    assert smtp_server.inbox.messages == []
    sched.is_leader = True
    job.func()
    assert [to for to, _ in smtp_server.inbox.messages] == [["ada@example.org"]]
    sched.shutdown()
    plain.shutdown()
