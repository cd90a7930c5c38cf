"""Failed logins slow an account down; they never lock its owner out.

Refusals are per address: one address may fail `address_rate_limit` times in all and
`login_rate_limit` times for one account (web/auth.py), so an attacker who guesses locks
out only themselves. Across all addresses an account's failures are counted here too:
past the `login_rate_limit` amount within its period, every further attempt on the account,
right or wrong, waits before the password is checked, twice as long each time up to
`login_delay_max` seconds. That slows guessing spread over many addresses while the
owner, from their own address, still gets in, a little later.

Counts live in the rate limiter's storage (Redis when configured, else memory), so every
worker shares them; a storage failure means no delay rather than an error.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from limits import RateLimitItem, parse

from web.extensions import limiter

log = logging.getLogger("papersift.auth")

FIRST_DELAY = 0.5            # seconds, at the first failure past the free ones
SCOPE = "login-failures"
sleep = time.sleep           # tests replace it


def _rule() -> tuple[int, RateLimitItem]:
    """(free failures, a counter over the same period) from the login_rate_limit setting."""
    item = parse(current_app.config["SETTINGS"].login_rate_limit.split(";")[0])
    return item.amount, type(item)(10**9, item.multiples, SCOPE)


def _account(username: str) -> str:
    return (username or "").strip().lower()[:64]


def recent_failures(username: str) -> int:
    """Failed logins for this account, from anywhere, in the current period."""
    _, counter = _rule()
    try:
        stats = limiter.limiter.get_window_stats(counter, SCOPE, _account(username))
    except Exception as exc:  # noqa: BLE001 - the limiter's storage is down: no delay
        log.warning("login failure count unavailable: %s", exc)
        return 0
    return counter.amount - stats.remaining


def record_failure(username: str) -> None:
    _, counter = _rule()
    try:
        limiter.limiter.hit(counter, SCOPE, _account(username))
    except Exception as exc:  # noqa: BLE001
        log.warning("login failure not counted: %s", exc)


def delay_for(failures: int, free: int, longest: float) -> float:
    """Seconds to wait before checking a password after `failures` recent failures."""
    if failures < free or longest <= 0:
        return 0.0
    return min(FIRST_DELAY * 2 ** min(failures - free, 32), longest)


def slow_down(username: str) -> float:
    """Wait as long as the account's recent failures ask for; returns the seconds waited."""
    free, _ = _rule()
    seconds = delay_for(recent_failures(username), free, current_app.config["SETTINGS"].login_delay_max)
    if seconds:
        sleep(seconds)
    return seconds
