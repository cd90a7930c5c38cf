"""Bulk metadata over arXiv's OAI-PMH endpoint: ListRecords with resumption tokens.

This is the path arXiv recommends for large backfills (the search API caps deep paging).
The same polite client is used as for the search API (spacing, 3 s floor on arXiv's hosts,
retries honouring Retry-After, which arXiv's OAI-PMH uses for flow control). Each page is
stored in one transaction with the run's cursor (the resumption token), so an interrupted
harvest continues where it stopped.

Two metadata formats: `arXiv` (authors split into keyname/forenames, created/updated dates,
no version numbers: stored as version 1 unless the store knows better) and `arXivRaw`
(the version history, so the latest version number and its date are exact).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime

import requests
from sqlalchemy import Engine

from config import Settings
from domain.records import PaperRecord, RecordError, make_record
from ingest.arxiv_client import FetchError, PoliteClient, TransientError, client_from_settings
from ingest.fetch import FetchSummary
from ingest.locks import make_lock
from store import runs
from store.papers import upsert_papers

log = logging.getLogger("papersift.harvest")

OAI = "{http://www.openarchives.org/OAI/2.0/}"
NS = {"arXiv": "{http://arxiv.org/OAI/arXiv/}", "arXivRaw": "{http://arxiv.org/OAI/arXivRaw/}"}


@dataclass
class OaiPage:
    records: list[PaperRecord]
    errors: list[RecordError]
    token: str | None             # resumption token for the next page; None when complete
    deleted: int = 0


def _text(el: ET.Element | None) -> str | None:
    return " ".join(el.text.split()) if el is not None and el.text and el.text.strip() else None


def _day(value: str | None) -> datetime | None:
    return datetime.strptime(value, "%Y-%m-%d") if value else None


def _arxiv_record(meta: ET.Element, where: str) -> PaperRecord:
    ns = NS["arXiv"]
    authors = []
    for a in meta.iterfind(f"{ns}authors/{ns}author"):
        name = " ".join(x for x in (_text(a.find(f"{ns}forenames")), _text(a.find(f"{ns}keyname")),
                                    _text(a.find(f"{ns}suffix"))) if x)
        authors.append(name)
    return make_record(
        where, id=_text(meta.find(f"{ns}id")) or "", title=_text(meta.find(f"{ns}title")),
        authors=authors, abstract=_text(meta.find(f"{ns}abstract")),
        categories=(_text(meta.find(f"{ns}categories")) or "").split(),
        published=_day(_text(meta.find(f"{ns}created"))),
        updated=_day(_text(meta.find(f"{ns}updated"))),
        comment=_text(meta.find(f"{ns}comments")), journal_ref=_text(meta.find(f"{ns}journal-ref")),
        doi=_text(meta.find(f"{ns}doi")))


def _raw_authors(text: str | None) -> list[str]:
    if not text:
        return []
    names = text.replace(" and ", ", ").split(",")
    return [n.strip() for n in names if n.strip()]


def _raw_record(meta: ET.Element, where: str) -> PaperRecord:
    ns = NS["arXivRaw"]
    versions = []
    for v in meta.iterfind(f"{ns}version"):
        try:
            number = int(v.get("version", "v0").lstrip("v"))
            when = parsedate_to_datetime(_text(v.find(f"{ns}date")) or "").replace(tzinfo=None)
        except (TypeError, ValueError) as exc:
            raise RecordError(where, f"bad version entry: {exc}") from None
        versions.append((number, when))
    if not versions:
        raise RecordError(where, "no version history")
    versions.sort()
    return make_record(
        where, id=_text(meta.find(f"{ns}id")) or "", version=versions[-1][0],
        title=_text(meta.find(f"{ns}title")), authors=_raw_authors(_text(meta.find(f"{ns}authors"))),
        abstract=_text(meta.find(f"{ns}abstract")),
        categories=(_text(meta.find(f"{ns}categories")) or "").split(),
        published=versions[0][1], updated=versions[-1][1] if len(versions) > 1 else None,
        comment=_text(meta.find(f"{ns}comments")), journal_ref=_text(meta.find(f"{ns}journal-ref")),
        doi=_text(meta.find(f"{ns}doi")))


def parse_list_records(data: bytes, metadata_prefix: str, source: str = "OAI-PMH page") -> OaiPage:
    """One ListRecords response -> records, per-record errors and the next resumption token.

    Raises TransientError for a body that is not XML (retried: truncated downloads) and
    FetchError for an OAI-PMH error other than noRecordsMatch.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise TransientError(f"{source}: malformed or truncated XML ({exc})") from None
    error = root.find(f"{OAI}error")
    if error is not None:
        code = error.get("code", "")
        if code == "noRecordsMatch":
            return OaiPage([], [], None)
        raise FetchError(f"OAI-PMH error {code}: {_text(error) or ''}".strip())
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise TransientError(f"{source}: no ListRecords element")
    parse = _raw_record if metadata_prefix == "arXivRaw" else _arxiv_record
    page = OaiPage([], [], None)
    for n, rec in enumerate(listing.iterfind(f"{OAI}record"), start=1):
        header = rec.find(f"{OAI}header")
        if header is not None and header.get("status") == "deleted":
            page.deleted += 1
            continue
        meta = rec.find(f"{OAI}metadata/{NS[metadata_prefix]}{metadata_prefix}")
        where = f"{source} record {n}"
        if meta is None:
            page.errors.append(RecordError(where, f"no {metadata_prefix} metadata"))
            continue
        try:
            page.records.append(parse(meta, where))
        except RecordError as exc:
            page.errors.append(exc)
    token = listing.find(f"{OAI}resumptionToken")
    page.token = _text(token)
    return page


def _request(client: PoliteClient, url: str, params: dict, metadata_prefix: str, source: str) -> OaiPage:
    def handle(resp: requests.Response) -> OaiPage:
        if resp.status_code != 200:
            raise FetchError(f"OAI-PMH: unexpected HTTP {resp.status_code}")
        return parse_list_records(resp.content, metadata_prefix, source)

    return client.call(url, params, handle)


def harvest(
    engine: Engine,
    settings: Settings,
    *,
    since: date,
    until: date | None = None,
    set_spec: str = "cs",
    metadata_prefix: str = "arXiv",
    max_papers: int | None = None,
    client: PoliteClient | None = None,
    on_page: Callable[[FetchSummary], None] | None = None,
) -> FetchSummary:
    """Harvest records changed since `since` into the store; resumes an interrupted harvest
    with the same arguments from its last resumption token."""
    client = client or client_from_settings(settings)
    lock = make_lock(settings, "harvest", ttl=max(600.0, settings.arxiv_timeout * 4))
    if not lock.acquire():
        return FetchSummary(None, "busy", message="another harvest is running (lock held)")
    params = {"from": since.isoformat(), "until": until.isoformat() if until else None,
              "set": set_spec, "metadataPrefix": metadata_prefix}
    try:
        return _Harvest(engine, settings, client, params, max_papers, on_page, lock).run()
    finally:
        lock.release()


class _Harvest:
    def __init__(self, engine, settings, client, params, max_papers, on_page, lock) -> None:
        self.engine, self.settings, self.client = engine, settings, client
        self.params, self.max_papers, self.on_page, self.lock = params, max_papers, on_page, lock
        self.s = FetchSummary(None, "running")
        self.cursor: dict = {"token": None, "pages": 0, "complete": False}

    def start(self) -> None:
        with self.engine.begin() as conn:
            runs.mark_abandoned_runs(conn, "harvest", "interrupted: the process ended before the "
                                     "harvest finished; the next harvest resumes it")
            latest = runs.latest_runs(conn, "harvest", limit=1)
            if latest and latest[0].status in ("interrupted", "failed") and latest[0].cursor \
                    and latest[0].cursor.get("token") and latest[0].params.get("oai") == self.params:
                self.cursor = latest[0].cursor
                self.s.resumed_from = latest[0].id
            self.s.run_id = runs.record_run_start(conn, "harvest", {
                "oai": self.params, "max": self.max_papers, "resumed_from": self.s.resumed_from})

    def request_params(self) -> dict:
        if self.cursor["token"]:
            return {"verb": "ListRecords", "resumptionToken": self.cursor["token"]}
        p = {"verb": "ListRecords", "metadataPrefix": self.params["metadataPrefix"],
             "from": self.params["from"], "set": self.params["set"]}
        if self.params["until"]:
            p["until"] = self.params["until"]
        return {k: v for k, v in p.items() if v}

    def step(self) -> bool:
        before = self.client.stats.requests
        try:
            page = _request(self.client, self.settings.oai_url, self.request_params(),
                            self.params["metadataPrefix"], f"OAI-PMH page {self.cursor['pages'] + 1}")
        finally:
            self.s.requests += self.client.stats.requests - before
        records = page.records
        if self.max_papers is not None:
            records = records[: max(0, self.max_papers - self.s.new - self.s.updated - self.s.unchanged)]
        with self.engine.begin() as conn:
            counts = upsert_papers(conn, records)
            s = self.s
            s.pages += 1
            s.new, s.updated = s.new + counts.new, s.updated + counts.updated
            s.unchanged += counts.unchanged + counts.older
            s.errors += len(page.errors)
            s.error_examples.extend(str(e) for e in page.errors[: max(0, 5 - len(s.error_examples))])
            self.cursor["token"], self.cursor["pages"] = page.token, self.cursor["pages"] + 1
            self.cursor["complete"] = page.token is None
            runs.update_run_progress(conn, s.run_id, requests=s.requests, new=s.new, updated=s.updated,
                                     errors=s.errors, cursor=self.cursor)
        if self.on_page:
            self.on_page(self.s)
        seen = self.s.new + self.s.updated + self.s.unchanged
        return page.token is not None and (self.max_papers is None or seen < self.max_papers)

    def finish(self, status: str, message: str) -> FetchSummary:
        self.s.status, self.s.message = status, message
        with self.engine.begin() as conn:
            runs.finish_run(conn, self.s.run_id, status, requests=self.s.requests, new=self.s.new,
                            updated=self.s.updated, errors=self.s.errors, message=message, cursor=self.cursor)
        return self.s

    def run(self) -> FetchSummary:
        self.start()
        try:
            while self.step():
                self.lock.acquire()
        except FetchError as exc:
            log.info("harvest run %s stopped: %s", self.s.run_id, exc)
            if "badResumptionToken" in str(exc):   # expired: the next harvest starts over
                self.cursor["token"] = None
            return self.finish("failed", f"stopped: {exc}. Everything harvested before is stored; "
                                         "the next harvest with the same arguments resumes from here.")
        except KeyboardInterrupt:
            self.finish("interrupted", "interrupted by the user; the next harvest resumes from here")
            raise
        except Exception as exc:
            self.finish("failed", f"crashed: {exc.__class__.__name__}: {exc}")
            raise
        done = ("all records harvested" if self.cursor["complete"]
                else f"stopped after --max {self.max_papers}")
        return self.finish("ok", f"{done} ({self.params['set']} since {self.params['from']})")
