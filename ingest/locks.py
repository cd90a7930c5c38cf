"""Named, non-blocking locks that make a job run in one process only.

With REDIS_URL set, a Redis lock (redis-py's Lock: SET NX with a TTL, renewed while held)
works across machines; its TTL frees it if the holder dies. Without Redis, a file lock
(py-filelock) in the data dir works across the processes of one machine and is freed by
the kernel when the holder exits, even on kill -9.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Protocol

log = logging.getLogger("papersift.locks")


class Lock(Protocol):
    name: str

    def acquire(self) -> bool:
        """Take or renew the lock without blocking; True if this holder has it now."""

    def release(self) -> None:
        """Give the lock up if held (idempotent)."""

    @property
    def held(self) -> bool: ...


class FileLock:
    """An exclusive lock on the file `path` (py-filelock: flock on POSIX), held for as long as
    this object holds it; the kernel frees it when the process exits, even on kill -9."""

    def __init__(self, path: Path) -> None:
        import filelock

        self.path = Path(path)
        self.name = self.path.name
        # not thread-local: the scheduler renews its lock from several threads
        self._lock = filelock.FileLock(self.path, thread_local=False)
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> bool:
        import filelock

        with self._mutex:
            if self._lock.is_locked:
                return True
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._lock.acquire(timeout=0)
            except filelock.Timeout:
                return False
            return True

    def release(self) -> None:
        with self._mutex:
            self._lock.release(force=True)

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class RedisLock:
    """A Redis lock with a TTL; call `acquire` again (at least every ttl/2) to keep it."""

    def __init__(self, url: str, name: str, ttl: float = 60.0) -> None:
        import redis

        self.name = name
        self.ttl = ttl
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._lock = self._redis.lock(f"papersift:lock:{name}", timeout=ttl, blocking=False,
                                      thread_local=False)
        self._held = False
        self._warned = False
        self._mutex = threading.Lock()   # renewals come from several scheduler threads

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self) -> bool:
        import redis
        from redis.exceptions import LockError

        with self._mutex:
            try:
                if self._held:
                    try:
                        self._lock.reacquire()
                        return True
                    except LockError:  # expired and maybe taken by another holder
                        log.warning("lost the %s lock (it expired); trying to take it again", self.name)
                        self._held = False
                self._held = bool(self._lock.acquire(blocking=False))
                self._warned = False
            except redis.RedisError as exc:
                if not self._warned:  # once per outage, not once per heartbeat
                    log.warning("Redis unavailable for the %s lock: %s", self.name, exc)
                    self._warned = True
                self._held = False
            return self._held

    def release(self) -> None:
        import redis
        from redis.exceptions import LockError

        with self._mutex:
            if not self._held:
                return
            self._held = False
            with contextlib.suppress(LockError, redis.RedisError):
                self._lock.release()

    def close(self) -> None:
        self.release()
        self._redis.close()


def make_lock(settings, name: str, ttl: float = 60.0) -> Lock:
    """A Redis lock when REDIS_URL is set, else a lock file `<data dir>/<name>.lock`."""
    if settings.redis_url:
        return RedisLock(settings.redis_url, name, ttl)
    return FileLock(settings.data_path / f"{name}.lock")
