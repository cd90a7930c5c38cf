"""Paper views: browse pages, similar papers, and the phrase check search relies on.

Each function takes the store connection and, where it ranks, the loaded index (None
before the first `papersift index`); the web views, the JSON API, the MCP tools and
`papersift search` all call these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from ingest.indexing import document_texts
from recommend.hybrid import blended_similar
from recommend.index import Index
from recommend.row_reads import file_slices
from recommend.search_postings import search_index
from recommend.similar import nearest_among, shared_term_rows
from recommend.trend_query import text_holds
from services.params import BrowseQuery
from store.papers import Paper, get_papers, list_papers

# Past SIMILAR_SCAN_ALL papers, the TF-IDF side of similar papers scores only the papers
# sharing the paper's heavier terms (from the search postings), at most about
# SIMILAR_CANDIDATES of them, rather than every paper: the cost of one paper page no longer
# grows with the corpus. The embeddings' side, when built, still looks at every paper
# (through the ANN index past its size), so a paraphrase sharing no word is still found.
SIMILAR_SCAN_ALL = 50_000
SIMILAR_CANDIDATES = 5_000


@dataclass(frozen=True)
class ScoredPaper:
    paper: Paper
    score: float


def similar_papers(conn: Connection, index: Index | None, paper_id: str, k: int = 10,
                   vector_weight: float = 0.5) -> list[ScoredPaper]:
    """Top k papers by cosine similarity over the index (TF-IDF blended with the embeddings,
    `vector_weight` of the vectors' cosine, once the version has them; over the version's ANN
    index when it has one); empty when the paper
    is not indexed."""
    if index is None:
        return []
    row = index.row(paper_id)
    if row is None:
        return []
    from services.semantic import ann_of, vectors_of

    vectors = vectors_of(index)
    si = search_index(index) if len(index) > SIMILAR_SCAN_ALL else None
    # the paper's terms' postings and the hits' ids are read from the parts' files:
    # scattered over parts of hundreds of MB, through the mappings they would stay mapped
    candidates = None if si is None else shared_term_rows(
        index.matrix, row, si.feature_postings.rows, SIMILAR_CANDIDATES)
    if candidates is not None and vectors is None:
        hits = nearest_among(index.matrix, row, candidates, k)
    else:
        hits = blended_similar(index.matrix, None if vectors is None else vectors.dense, row, k,
                               vector_weight=vector_weight, ann=ann_of(index),
                               lexical_rows=candidates)
    ids = file_slices(index.ids)
    scores = {str(ids[r]): s for r, s in hits}
    return [ScoredPaper(p, scores[p.id]) for p in get_papers(conn, list(scores))]


# a filtered browse count stops here ("More than 2,000 papers"): past it, an exact count
# would read every matching row on every page view
BROWSE_COUNT_CAP = 2_000


@dataclass(frozen=True)
class BrowsePage:
    total: int                  # exact, or the cap when `more`
    papers: list[Paper]
    query: BrowseQuery
    more: bool = False          # more than `total` papers match

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def browse(conn: Connection, query: BrowseQuery) -> BrowsePage:
    flt = query.paper_filter(conn)
    # the whole store's count is kept between pages (store/counts.py): exact at no cost
    cap = None if flt.where() is None else BROWSE_COUNT_CAP
    total, papers = list_papers(conn, flt, limit=query.per_page, offset=query.offset,
                                count_cap=cap)
    more = cap is not None and total > cap
    return BrowsePage(min(total, cap) if more and cap is not None else total, papers, query, more)


def papers_holding(conn: Connection, ids: list[str], phrases: Iterable) -> set[str]:
    """Of the given papers, those whose text (as indexed) holds every phrase (search's check
    of phrases the index cannot decide)."""
    return {pid for pid, text in document_texts(conn, ids).items()
            if all(text_holds(text, seq) for seq in phrases)}
