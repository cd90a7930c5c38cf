"""A pool of isolated extraction processes with per-document timeouts and a memory cap.

PDFs from the wild hang parsers, blow up memory and crash native code, so no document is
ever parsed in the pipeline's own process. Worker processes are started from a forkserver
(cheap, and never inheriting the parent's threads) and cap their own address space with
``setrlimit(RLIMIT_AS)``; the parent gives each one document at a time and kills it when
that document runs over the wall-clock timeout. A worker that failed a document (timeout,
crash, out of memory, any error) is replaced before the next one, and healthy workers are
replaced after `jobs_per_process` documents, so one bad PDF never affects another while
the start-up cost (PDFium's font set-up, imports) is paid once per many documents.
With ``jobs_per_process=1`` every document gets a fresh process.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ingest.extract import ExtractJob, ExtractResult, resolve_engine, run_job

POLL_SECONDS = 0.05
JOBS_PER_PROCESS = 25


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _serve(conn: Connection, engine: str, memory_mb: int) -> None:
    """Worker process main loop: cap memory, then extract each job sent until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its warnings about damaged streams
    if memory_mb > 0:
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(run_job(job, engine))


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["ingest.extract", "ingest.extract_pool", "ingest.thumbs",
                                "pdfminer.high_level", "pypdfium2", "PIL.Image", "PIL.PngImagePlugin"])
    return ctx


def _crash_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"extraction process crashed ({name})"
    return f"extraction process died (exit code {exitcode})"


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: ExtractJob | None = None
    deadline: float = 0.0
    started: float = 0.0
    done: int = 0


class ExtractionPool:
    """Runs `ExtractJob`s on at most `workers` isolated processes.

    `run(jobs)` yields `(job, result)` as documents finish (not in input order). The job
    iterable is consumed in a feeder thread, so a slow producer (paced downloads) overlaps
    with extraction; it is read at most `workers` items ahead.
    """

    def __init__(self, *, engine: str = "pdfminer", timeout: float = 120.0, memory_mb: int = 1024,
                 workers: int = 0, jobs_per_process: int = JOBS_PER_PROCESS) -> None:
        resolve_engine(engine)  # fail early on a bad setting, in the parent
        self.engine = engine
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.workers = workers or default_workers()
        self.jobs_per_process = max(1, jobs_per_process)
        self._ctx = _context()

    def run(self, jobs: Iterable[ExtractJob]) -> Iterator[tuple[ExtractJob, ExtractResult]]:
        inbox: queue.Queue = queue.Queue(maxsize=self.workers)
        done, errors, stop = object(), [], threading.Event()
        threading.Thread(target=_feed, args=(jobs, inbox, done, errors, stop), daemon=True,
                         name="extract-feeder").start()
        workers: list[_Worker] = []
        exhausted = False
        try:
            while not exhausted or any(w.job for w in workers):
                while not exhausted and sum(1 for w in workers if w.job) < self.workers:
                    busy = any(w.job for w in workers)
                    try:
                        item = inbox.get(timeout=0 if busy else POLL_SECONDS)
                    except queue.Empty:
                        break
                    if item is done:
                        exhausted = True
                    else:
                        self._assign(workers, item)
                yield from self._collect(workers)
        finally:
            stop.set()
            for w in workers:
                self._retire(w, kill=w.job is not None)
        if errors:
            raise errors[0]

    def _assign(self, workers: list[_Worker], job: ExtractJob) -> None:
        worker = next((w for w in workers if w.job is None), None)
        if worker is None:
            worker = self._spawn()
            workers.append(worker)
        now = time.monotonic()
        worker.job, worker.started, worker.deadline = job, now, now + self.timeout
        with contextlib.suppress(OSError):  # died while idle: its sentinel reports a crash
            worker.conn.send(job)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_serve, args=(child, self.engine, self.memory_mb), daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def _collect(self, workers: list[_Worker]) -> Iterator[tuple[ExtractJob, ExtractResult]]:
        busy = [w for w in workers if w.job is not None]
        if not busy:
            return
        now = time.monotonic()
        wait_for = max(0.0, min(min(w.deadline for w in busy) - now, POLL_SECONDS * 4))
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=wait_for))
        now = time.monotonic()
        for w in busy:
            job, result = w.job, None
            if w.conn in ready or w.process.sentinel in ready:
                result = self._receive(w)
            elif now >= w.deadline:
                result = ExtractResult("failed", engine=self.engine, seconds=now - w.started,
                                       reason=f"timed out after {self.timeout:g} s (process killed)")
            if result is None:
                continue
            w.job, w.done = None, w.done + 1
            if not result.ok or w.done >= self.jobs_per_process or not w.process.is_alive():
                self._retire(w, kill=not result.ok)
                workers.remove(w)
            yield job, result

    def _receive(self, w: _Worker) -> ExtractResult:
        try:
            if w.conn.poll():
                return w.conn.recv()
        except (EOFError, OSError):
            pass
        w.process.join(timeout=5)
        return ExtractResult("failed", engine=self.engine, reason=_crash_reason(w.process.exitcode),
                             seconds=time.monotonic() - w.started)

    @staticmethod
    def _retire(w: _Worker, *, kill: bool) -> None:
        if kill and w.process.is_alive():
            w.process.kill()
        elif w.process.is_alive():
            try:
                w.conn.send(None)
            except (BrokenPipeError, OSError):
                w.process.kill()
        w.process.join(timeout=5)
        if w.process.is_alive():
            w.process.kill()
            w.process.join(timeout=5)
        w.conn.close()


def _feed(jobs, inbox: queue.Queue, done, errors: list, stop: threading.Event) -> None:
    try:
        for job in jobs:
            while not stop.is_set():
                try:
                    inbox.put(job, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
    except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer thread
        errors.append(exc)
    inbox.put(done)


def extract_isolated(path: str | Path, *, engine: str = "pdfminer", timeout: float = 120.0,
                     memory_mb: int = 1024, thumb: str | Path | None = None) -> ExtractResult:
    """Extract one PDF in its own process with the timeout and memory cap (RQ jobs use this)."""
    pool = ExtractionPool(engine=engine, timeout=timeout, memory_mb=memory_mb, workers=1)
    job = ExtractJob(None, str(path), str(thumb) if thumb else None)
    for _job, result in pool.run([job]):
        return result
    raise RuntimeError("extraction pool returned no result")  # pragma: no cover
