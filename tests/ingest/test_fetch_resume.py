"""`papersift fetch` killed with SIGKILL mid-run, then run again: no duplicates, no gaps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import config
from store import runs, utcnow
from store.db import open_store
from store.schema import paper_categories, papers
from tests.helpers.paths import ROOT
from tests.ingest.fakearxiv import Entry, FakeArxiv, real_entries

PAPERSIFT = [sys.executable, "-c", "from app import cli; cli()"]


def _env(data_dir, fake: FakeArxiv) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERSIFT_", "FLASK_"))}
    env.update(PAPERSIFT_DATA_DIR=str(data_dir), PAPERSIFT_ARXIV_API_URL=fake.api_url,
               PAPERSIFT_ARXIV_DELAY="0.2", PAPERSIFT_ARXIV_PAGE_SIZE="5", PAPERSIFT_CATEGORIES="cs.CV",
               PAPERSIFT_SCHEDULER="0", PAPERSIFT_ARXIV_RETRIES="2", REDIS_URL="", DATABASE_URL="")
    return env


def _fetch(env) -> subprocess.CompletedProcess:
    return subprocess.run([*PAPERSIFT, "fetch"], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_fetch_killed_mid_run_resumes_without_duplicates_or_gaps(data_dir):
    # entries an hour apart ending half a day ago: the subprocess's first run wants them all
    entries = real_entries(60, start=utcnow() - timedelta(days=3))
    with FakeArxiv(entries) as fake:
        env = _env(data_dir, fake)
        proc = subprocess.Popen([*PAPERSIFT, "fetch"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(fake.api_requests()) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        killed_after = len(fake.api_requests())
        assert 5 <= killed_after < 12, "the run must be killed mid-way"

        engine = open_store(config.load_settings({}, data_dir=str(data_dir)))
        with engine.connect() as conn:
            (dead,) = runs.latest_runs(conn, "fetch")
            stored_at_kill = conn.execute(select(func.count()).select_from(papers)).scalar_one()
        assert dead.status == "running"             # kill -9: nothing got to finish the run
        assert stored_at_kill == dead.cursor["start"] and stored_at_kill < 60

        # two papers appear meanwhile, pushing every older entry two places down
        newest = max(e.updated for e in entries)
        fake.entries += [Entry(f"2611.0000{i}", 1, f"Arrived while the fetcher was down {i}", ("A. B",),
                               "Abstract.", ("cs.CV",), newest + timedelta(minutes=10 + i),
                               newest + timedelta(minutes=10 + i)) for i in range(2)]
        resumed = _fetch(env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert f"resumed run {dead.id}" in resumed.stdout
        first_resumed = fake.api_requests()[killed_after]
        assert int(first_resumed.params["start"]) == dead.cursor["start"]

        with engine.connect() as conn:
            got = list(conn.execute(select(papers.c.id)).scalars())
            cats = conn.execute(select(func.count()).select_from(paper_categories)).scalar_one()
            listed = sum(len(json.loads(c)) for c in conn.execute(select(papers.c.categories)).scalars())
            old = runs.get_run(conn, dead.id)
        assert sorted(got) == sorted(e.id for e in entries)   # every original paper, once
        assert cats == listed                         # category rows match, none doubled
        assert old.status == "interrupted"

        latest = _fetch(env)                          # a routine run picks up the two newcomers
        assert latest.returncode == 0, latest.stdout + latest.stderr
        with engine.connect() as conn:
            got = set(conn.execute(select(papers.c.id)).scalars())
        assert got == {e.id for e in fake.entries}
        engine.dispose()
