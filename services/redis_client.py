"""Redis clients that fail fast, shared by the caches (services.cache), /readyz and
`papersift doctor`: a Redis that stops answering is a miss, not a hung request."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

SOCKET_TIMEOUT = 0.5


def redis_client(url: str, timeout: float = SOCKET_TIMEOUT) -> redis.Redis:
    """A client that fails fast: short connect and read timeouts, no retries."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                retry_on_timeout=False)


def ping_redis(url: str, timeout: float = SOCKET_TIMEOUT) -> str | None:
    """None when Redis at `url` answers PING, else a short description of the failure."""
    import redis

    try:
        client = redis_client(url, timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None
