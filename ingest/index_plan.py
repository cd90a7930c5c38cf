"""Deciding between an incremental index update and a full refit, and reading the delta.

An update carries the current version's fitted vocabulary and idf forward (see
recommend/index_update.py). It is chosen when the store changed since the current
version and:

- every extra part has an updater (else a full build makes it);
- the current version records the store's high-water mark and was built with today's
  index settings and analyser;
- its vocabulary was fitted less than PAPERSIFT_INDEX_REFIT_DAYS ago;
- the drift after this update (papers added, revised or removed since the refit, as a
  share of the refit's papers) stays within PAPERSIFT_INDEX_REFIT_DRIFT.

Otherwise the index is refitted from scratch, and the reason is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy.engine import Connection

from config import Settings
from domain.index_files import refit_info
from recommend.index import Index
from recommend.index_update import drift
from store.index_delta import changed_paper_ids, stored_paper_ids


@dataclass(frozen=True)
class UpdatePlan:
    """What an incremental update changes: base rows to keep and papers to (re)add."""

    keep: np.ndarray            # bool per base row
    new_ids: list[str]          # added and revised papers, in index row order
    n_revised: int
    n_removed: int
    drift: float

    @property
    def n_added(self) -> int:
        return len(self.new_ids) - self.n_revised


def refit_age_days(meta: dict, now: datetime | None = None) -> float | None:
    """Days since the version's vocabulary and idf were fitted (None if unknown)."""
    _version, created = refit_info(meta)
    try:
        fitted = datetime.fromisoformat(created)
    except ValueError:
        return None
    if fitted.tzinfo is None:
        fitted = fitted.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - fitted).total_seconds() / 86400


def plan_update(conn: Connection, base: Index | None, settings: Settings, fingerprint: str,
                updaters: Sequence[Callable | None]) -> UpdatePlan | str:
    """An update plan, or why the index must be refitted from scratch instead."""
    if base is None:
        return "no current index"
    reason = _cannot_update(base, settings, fingerprint, updaters)
    if reason:
        return reason
    plan = read_delta(conn, base)
    limit = settings.index_refit_drift
    if plan.drift > limit:
        return f"drift {plan.drift:.1%} over {limit:.1%}"
    return plan


def _cannot_update(base: Index, settings: Settings, fingerprint: str,
                   updaters: Sequence[Callable | None]) -> str:
    if any(updater is None for updater in updaters):
        return "an index part has no incremental updater"
    if not base.meta.get("high_water"):
        return "the current version records no store high-water mark"
    if _recipe(base.meta.get("fingerprint", "")) != _recipe(fingerprint):
        return "the index settings or the analyser changed"
    age = refit_age_days(base.meta)
    if age is None or age >= settings.index_refit_days:
        fitted = "at an unknown time" if age is None else f"{age:.1f} days ago"
        return f"vocabulary fitted {fitted}, refit every {settings.index_refit_days:g} days"
    return ""


def _recipe(fingerprint: str) -> list[str]:
    """The parts of an index fingerprint that are not the store's state (settings, analyser)."""
    return [p for p in fingerprint.split("|") if not p.startswith(("papers=", "fulltext="))]


def read_delta(conn: Connection, base: Index) -> UpdatePlan:
    """Papers changed since the base's high-water mark, and base papers no longer stored."""
    changed = changed_paper_ids(conn, base.meta["high_water"])
    stored = set(stored_paper_ids(conn))
    base_ids = [str(pid) for pid in base.ids]
    keep = np.fromiter((pid in stored for pid in base_ids), dtype=np.bool_, count=len(base_ids))
    n_removed = int(len(keep) - keep.sum())
    row_of = base.row_of
    revised = [row_of[pid] for pid in changed if pid in row_of]
    keep[revised] = False
    n_changed = len(changed) + n_removed
    return UpdatePlan(keep, changed, len(revised), n_removed, drift(base.meta, n_changed))
