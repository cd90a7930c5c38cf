"""One retry policy for papersift's HTTP calls (the arXiv API and PDF downloads), on tenacity.

Waits grow exponentially (base, 2 x base, 4 x base, ... up to `max_backoff`), are never
shorter than the server's Retry-After (an exception's `retry_after`, in seconds) and never
longer than `max_wait`. The sleep is injectable, so tests never really wait.
"""

from __future__ import annotations

from collections.abc import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt


def backoff_wait(base: float, max_backoff: float, max_wait: float) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        seconds = min(base * 2 ** (state.attempt_number - 1), max_backoff)
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            seconds = max(seconds, retry_after)
        return min(seconds, max_wait)

    return wait


def retrying(*, attempts: int, base: float, max_backoff: float, max_wait: float,
             retry_on: Callable[[BaseException], bool], sleep: Callable[[float], None],
             before_sleep: Callable[[RetryCallState], None] | None = None) -> Retrying:
    """`attempts` tries of a block (`for attempt in retrying(...): with attempt: ...`); the
    last failure is re-raised as it is, for the caller to word."""
    return Retrying(stop=stop_after_attempt(max(1, attempts)),
                    wait=backoff_wait(base, max_backoff, max_wait),
                    retry=retry_if_exception(retry_on), sleep=sleep, reraise=True,
                    before_sleep=before_sleep)
