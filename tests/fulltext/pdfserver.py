"""A loopback HTTP server that plays the arXiv PDF host: real PDFs, HTML, cut and slow replies.

Each path gets a list of behaviours consumed one request at a time (the last one
repeats), so a test can script "503 twice, then the PDF". Requests are recorded.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass(frozen=True)
class Reply:
    """One scripted answer: `kind` is pdf | html | cut | slow | status | pdf_as_html."""
    kind: str
    file: Path | None = None
    status: int = 200
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


def pdf(file: Path) -> Reply:
    return Reply("pdf", file)


def html() -> Reply:
    return Reply("html")


def cut(file: Path) -> Reply:
    """Announces the whole file, sends half of it, then drops the connection."""
    return Reply("cut", file)


def slow(file: Path, delay: float) -> Reply:
    """Sends headers, then stalls `delay` seconds before the body."""
    return Reply("slow", file, delay=delay)


def status(code: int, retry_after: str | None = None) -> Reply:
    headers = (("Retry-After", retry_after),) if retry_after else ()
    return Reply("status", status=code, headers=headers)


def mislabelled(file: Path) -> Reply:
    """A non-PDF body served with Content-Type application/pdf."""
    return Reply("mislabelled", file)


@dataclass
class PdfServer:
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, str, float]] = field(default_factory=list)   # path, user-agent, time
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, name: str, *replies: Reply) -> None:
        """Script the replies for `/pdf/<name>`."""
        self.routes[f"/pdf/{name}"] = list(replies)

    def next_reply(self, path: str) -> Reply | None:
        with self._lock:
            replies = self.routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]


def _handler(server: PdfServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.requests.append((self.path, self.headers.get("User-Agent", ""), time.monotonic()))
            reply = server.next_reply(self.path)
            if reply is None:
                return self._send(404, b"Not found", "text/plain")
            if reply.kind == "status":
                return self._send(reply.status, b"unavailable", "text/plain", reply.headers)
            if reply.kind == "html":
                body = b"<!doctype html><html><body><h1>Please verify you are human</h1></body></html>"
                return self._send(200, body, "text/html; charset=utf-8")
            data = reply.file.read_bytes()
            if reply.kind == "mislabelled":
                page = b"<!doctype html><html><body>" + b"<p>Access denied</p>" * 100 + b"</body></html>"
                return self._send(200, page + data, "application/pdf")
            if reply.kind == "cut":
                self._headers(200, "application/pdf", len(data))
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return None
            if reply.kind == "slow":
                self._headers(200, "application/pdf", len(data))
                time.sleep(reply.delay)
            else:
                self._headers(200, "application/pdf", len(data))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)
            return None

        def _headers(self, code: int, ctype: str, length: int, extra=()) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(length))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()

        def _send(self, code: int, body: bytes, ctype: str, extra=()) -> None:
            self._headers(code, ctype, len(body), extra)
            self.wfile.write(body)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (rejected or timed-out downloads) are expected, not errors."""

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def start(server: PdfServer) -> tuple[ThreadingHTTPServer, threading.Thread]:
    httpd = _QuietServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}/pdf/"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return httpd, thread
