"""One cache abstraction for every cached thing: pages, trend reports and rankings.

Redis when `REDIS_URL` is set (shared by every worker), else an in-process LRU with
expiry. Callers hold a `Cache` and never see which backend serves them:

    ranking = cache.get(key)
    if ranking is None:
        ranking = compute()
        cache.set(key, ranking, ttl=3600)

Each use makes its own instance with `make_cache`: its own key prefix in Redis, and its
own LRU bound in memory (a ranking is a float per paper, so a few dozen of them is
plenty; a page is small).

Redis going away must never break a page: a failed Redis call is a cache miss (get)
or a no-op (set/delete), logged once as a warning; for `RETRY_SECONDS` after a failure
Redis is not tried at all (so a black-holed host costs one timeout, not one per call),
then the next call tries again and, when it works, logs that Redis is back.

The Redis client library is imported only when Redis is used (it takes ~50 ms, which
every command of the CLI would otherwise pay).

Values are stored in Redis as numpy archives and JSON (services/cache_codec.py), never
pickled: whoever can write to Redis can make papersift serve a wrong cached answer, but
not run code in it. A value the codec does not store is not cached (logged).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any, Protocol

from config import Settings
from services.redis_client import redis_client

log = logging.getLogger("papersift.cache")

RETRY_SECONDS = 5.0
KEY_PREFIX = "papersift:cache:"
MEMORY_ENTRIES = 2048
EXTENSION_KEY = "papersift.cache"


class Cache(Protocol):
    """get/set/delete by string key; a miss (or an unreachable backend) is None."""

    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, ttl: float | None = None) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryCache:
    """Thread-safe LRU with per-entry expiry, for one process (the zero-setup default)."""

    def __init__(self, max_entries: int = MEMORY_ENTRIES, clock=time.monotonic) -> None:
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

    def __init__(self, url: str, *, prefix: str = KEY_PREFIX, ttl_on_read: float | None = None,
                 clock=time.monotonic) -> None:
        import redis

        from services import cache_codec  # numpy: only when Redis is used, as redis

        self._codec = cache_codec
        self._client = redis_client(url)
        self._ttl_on_read = ttl_on_read
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
        if self._ttl_on_read is None:
            raw = self._call("get", self._prefix + key)
        else:                               # kept while in use: expires after ttl_on_read unread
            raw = self._call("getex", self._prefix + key, px=max(1, int(self._ttl_on_read * 1000)))
        if raw is None:
            return None
        try:
            return self._codec.decode(raw)
        except ValueError:                  # a corrupt or foreign entry is a miss
            return None

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        px = None if ttl is None else max(1, int(ttl * 1000))
        try:
            raw = self._codec.encode(value)
        except self._codec.UnstorableValue as exc:
            log.warning("not caching %s: %s", key, exc)
            return
        self._call("set", self._prefix + key, raw, px=px)

    def delete(self, key: str) -> None:
        self._call("delete", self._prefix + key)


def make_cache(settings: Settings, *, prefix: str = KEY_PREFIX, max_entries: int = MEMORY_ENTRIES,
               ttl_on_read: float | None = None) -> Cache:
    """Redis under `prefix` when configured, else an LRU of `max_entries` in this process.
    With `ttl_on_read`, every Redis hit renews the entry's lifetime (in use, never expired)."""
    if settings.redis_url:
        return RedisCache(settings.redis_url, prefix=prefix, ttl_on_read=ttl_on_read)
    return MemoryCache(max_entries)


def shared_cache(extensions: MutableMapping[str, Any], settings: Settings) -> Cache:
    """The app's shared cache (pages with Redis, trend reports), kept in its `extensions`
    mapping and made on first use."""
    cache = extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = extensions[EXTENSION_KEY] = make_cache(settings)
    return cache
