"""PDF downloads into the cache in the data dir: paced, retried, streamed, capped, atomic.

A download is accepted only when the server says it is a PDF (content type) and the
bytes agree (``%PDF-`` magic); it is streamed into a temporary file next to its final
name and renamed into place only when complete, so a cut connection or a full disk
never leaves a partial PDF behind. The cache keeps to a disk budget: superseded versions
go first, then the oldest files.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import requests

from config import Settings
from ingest.retry import retrying

PDF_TYPES = {"application/pdf", "application/x-pdf", "application/octet-stream", "binary/octet-stream"}
MAGIC = b"%PDF-"
MAGIC_WINDOW = 1024          # the spec allows junk before the header; readers accept 1 KB
CHUNK = 64 * 1024
RETRY_STATUSES = {429, 500, 502, 503, 504}
RETRY_AFTER_MAX = 300.0      # seconds: a longer Retry-After is cut to this
USER_AGENT = "papersift/0.1 (self-hosted arXiv reader; {contact})"
_VERSIONED = re.compile(r"^(?P<stem>.+)v(?P<v>\d+)\.pdf$")


class DownloadError(Exception):
    """A PDF could not be fetched; `reason` is for people, `retryable` says whether a later
    run may succeed (network trouble) or not (404, not a PDF, too large)."""

    def __init__(self, reason: str, *, retryable: bool = False, local: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.local = local              # this machine's fault (disk), not the PDF host's

    @property
    def host_trouble(self) -> bool:
        """A passing failure of the PDF host: the kind that, many in a row, is an outage."""
        return self.retryable and not self.local


class DiskFull(DownloadError):
    """The PDF cache's disk is full: every further download would fail too."""


@dataclass(frozen=True)
class DownloadOptions:
    max_bytes: int
    timeout: float
    retries: int
    user_agent: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DownloadOptions:
        contact = settings.contact or "no contact configured"
        return cls(max_bytes=settings.pdf_max_mb * 1024 * 1024, timeout=settings.arxiv_timeout,
                   retries=max(1, settings.arxiv_retries), user_agent=USER_AGENT.format(contact=contact))


def pdf_name(paper_id: str, version: int) -> str:
    """Cache file name of one version's PDF; old-style ids lose their slash."""
    return f"{paper_id.replace('/', '_')}v{version}.pdf"


def pdf_url(settings: Settings, paper_id: str, version: int) -> str:
    return f"{settings.arxiv_pdf_url}{paper_id}v{version}"


class Pacer:
    """Keeps at least `delay` seconds between the starts of consecutive downloads.

    Clock and sleep are injectable so tests never really wait.
    """

    def __init__(self, delay: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay = delay
        self.clock = clock
        self.sleep = sleep
        self._last: float | None = None

    def wait(self) -> None:
        if self._last is not None:
            remaining = self._last + self.delay - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last = self.clock()


def download_pdf(session: requests.Session, url: str, dest: Path, options: DownloadOptions, *,
                 sleep: Callable[[float], None] = time.sleep) -> Path:
    """Fetch `url` into `dest`, retrying transient failures (1, 2, 4 ... 60 s, at least
    Retry-After); raise DownloadError otherwise. A full disk is not retried."""
    def worth_retrying(exc: BaseException) -> bool:
        return isinstance(exc, DownloadError) and exc.retryable and not isinstance(exc, DiskFull)

    try:
        for attempt in retrying(attempts=options.retries, base=1.0, max_backoff=60.0,
                                max_wait=RETRY_AFTER_MAX, retry_on=worth_retrying, sleep=sleep):
            with attempt:
                return _download_once(session, url, dest, options)
    except DownloadError as last:
        if not worth_retrying(last):
            raise
        raise DownloadError(f"{last.reason} (gave up after {options.retries} attempts)",
                            retryable=True) from None
    raise AssertionError("unreachable: the retry loop returns or raises")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return min(RETRY_AFTER_MAX, max(0.0, float(value)))
    except ValueError:
        return None


def _download_once(session: requests.Session, url: str, dest: Path, options: DownloadOptions) -> Path:
    try:
        response = session.get(url, stream=True, timeout=options.timeout,
                               headers={"User-Agent": options.user_agent})
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema) as exc:
        raise DownloadError(f"bad PDF URL {url!r} (check PAPERSIFT_ARXIV_PDF_URL): "
                            f"{type(exc).__name__}") from None
    except requests.RequestException as exc:
        raise DownloadError(f"could not connect: {type(exc).__name__}", retryable=True) from None
    with response:
        _check_response(response, options)
        return _stream_to_file(response, dest, options)


def _check_response(response: requests.Response, options: DownloadOptions) -> None:
    if response.status_code != 200:
        err = DownloadError(f"HTTP {response.status_code} from the PDF server",
                            retryable=response.status_code in RETRY_STATUSES)
        err.retry_after = _retry_after(response)  # type: ignore[attr-defined]
        raise err
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype not in PDF_TYPES:
        raise DownloadError(f"not a PDF: the server sent {ctype or 'no content type'}")
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > options.max_bytes:
        raise DownloadError(f"PDF too large ({int(length) / 1e6:.1f} MB, limit "
                            f"{options.max_bytes / 1e6:.0f} MB)")


def _stream_to_file(response: requests.Response, dest: Path, options: DownloadOptions) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".part-", suffix=".pdf", dir=dest.parent)
    try:
        size = 0
        with os.fdopen(fd, "wb") as fh:
            for chunk in response.iter_content(CHUNK):
                if size == 0 and MAGIC not in chunk[:MAGIC_WINDOW]:
                    raise DownloadError("not a PDF: the content does not start with %PDF-")
                size += len(chunk)
                if size > options.max_bytes:
                    raise DownloadError(f"PDF too large (over the {options.max_bytes / 1e6:.0f} MB limit)")
                fh.write(chunk)
        if size == 0:
            raise DownloadError("empty response instead of a PDF", retryable=True)
        _check_length(response, size)
        os.replace(tmp, dest)
        return dest
    except requests.RequestException as exc:
        raise DownloadError(f"download cut off ({type(exc).__name__})", retryable=True) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull("disk full while writing the PDF cache", retryable=True, local=True) from None
        raise DownloadError(f"could not write the PDF cache: {exc.strerror}", retryable=True,
                            local=True) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _check_length(response: requests.Response, size: int) -> None:
    length = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding")
    if length and length.isdigit() and not encoded and size != int(length):
        raise DownloadError(f"download cut off ({size} of {length} bytes)", retryable=True)


# -- cache budget -----------------------------------------------------------------------------

def cache_files(pdf_dir: Path) -> list[Path]:
    """Finished PDFs in the cache (temporary .part- files excluded)."""
    if not pdf_dir.is_dir():
        return []
    return [p for p in pdf_dir.iterdir() if p.suffix == ".pdf" and not p.name.startswith(".")]


def evict(pdf_dir: Path, budget_bytes: int, *, keep: Iterable[Path] = ()) -> list[Path]:
    """Delete PDFs until the cache fits `budget_bytes`: superseded versions (a newer version of
    the same paper is cached) first, then oldest first. Files in `keep` (in use) stay."""
    keep_set = {Path(p).resolve() for p in keep}
    files = []
    for path in cache_files(pdf_dir):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        files.append((path, st.st_size, st.st_mtime))
    total = sum(size for _p, size, _m in files)
    newest: dict[str, int] = {}
    for path, _s, _m in files:
        m = _VERSIONED.match(path.name)
        if m:
            newest[m["stem"]] = max(newest.get(m["stem"], 0), int(m["v"]))

    def superseded(path: Path) -> bool:
        m = _VERSIONED.match(path.name)
        return bool(m) and int(m["v"]) < newest[m["stem"]]

    order = sorted(files, key=lambda f: (not superseded(f[0]), f[2]))
    removed = []
    for path, size, _mtime in order:
        if total <= budget_bytes:
            break
        if path.resolve() in keep_set:
            continue
        path.unlink(missing_ok=True)
        total -= size
        removed.append(path)
    return removed
