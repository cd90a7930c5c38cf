"""A loopback stand-in for arXiv's Atom API and OAI-PMH endpoint, with fault injection.

Runs a threaded HTTP server on 127.0.0.1 (port 0: the OS picks a free one). It serves:

- `/api/query` from a *catalog* of entries, paged with start/max_results, sorted by
  last-updated or submitted date, filtered by `submittedDate:[... TO ...]`, rendered in the
  2026 arXiv Atom format (the shape of the real recordings in tests/data/atom: namespaces
  on <feed>, opensearch totals, https links, bare <arxiv:primary_category>). Catalog entries
  are built from real arXiv metadata (the bundled sample corpus).
- recorded responses verbatim (`serve_file`), e.g. the real arXiv recordings.
- `/oai` from a list of pages keyed by resumption token (`oai_pages`).

Faults are scripted per request number (1-based, counted across all paths) in `faults`:
503/429 with Retry-After, a hang past the client's read timeout, a truncated body, an
empty page that still claims more results, a dropped connection, and a new paper inserted
at the top of the catalog before answering (which shifts later pages and so repeats an
entry across pages, as the live API does). Every request is logged with its arrival time
measured at the server.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
ATOM_DIR = REPO / "tests" / "data" / "atom"
METADATA = REPO / "data" / "sample" / "arxiv_cs_sample.jsonl.gz"


@dataclass(frozen=True)
class Entry:
    id: str
    version: int
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]
    published: datetime
    updated: datetime
    comment: str | None = None


def real_entries(n: int, *, start: datetime = datetime(2026, 4, 1, 12, 0)) -> list[Entry]:
    """`n` entries from real arXiv metadata, one hour apart from `start` (oldest first)."""
    out: list[Entry] = []
    with gzip.open(METADATA, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            when = start + timedelta(hours=len(out))
            out.append(Entry(row["id"], 1, row["title"], tuple(row["authors"]), row["summary"],
                             tuple(row["categories"]), when, when, row.get("comment")))
            if len(out) == n:
                break
    return out


@dataclass
class Fault:
    kind: str                     # status | body | hang | truncate | empty | reset | insert
    status: int = 503
    body: bytes = b""             # for body: the whole response (e.g. a recorded error feed)
    retry_after: str | None = None
    seconds: float = 5.0          # hang duration
    entry: Entry | None = None    # for insert


@dataclass
class Request:
    at: float                     # time.monotonic() at arrival, measured by the server
    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


def _iso(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_xml(e: Entry) -> str:
    cats = "\n".join(f'    <category term="{escape(c)}" scheme="http://arxiv.org/schemas/atom"/>'
                     for c in e.categories)
    authors = "\n".join(f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in e.authors)
    comment = f"\n    <arxiv:comment>{escape(e.comment)}</arxiv:comment>" if e.comment else ""
    return f"""  <entry>
    <id>http://arxiv.org/abs/{e.id}v{e.version}</id>
    <title>{escape(e.title)}</title>
    <updated>{_iso(e.updated)}</updated>
    <link href="https://arxiv.org/abs/{e.id}v{e.version}" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{e.id}v{e.version}" rel="related" type="application/pdf" title="pdf"/>
    <summary>{escape(e.abstract)}</summary>
{cats}
    <published>{_iso(e.published)}</published>{comment}
    <arxiv:primary_category term="{escape(e.categories[0])}"/>
{authors}
  </entry>"""


def feed_xml(entries: list[Entry], *, total: int, start: int, per_page: int, query: str = "") -> bytes:
    body = "\n".join(entry_xml(e) for e in entries)
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/fake</id>
  <title>arXiv Query: {escape(query)}</title>
  <updated>2026-04-12T22:09:27Z</updated>
  <link href="https://arxiv.org/api/query" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>
{body}
</feed>
""".encode()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Clients that vanish (timeouts, kill -9) are part of the tests, not errors."""


_SUBMITTED = re.compile(r"submittedDate:\[(\d{12}) TO (\d{12})\]")


class FakeArxiv:
    """The server. Use as a context manager; `api_url` and `oai_url` point at it."""

    def __init__(self, entries: list[Entry] | None = None) -> None:
        self.entries: list[Entry] = list(entries or [])
        self.faults: dict[int, Fault] = {}
        self.requests: list[Request] = []
        self.files: dict[tuple[str, str], tuple[int, bytes]] = {}   # (path, query) -> response
        self.oai_pages: dict[str | None, bytes] = {}                 # resumptionToken -> body
        self.release = threading.Event()                             # ends hangs at shutdown
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- life cycle
    def __enter__(self) -> FakeArxiv:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/query"

    @property
    def oai_url(self) -> str:
        return self.base + "/oai"

    # -- catalog edits between runs
    def bump(self, paper_id: str, *, at: datetime, title: str | None = None) -> Entry:
        """Publish a new version of a paper: version+1, updated=at; it moves to the top."""
        i = next(i for i, e in enumerate(self.entries) if e.id == paper_id)
        new = replace(self.entries[i], version=self.entries[i].version + 1, updated=at,
                      title=title or self.entries[i].title)
        self.entries[i] = new
        return new

    def serve_file(self, path: str, query: str, file: Path, status: int = 200) -> None:
        self.files[(path, query)] = (status, file.read_bytes())

    def api_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/api/query"]

    # -- answering
    def page(self, params: dict[str, str]) -> bytes:
        query = params.get("search_query", "")
        entries = self.entries
        if params.get("id_list"):
            wanted = params["id_list"].split(",")
            by_id = {e.id: e for e in entries}
            found = [by_id[i] for i in wanted if i in by_id]
            return feed_xml(found, total=len(found), start=0, per_page=len(found),
                            query=f"id_list={params['id_list']}")
        m = _SUBMITTED.search(query)
        if m:
            lo, hi = (datetime.strptime(x, "%Y%m%d%H%M") for x in m.groups())
            entries = [e for e in entries if lo <= e.published <= hi + timedelta(seconds=59)]
        key = (lambda e: e.published) if params.get("sortBy") == "submittedDate" else (lambda e: e.updated)
        newest_first = params.get("sortOrder") != "ascending"
        ordered = sorted(entries, key=lambda e: (key(e), e.id), reverse=newest_first)
        start, size = int(params.get("start", 0)), int(params.get("max_results", 10))
        return feed_xml(ordered[start:start + size], total=len(ordered), start=start, per_page=size,
                        query=query)

    def answer(self, path: str, query: str, params: dict[str, str]) -> tuple[int, bytes]:
        """(status, body) for a request the fault plan leaves alone."""
        if (path, query) in self.files:
            return self.files[(path, query)]
        if path == "/api/query":
            return 200, self.page(params)
        if path == "/oai":
            token = params.get("resumptionToken")
            if token not in self.oai_pages:
                return 200, oai_error("badResumptionToken", f"unknown token {token}")
            return 200, self.oai_pages[token]
        return 404, b"not found"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                at = time.monotonic()
                url = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                with fake._lock:
                    fake.requests.append(Request(at, url.path, params, dict(self.headers)))
                    fault = fake.faults.pop(len(fake.requests), None)
                if fault and fault.kind == "insert":
                    fake.entries.append(fault.entry)
                    fault = None
                if fault and fault.kind == "reset":
                    self.close_connection = True
                    return
                if fault and fault.kind == "status":
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return self._send(fault.status, b"Service unavailable, retry later", headers)
                if fault and fault.kind == "body":
                    return self._send(fault.status, fault.body, {"Content-Type": "application/atom+xml"})
                if fault and fault.kind == "hang":
                    fake.release.wait(fault.seconds)
                status, body = fake.answer(url.path, url.query, params)
                if fault and fault.kind == "truncate":
                    body = body[: len(body) // 2]
                if fault and fault.kind == "empty":
                    body = re.sub(rb"\s*<entry>.*</entry>", b"", body, flags=re.S)
                self._send(status, body, {"Content-Type": "application/atom+xml; charset=utf-8"})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                send(self, status, body, headers)

        return Handler


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    try:
        handler.send_response(status)
        for k, v in headers.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout test)
        pass


def oai_error(code: str, message: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2026-04-12T22:00:00Z</responseDate>
  <request verb="ListRecords">http://export.arxiv.org/oai2</request>
  <error code="{code}">{escape(message)}</error>
</OAI-PMH>
""".encode()
