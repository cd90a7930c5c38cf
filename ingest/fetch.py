"""The fetch use-case: page the arXiv API newest first and store each page as it arrives.

Each page is stored in one transaction together with the run's counts and resume cursor,
so the cursor always describes exactly what is stored: a run killed at any instant (even
kill -9) is resumed by the next `fetch` with the same arguments, without duplicates and
without gaps (new papers arriving meanwhile only push older ones down, so the resumed run
re-reads a few entries rather than skipping any; upserts make re-reading harmless).

Two modes:
- incremental (default): sorted by last-updated date so revisions of old papers are seen;
  stops at entries no newer than the newest one the last *complete* incremental run saw,
  minus OVERLAP. A routine run costs a few requests.
- backfill (`since`): the range since..now is split into WINDOW_DAYS windows of
  `submittedDate:[... TO ...]`, newest first, each paged to its end, because the API caps
  deep paging of one query.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from config import Settings
from domain.records import PaperRecord
from ingest.arxiv_client import (
    SORT_SUBMITTED,
    SORT_UPDATED,
    FetchError,
    PoliteClient,
    client_from_settings,
    search_page,
)
from ingest.locks import make_lock
from store import runs, utcnow
from store.papers import newest_date, upsert_papers

log = logging.getLogger("papersift.fetch")

# re-read this much before the last run's newest entry: arXiv announces papers in batches
# whose last-updated dates follow the previous batch's, so a few hours absorb clock skew and
# API index lag at a cost of about one page
OVERLAP = timedelta(hours=6)
# papers held in moderation are announced days after their submission date, below the
# watermark: once a day a routine run re-reads `settings.fetch_lookback_days` instead (an
# OAI-PMH harvest, whose datestamps are announcement dates, catches longer holds)
SWEEP_EVERY = timedelta(hours=24)
FIRST_RUN_DAYS = 7                 # with no earlier run, look back this far (or to the store's newest)
WINDOW_DAYS = 7                    # backfill window: ~10k cs.* papers, under the API's paging cap
DEEP_PAGING_LIMIT = 10_000         # one query is never paged deeper than this
_STAMP = "%Y%m%d%H%M"


@dataclass
class FetchSummary:
    run_id: int | None
    status: str                    # ok | failed | interrupted | busy
    requests: int = 0
    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    message: str = ""
    resumed_from: int | None = None
    error_examples: list[str] = field(default_factory=list)
    unreachable: bool = False      # failed without an HTTP answer (offline, DNS, timeouts)
    first_since: datetime | None = None   # set on an instance's first fetch: how far back it looks

    def text(self) -> str:
        head = {"ok": "Fetch finished", "failed": "Fetch FAILED", "interrupted": "Fetch interrupted",
                "busy": "Fetch not started"}.get(self.status, self.status)
        resumed = f" (resumed run {self.resumed_from})" if self.resumed_from else ""
        counts = (f"{self.pages} pages, {self.requests} requests: {self.new} new, {self.updated} updated, "
                  f"{self.unchanged} unchanged, {self.errors} rejected")
        return f"{head}{resumed}: {counts}. {self.message}".strip()


def category_query(categories: Sequence[str]) -> str:
    terms = [f"cat:{c}" for c in categories]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def date_windows(since: datetime, until: datetime, days: int = WINDOW_DAYS) -> list[tuple[str, str]]:
    """[since, until] as submittedDate windows of `days`, newest first, touching at the minute."""
    out: list[tuple[str, str]] = []
    hi = until
    while hi >= since:
        lo = max(since, hi - timedelta(days=days) + timedelta(minutes=1))
        out.append((lo.strftime(_STAMP), hi.strftime(_STAMP)))
        hi = lo - timedelta(minutes=1)
    return out


def _when(r: PaperRecord) -> datetime:
    return r.updated or r.published


def _params(categories: Sequence[str], since: date | None) -> dict[str, Any]:
    return {"mode": "backfill" if since else "incremental", "categories": list(categories),
            "since": since.isoformat() if since else None}


def _watermark(conn, now: datetime, lookback: timedelta) -> tuple[datetime, str, bool]:
    """Where an incremental run stops, why, and whether it is the day's sweep.

    Normally the last complete run's newest entry minus OVERLAP; once every SWEEP_EVERY,
    minus `lookback` (the sweep). Runs since then that stopped early (--max, failures) did
    not cover the range down to it, so they never move it. With no complete run: the stop
    point an earlier partial run planned, else the store's newest paper or FIRST_RUN_DAYS
    ago, whichever is later.
    """
    planned: datetime | None = None
    history = [r for r in runs.latest_runs(conn, "fetch", limit=200)
               if (r.cursor or {}).get("mode") == "incremental"]
    for run in history:
        cur = run.cursor
        if run.status == "ok" and cur.get("complete") and cur.get("high_water"):
            mark = datetime.fromisoformat(cur["high_water"])
            why = f"last complete run {run.id} saw entries up to {mark:%Y-%m-%d %H:%M}"
            if lookback > OVERLAP and not _swept_since(history, now - SWEEP_EVERY):
                return (min(mark - lookback, planned or mark),
                        f"{why}; daily sweep: re-reading {lookback.days} days for papers announced late",
                        True)
            return min(mark - OVERLAP, planned or mark), why, False
        if cur.get("stop_at"):
            planned = datetime.fromisoformat(cur["stop_at"])
    if planned is not None:
        return planned, "no complete fetch yet; continuing down to the first run's stop point", False
    floor = now - timedelta(days=FIRST_RUN_DAYS)
    newest = newest_date(conn)
    if newest and newest > floor:
        return (newest - max(OVERLAP, lookback),
                f"no earlier fetch; store's newest paper is {newest:%Y-%m-%d}", True)
    return floor, (f"first fetch: looked back {FIRST_RUN_DAYS} days, to {floor:%Y-%m-%d}; use "
                   "--since or `papersift harvest` for older papers"), True


def _swept_since(history: list, since: datetime) -> bool:
    """Whether a complete run swept the lookback at or after `since`."""
    return any(r.status == "ok" and r.cursor.get("complete") and r.cursor.get("swept_at")
               and datetime.fromisoformat(r.cursor["swept_at"]) >= since for r in history)


def _new_cursor(conn, params: dict[str, Any], now: datetime, lookback: timedelta) -> dict[str, Any]:
    if params["mode"] == "backfill":
        since = datetime.fromisoformat(params["since"])
        return {"mode": "backfill", "windows": date_windows(since, now), "window": 0, "start": 0,
                "complete": False, "note": f"backfill since {params['since']}"}
    stop_at, why, sweep = _watermark(conn, now, lookback)
    return {"mode": "incremental", "windows": [None], "window": 0, "start": 0,
            "stop_at": stop_at.isoformat(), "high_water": None, "complete": False, "note": why,
            "swept_at": now.isoformat() if sweep else None,
            "first": why.startswith("first fetch")}


def _resume_point(conn, params: dict[str, Any]) -> tuple[int | None, dict | None]:
    """The latest fetch run, if it ended early with the same arguments and a cursor."""
    latest = runs.latest_runs(conn, "fetch", limit=1)
    if not latest:
        return None, None
    run = latest[0]
    same = {k: run.params.get(k) for k in ("mode", "categories", "since")} == \
        {k: params[k] for k in ("mode", "categories", "since")}
    if run.status in ("interrupted", "failed") and same and run.cursor and not run.cursor.get("complete"):
        return run.id, run.cursor
    return None, None


class _Fetch:
    """One run's state: the cursor, the counters and how to store a page."""

    def __init__(self, engine: Engine, settings: Settings, client: PoliteClient, categories: Sequence[str],
                 max_papers: int | None, on_page: Callable[[FetchSummary], None] | None) -> None:
        self.engine, self.settings, self.client = engine, settings, client
        self.categories = categories
        self.max_papers = max_papers
        self.on_page = on_page
        self.cursor: dict[str, Any] = {}
        self.summary = FetchSummary(None, "running")
        self.seen = 0
        self.reason = ""

    def start(self, params: dict[str, Any], now: datetime) -> None:
        with self.engine.begin() as conn:
            runs.mark_abandoned_runs(conn, "fetch", "interrupted: the process ended before the run "
                                     "finished (killed or crashed); the next fetch resumes it")
            resumed_from, cursor = _resume_point(conn, params)
            lookback = timedelta(days=self.settings.fetch_lookback_days)
            self.cursor = cursor or _new_cursor(conn, params, now, lookback)
            self.summary.resumed_from = resumed_from
            if self.cursor.get("first"):
                self.summary.first_since = datetime.fromisoformat(self.cursor["stop_at"])
            self.summary.run_id = runs.record_run_start(
                conn, "fetch", {**params, "max": self.max_papers, "resumed_from": resumed_from})
            self._save(conn)

    def query(self) -> tuple[str, str]:
        window = self.cursor["windows"][self.cursor["window"]]
        base = category_query(self.categories)
        if window is None:
            return base, SORT_UPDATED
        return f"{base} AND submittedDate:[{window[0]} TO {window[1]}]", SORT_SUBMITTED

    def step(self) -> bool:
        """Fetch and store one page; False when the run is complete or hit --max."""
        if self.max_papers is not None and self.seen >= self.max_papers:
            self.reason = f"stopped after --max {self.max_papers} papers"
            return False
        query, sort_by = self.query()
        start = self.cursor["start"]
        before = self.client.stats.requests
        try:
            page = search_page(self.client, self.settings.arxiv_api_url, query, start=start,
                               size=self.settings.arxiv_page_size, sort_by=sort_by)
        finally:
            self.summary.requests += self.client.stats.requests - before
        records = list(page.records)
        taken = len(records) + len(page.errors)
        if self.max_papers is not None and len(records) > self.max_papers - self.seen:
            records = records[: self.max_papers - self.seen]
            taken = len(records)
        self._store(records, page.errors, taken, self._window_done(page, records, start + taken))
        return self.cursor["window"] < len(self.cursor["windows"])

    def _window_done(self, page, records: list[PaperRecord], next_start: int) -> bool:
        cur = self.cursor
        if cur["mode"] == "incremental":
            stop_at = datetime.fromisoformat(cur["stop_at"])
            if any(_when(r) <= stop_at for r in records):
                self.reason = "reached entries already fetched"
                return True
            if next_start >= DEEP_PAGING_LIMIT:
                self.reason = (f"stopped at the paging limit ({DEEP_PAGING_LIMIT} entries); older "
                               "changes need `papersift fetch --since` or `papersift harvest`")
                return True
        if not records and not page.errors:
            start = next_start
            if page.total_results is not None and page.total_results > start:
                # the API's empty-page quirk, believed after retries: finish, but as an
                # incomplete run so the next one re-reads this range instead of trusting it
                self.cursor["gap"] = start
                self.reason = (f"arXiv kept returning an empty page at start={start} although "
                               f"totalResults={page.total_results}; the next fetch re-reads from there")
            self.reason = self.reason or "no more entries"
            return True
        return page.total_results is not None and next_start >= page.total_results

    def _store(self, records: list[PaperRecord], errors: list, taken: int, window_done: bool) -> None:
        cur, s = self.cursor, self.summary
        with self.engine.begin() as conn:
            counts = upsert_papers(conn, records)
            s.pages += 1
            s.new, s.updated, s.unchanged = s.new + counts.new, s.updated + counts.updated, \
                s.unchanged + counts.unchanged + counts.older
            s.errors += len(errors)
            s.error_examples.extend(str(e) for e in errors[: max(0, 5 - len(s.error_examples))])
            self.seen += len(records)
            if cur["mode"] == "incremental" and records:
                newest = max(_when(r) for r in records)
                if not cur["high_water"] or newest > datetime.fromisoformat(cur["high_water"]):
                    cur["high_water"] = newest.isoformat()
            cur["start"] += taken
            if window_done:
                cur["window"], cur["start"] = cur["window"] + 1, 0
                cur["complete"] = cur["window"] >= len(cur["windows"]) and "gap" not in cur
            self._save(conn)
        if self.on_page:
            self.on_page(s)

    def _save(self, conn) -> None:
        s = self.summary
        runs.update_run_progress(conn, s.run_id, requests=s.requests, new=s.new, updated=s.updated,
                                 errors=s.errors, cursor=self.cursor)

    def finish(self, status: str, message: str) -> FetchSummary:
        s = self.summary
        s.status, s.message = status, message
        with self.engine.begin() as conn:
            runs.finish_run(conn, s.run_id, status, requests=s.requests, new=s.new, updated=s.updated,
                            errors=s.errors, message=message, cursor=self.cursor)
        return s


def fetch_new(
    engine: Engine,
    settings: Settings,
    *,
    categories: Sequence[str] | None = None,
    since: date | None = None,
    max_papers: int | None = None,
    client: PoliteClient | None = None,
    now: datetime | None = None,
    on_page: Callable[[FetchSummary], None] | None = None,
    on_start: Callable[[FetchSummary], None] | None = None,
) -> FetchSummary:
    """Fetch new and revised papers into the store; resumes an interrupted run with the same
    arguments. Returns the run's summary (status ok, failed or busy); KeyboardInterrupt
    is recorded as an interrupted run and re-raised. `on_start` sees the summary once the run
    is planned (e.g. its `first_since`), before the first request."""
    categories = tuple(categories or settings.categories)
    client = client or client_from_settings(settings)
    lock = make_lock(settings, "fetch", ttl=max(600.0, settings.arxiv_timeout * 4))
    if not lock.acquire():
        return FetchSummary(None, "busy", message="another fetch is running (lock held)")
    try:
        run = _Fetch(engine, settings, client, categories, max_papers, on_page)
        run.start(_params(categories, since), now or utcnow())
        if on_start:
            on_start(run.summary)
        return _drive(run, lock)
    finally:
        lock.release()


def _drive(run: _Fetch, lock) -> FetchSummary:
    try:
        while run.step():
            lock.acquire()  # renew a Redis lock's TTL between pages
    except FetchError as exc:
        log.info("fetch run %s stopped: %s", run.summary.run_id, exc)
        run.summary.unreachable = exc.unreachable
        return run.finish("failed", f"stopped: {exc}. Everything fetched before is stored; "
                                    "the next fetch resumes from here.")
    except KeyboardInterrupt:
        run.finish("interrupted", "interrupted by the user; the next fetch resumes from here")
        raise
    except Exception as exc:
        run.finish("failed", f"crashed: {exc.__class__.__name__}: {exc}")
        raise
    note = run.cursor.get("note", "")
    return run.finish("ok", "; ".join(x for x in (run.reason, note) if x))
