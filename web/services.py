"""What views call: the current index (reloaded when a new version appears), paper views.

Views stay thin: they parse the request, call one function here or in the store, render.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app
from sqlalchemy.engine import Connection

from domain import index_files
from ingest.indexing import document_texts
from recommend.hybrid import blended_similar
from recommend.index import load_index
from recommend.trend_query import text_holds
from store.papers import Paper, get_paper, get_papers, list_papers
from web.params import BrowseQuery

RECHECK_SECONDS = 2.0


class IndexHolder:
    """Holds the loaded index of one data dir and swaps in a new version when one appears.

    Checking the `current` pointer is a cheap read done at most every RECHECK_SECONDS, so
    every worker picks up a rebuilt index within seconds without a restart.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index = None
        self._version: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self):
        now = time.monotonic()
        if now - self._checked >= RECHECK_SECONDS:
            with self._lock:
                self._checked = now
                version = index_files.current_version(self.root)
                if version != self._version:
                    self._index = load_index(self.root) if version else None
                    self._version = version
        return self._index

    @property
    def version(self) -> str | None:
        """The version of the index get() returns (None before the first build)."""
        self.get()
        return self._version

    def reload(self) -> None:
        """Forget the check time so the next get() re-reads the pointer (after a build)."""
        self._checked = 0.0


def index_holder() -> IndexHolder:
    holder = current_app.extensions.get("papersift.index")
    if holder is None:
        holder = IndexHolder(current_app.config["SETTINGS"].index_dir)
        current_app.extensions["papersift.index"] = holder
    return holder


def current_index():
    """The loaded current index, or None before the first `papersift index`."""
    return index_holder().get()


def get_paper_or_404(conn: Connection, paper_id: str) -> Paper:
    paper = get_paper(conn, paper_id)
    if paper is None:
        abort(404, description=f"No paper {paper_id!r} in this papersift.")
    return paper


@dataclass(frozen=True)
class ScoredPaper:
    paper: Paper
    score: float


def similar_papers(conn: Connection, paper_id: str, k: int = 10) -> list[ScoredPaper]:
    """Top k papers by cosine similarity over the index (TF-IDF blended with the embeddings
    once the version has them); empty when the paper is not indexed."""
    index = current_index()
    if index is None:
        return []
    row = index.row(paper_id)
    if row is None:
        return []
    from services.semantic import vectors_of

    vectors = vectors_of(index)
    hits = blended_similar(index.matrix, None if vectors is None else vectors.dense, row, k,
                           vector_weight=current_app.config["SETTINGS"].similar_vector_weight)
    scores = {str(index.ids[r]): s for r, s in hits}
    return [ScoredPaper(p, scores[p.id]) for p in get_papers(conn, list(scores))]


@dataclass(frozen=True)
class BrowsePage:
    total: int
    papers: list[Paper]
    query: BrowseQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def browse(conn: Connection, query: BrowseQuery) -> BrowsePage:
    total, papers = list_papers(conn, query.paper_filter(conn), limit=query.per_page,
                                offset=query.offset)
    return BrowsePage(total, papers, query)


def papers_holding(conn: Connection, ids: list[str], phrases) -> set[str]:
    """Of the given papers, those whose text (as indexed) holds every phrase (the search
    page's and `papersift search`'s check of phrases the index cannot decide)."""
    return {pid for pid, text in document_texts(conn, ids).items()
            if all(text_holds(text, seq) for seq in phrases)}
