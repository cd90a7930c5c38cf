"""A polite HTTP client for arXiv's APIs (Atom search API and OAI-PMH).

Politeness is arXiv's published rule: at most one request every 3 seconds against its
public hosts, a User-Agent that says who is calling, and backing off when asked
(503/429 with Retry-After). Local URLs (tests, mirrors) may use any delay.

Every failure mode a real harvest meets is retried within one budget of attempts:
HTTP 5xx and 429 (waiting at least Retry-After), timeouts, connection resets, malformed
XML, and the API's occasional empty page. When the budget is spent the caller gets a
`FetchError` that says why, so a run can stop cleanly and record the reason.

The clock and sleep are injectable so tests never really wait.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState

from ingest.retry import retrying

log = logging.getLogger("papersift.arxiv")

T = TypeVar("T")

VERSION = "0.1.0"
PUBLIC_DELAY_FLOOR = 3.0
MAX_WAIT = 600.0            # never sleep longer than this for one retry, whatever the server says
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(RuntimeError):
    """A request that could not be completed within the retry budget, or was refused.

    The message is meant for people: it names the URL and the last reason. `unreachable`
    is True when the last attempt never got an HTTP answer (offline, DNS, timeouts).
    """

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class TransientError(Exception):
    """One attempt failed in a way worth retrying; `retry_after` is the server's wish, if any."""

    def __init__(self, reason: str, retry_after: float | None = None, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.unreachable = unreachable


def is_public_arxiv(url: str) -> bool:
    """True for arxiv.org and its subdomains (export.arxiv.org, oaipmh.arxiv.org)."""
    host = (urlsplit(url).hostname or "").lower()
    return host == "arxiv.org" or host.endswith(".arxiv.org")


def effective_delay(url: str, delay: float) -> float:
    """The configured delay, raised to arXiv's 3 s floor when `url` is a public arXiv host."""
    delay = max(0.0, float(delay))
    return max(delay, PUBLIC_DELAY_FLOOR) if is_public_arxiv(url) else delay


def user_agent(contact: str) -> str:
    who = contact.strip() or "contact not configured; set PAPERSIFT_CONTACT"
    return f"papersift/{VERSION} (self-hosted arXiv paper search; mailto/URL: {who})"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    waited: float = 0.0


class PoliteClient:
    """Spaced, retried GET requests. One instance per run; not shared between threads."""

    def __init__(
        self,
        *,
        delay: float,
        timeout: float,
        retries: int,
        contact: str = "",
        backoff: float = 2.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.delay = delay
        self.timeout = timeout
        self.retries = max(1, retries)
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent(contact)
        self.sleep = sleep or time.sleep      # looked up per client so tests can patch time.sleep
        self.clock = clock or time.monotonic
        self.stats = ClientStats()
        self._last: float | None = None

    # -- one attempt
    def space(self, url: str) -> None:
        """Wait until the configured delay has passed since the previous request ended.

        Counting from the end (not the start) of the previous request means two requests
        never arrive at the server closer than the delay, however slow the first one was.
        """
        gap = effective_delay(url, self.delay)
        if self._last is not None:
            remaining = self._last + gap - self.clock()
            if remaining > 0:
                self._wait(remaining)

    def _wait(self, seconds: float) -> None:
        self.stats.waited += seconds
        self.sleep(seconds)

    def get_once(self, url: str, params: Mapping[str, str | int] | None = None) -> requests.Response:
        """One spaced GET; raises TransientError for failures worth retrying."""
        self.space(url)
        self.stats.requests += 1
        try:
            resp = self.session.get(url, params=params, timeout=(self.timeout, self.timeout))
            _ = resp.content  # read the whole body inside the try: a reset mid-body is retried too
        except requests.Timeout as exc:
            raise TransientError(f"timed out after {self.timeout:g} s ({exc.__class__.__name__})",
                                 unreachable=True) from None
        except requests.ConnectionError as exc:
            host = urlsplit(url).hostname
            raise TransientError(f"connection to {host} failed: {_connection_reason(exc)}",
                                 unreachable=True) from None
        except requests.RequestException as exc:
            raise TransientError(f"request failed: {_short(exc)}") from None
        finally:
            self._last = self.clock()
        if resp.status_code in RETRY_STATUSES:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            raise TransientError(f"HTTP {resp.status_code}", retry_after)
        return resp

    # -- the retry loop
    def call(self, url: str, params: Mapping[str, str | int] | None,
             handle: Callable[[requests.Response], T]) -> T:
        """GET with retries (backoff * 2^(attempt-1), at least Retry-After, at most MAX_WAIT);
        `handle` turns a response into a result or raises TransientError (e.g. malformed XML)
        to have it retried, or FetchError to stop at once."""
        def before_sleep(state: RetryCallState) -> None:
            self.stats.retries += 1
            log.info("arXiv request failed (%s), attempt %d of %d; retrying in %.0f s",
                     state.outcome.exception().reason, state.attempt_number, self.retries,
                     state.upcoming_sleep)

        try:
            for attempt in retrying(attempts=self.retries, base=self.backoff, max_backoff=MAX_WAIT,
                                    max_wait=MAX_WAIT, retry_on=lambda e: isinstance(e, TransientError),
                                    sleep=self._wait, before_sleep=before_sleep):
                with attempt:
                    return handle(self.get_once(url, params))
        except TransientError as last:
            raise FetchError(f"gave up on {url} after {self.retries} attempts: {last.reason}",
                             unreachable=last.unreachable) from None
        raise AssertionError("unreachable: the retry loop returns or raises")


def _connection_reason(exc: requests.ConnectionError) -> str:
    """The root cause of a connection error ("Connection refused", "Failed to resolve ..."),
    without urllib3's object reprs and URL."""
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None) or inner
    return _short(re.sub(r"^(<[^>]*>|\w+\([^)]*\)):\s*", "", str(reason)))


def _short(exc: BaseException | str) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "…"


def client_from_settings(settings, **kwargs) -> PoliteClient:
    """A client configured from Settings (delay, timeout, retries, contact)."""
    return PoliteClient(delay=settings.arxiv_delay, timeout=settings.arxiv_timeout,
                        retries=settings.arxiv_retries, contact=settings.contact, **kwargs)


# -- the Atom search API

SORT_UPDATED = "lastUpdatedDate"
SORT_SUBMITTED = "submittedDate"
EMPTY_PAGE_RETRIES = 3


def search_page(client: PoliteClient, url: str, query: str, *, start: int, size: int,
                sort_by: str = SORT_UPDATED):
    """One page of an API search, newest first, parsed into an AtomPage.

    Malformed XML and 5xx are retried within the client's budget; an empty page while
    totalResults says more exist is retried up to EMPTY_PAGE_RETRIES times, then believed.
    An API error (HTTP 400 with an error entry) stops at once: retrying cannot fix the query.
    """
    from ingest.atom import AtomError, parse_atom

    params = {"search_query": query, "start": start, "max_results": size,
              "sortBy": sort_by, "sortOrder": "descending"}
    empties = 0
    source = f"arXiv API page start={start}"

    def handle(resp: requests.Response):
        nonlocal empties
        if resp.status_code != 200:
            try:
                parse_atom(resp.content, source)
            except AtomError as exc:
                raise FetchError(f"HTTP {resp.status_code}: {exc.message}") from None
            raise FetchError(f"{source}: unexpected HTTP {resp.status_code}")
        try:
            page = parse_atom(resp.content, source)
        except AtomError as exc:
            raise TransientError(exc.message) from None
        more = page.total_results is not None and page.total_results > start
        if not page.records and not page.errors and more and empties < EMPTY_PAGE_RETRIES:
            empties += 1
            raise TransientError(f"empty page although totalResults={page.total_results}")
        return page

    return client.call(url, params, handle)


# -- lookups by id

ID_LIST_BATCH = 100        # ids per id_list request: arXiv's examples use up to a few hundred


def fetch_by_ids(client: PoliteClient, url: str, ids: list[str]):
    """Papers with these ids (one batch, at most ID_LIST_BATCH), parsed into an AtomPage.

    Unknown ids are simply absent from the page; a malformed id makes the API answer
    HTTP 400, a FetchError (callers pass only ids that parse_arxiv_id accepted).
    """
    from ingest.atom import AtomError, parse_atom

    if len(ids) > ID_LIST_BATCH:
        raise ValueError(f"at most {ID_LIST_BATCH} ids per request")
    source = f"arXiv API id_list of {len(ids)}"

    def handle(resp: requests.Response):
        try:
            page = parse_atom(resp.content, source)
        except AtomError as exc:
            if resp.status_code != 200:
                raise FetchError(f"HTTP {resp.status_code}: {exc.message}") from None
            raise TransientError(exc.message) from None
        if resp.status_code != 200:
            raise FetchError(f"{source}: unexpected HTTP {resp.status_code}")
        return page

    return client.call(url, {"id_list": ",".join(ids), "max_results": len(ids)}, handle)
