"""A small cache facade: Redis when `REDIS_URL` is set, else an in-process LRU with expiry.

Callers use `get_cache()` and never see which backend serves them:

    cache = get_cache()
    ranking = cache.get(key)
    if ranking is None:
        ranking = compute()
        cache.set(key, ranking, ttl=3600)

Redis going away must never break a page: a failed Redis call is a cache miss (get)
or a no-op (set/delete), logged once as a warning; for `RETRY_SECONDS` after a failure
Redis is not tried at all (so a black-holed host costs one timeout, not one per call),
then the next call tries again and, when it works, logs that Redis is back.

The Redis client library is imported only when Redis is used (it takes ~50 ms, which
every command of the CLI would otherwise pay).

Values are pickled: Redis holds only what this application wrote (RQ trusts it the same
way), so treat access to Redis like access to the data directory.

`init_app` also makes Flask-Limiter survive Redis loss (in-memory fallback, errors
swallowed), since the limiter shares the same Redis.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, current_app

from config import Settings
from services.redis_client import SOCKET_TIMEOUT, redis_client

if TYPE_CHECKING:
    pass

log = logging.getLogger("papersift.cache")

RETRY_SECONDS = 5.0
KEY_PREFIX = "papersift:cache:"
VENDOR_MAX_AGE = 365 * 24 * 3600     # static/vendor/<lib>-<version>/: the path changes with the file
STATIC_MAX_AGE = 300                 # site.css, site.js: short, then revalidated by ETag


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, ttl: float | None = None) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryCache:
    """Thread-safe LRU with per-entry expiry, for one process (the zero-setup default)."""

    def __init__(self, max_entries: int = 2048, clock=time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[str, tuple[float | None, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires, value = item
            if expires is not None and self._clock() >= expires:
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        expires = None if ttl is None else self._clock() + ttl
        with self._lock:
            self._data[key] = (expires, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisCache:
    """Redis-backed cache that degrades to misses while Redis is unreachable."""

    def __init__(self, url: str, *, prefix: str = KEY_PREFIX, clock=time.monotonic) -> None:
        import redis

        self._client = redis_client(url)
        self._lost = (redis.ConnectionError, redis.TimeoutError, OSError)
        self._failed = redis.RedisError
        self._prefix = prefix
        self._clock = clock
        self._down_until = 0.0
        self._down = False
        self._lock = threading.Lock()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._down and self._clock() < self._down_until:
            return None
        try:
            result = getattr(self._client, method)(*args, **kwargs)
        except self._lost as exc:
            self._mark_down(exc)
            return None
        except self._failed as exc:         # e.g. OOM, READONLY replica: this call only
            log.debug("Redis %s failed: %s", method, exc)
            return None
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    log.warning("Redis is reachable again; using the shared cache")
        return result

    def _mark_down(self, exc: BaseException) -> None:
        with self._lock:
            if not self._down:
                log.warning("Redis unreachable (%s: %s); serving without the shared cache",
                            exc.__class__.__name__, exc)
            self._down = True
            self._down_until = self._clock() + RETRY_SECONDS

    @property
    def available(self) -> bool:
        return not self._down

    def get(self, key: str) -> Any | None:
        raw = self._call("get", self._prefix + key)
        if raw is None:
            return None
        try:
            return pickle.loads(raw)
        except Exception:  # noqa: BLE001 - a corrupt or foreign entry is a miss
            return None

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        px = None if ttl is None else max(1, int(ttl * 1000))
        self._call("set", self._prefix + key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL), px=px)

    def delete(self, key: str) -> None:
        self._call("delete", self._prefix + key)


def make_cache(settings: Settings) -> Cache:
    return RedisCache(settings.redis_url) if settings.redis_url else MemoryCache()


def get_cache() -> Cache:
    """The app's cache (created on first use)."""
    cache = current_app.extensions.get("papersift.cache")
    if cache is None:
        cache = make_cache(current_app.config["SETTINGS"])
        current_app.extensions["papersift.cache"] = cache
    return cache


def static_max_age(filename: str | None) -> int | None:
    """Browser cache lifetime of a static file: long for versioned vendor paths."""
    if filename and filename.replace("\\", "/").startswith("vendor/"):
        return VENDOR_MAX_AGE
    return STATIC_MAX_AGE


def init_app(app: Flask) -> None:
    """Create the cache, set static files' cache headers, and make the rate limiter keep
    working (in memory) when Redis is down."""
    settings: Settings = app.config["SETTINGS"]
    app.extensions["papersift.cache"] = make_cache(settings)
    app.get_send_file_max_age = static_max_age  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if settings.redis_url:
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT})
