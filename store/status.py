"""What `papersift status` and the status page report, as one JSON-able dict."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from config import Settings
from domain import index_files
from store import fulltext, papers, runs


def store_status(conn: Connection, settings: Settings, *, light: bool = False) -> dict:
    """Counts, categories, date range and the index; `light` stops after the paper count."""
    status: dict = {"papers": papers.count_papers(conn)}
    if light:
        return status
    lo, hi = papers.date_range(conn)
    status["date_range"] = [lo.isoformat() if lo else None, hi.isoformat() if hi else None]
    status["categories"] = papers.category_counts(conn)
    info = index_files.index_info(settings.index_dir)
    status["index"] = None if info is None else {
        "version": info.version, "n_docs": info.n_docs, "n_terms": info.n_terms,
        "bytes": info.size_bytes, "created": info.created,
        "current": info.fingerprint == papers.index_fingerprint(conn, settings),
        **_refit_status(info.meta, settings),
    }
    status["fulltext"] = fulltext.status_counts(conn)
    status["runs"] = runs.recent_runs_json(conn)
    return status


def _refit_status(meta: dict, settings: Settings) -> dict:
    """When the version's vocabulary was fitted, and how far updates have moved it since."""
    refit_version, refit_created = index_files.refit_info(meta)
    return {"refit_version": refit_version, "refit_created": refit_created,
            "updated_from": meta.get("base_version"), "drift": float(meta.get("drift") or 0.0),
            "drift_limit": settings.index_refit_drift, "refit_days": settings.index_refit_days}
