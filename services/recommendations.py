"""Recommendations for a user: cached rankings, trained in the background, explained.

A ranking (the user's model scores for every paper in the index) is cached under a key
made of the index version, the exact training sets (library or tag papers, not-interested
papers) and the model settings, so it is retrained only when one of them changes: adding a
paper or swapping the index makes a new key. The cache lives in Redis when REDIS_URL is
set (shared by every worker), else in-process (an LRU of recent rankings): services.cache.

The ranking itself is recommend/fusion.py's: the SVM (over TF-IDF ⊕ α·embedding when the
index version has vectors), the cosine to the library's TF-IDF centroid and to its embedding
centroid, standardised and added, the centroids widened by the first pass's top papers
(pseudo-relevance feedback, PAPERSIFT_RECOMMEND_FEEDBACK). Without vectors it is lexical.

Training never blocks a request: a missing SVM ranking is trained in a background thread
while the request is served a centroid ranking (cosine similarity to the library's mean,
one sparse product). `sync=True` (the CLI, tests) trains in the caller instead.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import MutableMapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

from config import Settings
from recommend.explain import explain_folded
from recommend.fusion import train_fused
from recommend.hybrid import meaning_drove, nearest_in_meaning, score_parts
from recommend.index import Index
from recommend.index_vectors import Vectors
from recommend.similar import top_k
from recommend.svm import LinearModel, centroid_model, library_terms
from recommend.trends import written_forms
from services.cache import Cache, MemoryCache, make_cache
from services.cache_codec import register_value_type
from services.params import InvalidArgument, QueryArgs, category_arg, int_arg
from services.semantic import vectors_of
from store import library as lib
from store.papers import WINDOWS, Paper, get_papers, window_start
from store.seen import seen_ids

log = logging.getLogger("papersift.recommend")
LRU_SIZE = 32
RANKING_TTL = 7 * 24 * 3600       # a ranking nobody reads for a week is dropped
RANKING_PREFIX = "papersift:ranking:"
RUNTIME_KEY = "papersift.reco"
MODES = ("any", "all")
PAGE_SIZE = 25
MAX_TAGS = 20


@dataclass(frozen=True)
class RecoQuery:
    """What to recommend: for the whole library or tags (any/all), minus a negative tag."""
    tags: tuple[str, ...] = ()
    mode: str = "any"
    negative_tag: str | None = None
    since: datetime | None = None
    category: str = ""
    k: int = 50
    offset: int = 0
    hide_seen: bool = False         # leave out papers the user has seen (store/seen.py)


@register_value_type           # stored in Redis by the cache codec, not pickled
@dataclass(frozen=True)
class Ranking:
    kind: str                       # "svm" or "centroid" (while the SVM trains)
    scores: np.ndarray              # float32 per index row
    coef: np.ndarray                # float32 per term, for explanations
    vec_coef: np.ndarray | None = None   # float32 per embedding dimension when hybrid
    term_offset: float = 0.0        # mean term part over all papers: what words add above it
    vec_offset: float = 0.0         # mean vector part over all papers


@dataclass(frozen=True)
class Recommended:
    paper: Paper
    score: float
    reasons: list[str]


@dataclass
class RecoResult:
    items: list[Recommended] = field(default_factory=list)
    kind: str = ""                  # "svm", "centroid", or "" when nothing could be ranked
    total: int = 0                  # candidate papers after filters
    positives: int = 0
    empty_reason: str = ""          # "library", "tag", "index" when there is nothing to rank


def reco_query(conn: Connection, args: QueryArgs, per_page: int = PAGE_SIZE) -> tuple[RecoQuery, str, int]:
    """(query, window name, page) from the query string; InvalidArgument says what is wrong."""
    tags = tuple(dict.fromkeys(t.strip() for t in args.getlist("tag") if t.strip()))
    if len(tags) > MAX_TAGS:
        raise InvalidArgument(f"at most {MAX_TAGS} tags at a time")
    mode = args.get("mode", "any").strip() or "any"
    if mode not in MODES:
        raise InvalidArgument("mode must be 'any' (papers with any of the tags) or 'all'")
    window = args.get("window", "all").strip() or "all"
    if window not in WINDOWS:
        raise InvalidArgument(f"window must be one of {', '.join(WINDOWS)}")
    page = int_arg(args, "page", 1, 1, 1000)
    per_page = int_arg(args, "n", per_page, 1, 500)
    query = RecoQuery(tags=tags, mode=mode, negative_tag=args.get("neg", "").strip() or None,
                      since=window_start(conn, window), category=category_arg(args),
                      k=per_page, offset=(page - 1) * per_page,
                      hide_seen=args.get("seen", "hide").strip() != "show")
    return query, window, page


# -- cache --------------------------------------------------------------------------


def ranking_cache(settings: Settings) -> Cache:
    """Where rankings are kept: Redis (shared by workers, expiring after a week unused), else
    an LRU of LRU_SIZE rankings in this process (each one is a float per paper)."""
    return make_cache(settings, prefix=RANKING_PREFIX, max_entries=LRU_SIZE, ttl_on_read=RANKING_TTL)


def local_ranking_cache() -> Cache:
    """An LRU of LRU_SIZE rankings for one run (a command, a digest run)."""
    return MemoryCache(LRU_SIZE)


def reco_runtime(extensions: MutableMapping[str, Any], settings: Settings, *, sync: bool = False
                 ) -> tuple[Cache, Trainer | None]:
    """(ranking cache, background trainer or None when `sync`) of one app, made on first use
    and kept in its `extensions` mapping."""
    runtime = extensions.get(RUNTIME_KEY)
    if runtime is None:
        runtime = extensions[RUNTIME_KEY] = (ranking_cache(settings), None if sync else Trainer())
    return runtime


# -- training -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingSets:
    positives: tuple[str, ...]
    hard_negatives: tuple[str, ...]
    excluded: frozenset[str]         # never recommended: library, not-interested (and seen) papers


def training_sets(conn: Connection, user_id: int, query: RecoQuery) -> TrainingSets:
    saved = lib.library_ids(conn, user_id)
    dismissed = lib.not_interested_ids(conn, user_id)
    positives = lib.tagged_ids(conn, user_id, query.tags, query.mode) if query.tags else set(saved)
    negatives = set(dismissed)
    if query.negative_tag:
        tagged_negative = lib.tagged_ids(conn, user_id, [query.negative_tag])
        positives -= tagged_negative
        negatives |= tagged_negative
    excluded = saved | dismissed
    if query.hide_seen:
        excluded |= seen_ids(conn, user_id)
    return TrainingSets(tuple(sorted(positives)), tuple(sorted(negatives)), frozenset(excluded))


def cache_key(index: Index, sets: TrainingSets, settings: Settings, vectors: Vectors | None
              ) -> str:
    """The ranking's key; `vectors` are the ones the ranking is (to be) trained with, so a
    hybrid ranking is never stored under a lexical key or the reverse."""
    h = hashlib.sha256()
    # vectors appearing for the version (or another model) make a new key: a hybrid ranking
    hybrid = (f"vec={vectors.model}:{vectors.covered}:a={settings.hybrid_alpha}:C={settings.hybrid_svm_c}"
              if vectors is not None else "lexical")
    for part in (index.version, hybrid, f"C={settings.svm_c}", f"w={settings.svm_positive_weight}",
                 f"fused:feedback={settings.recommend_feedback}",
                 "+", *sets.positives, "-", *sets.hard_negatives):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


def _rows(index: Index, ids: Sequence[str]) -> list[int]:
    return [r for r in (index.row(i) for i in ids) if r is not None]


def train_ranking(index: Index, sets: TrainingSets, settings: Settings, vectors: Vectors | None
                  ) -> Ranking:
    """Train the fused model and score every paper (the cold path): with the embeddings
    when the index version has `vectors`, else over TF-IDF alone."""
    positives, negatives = _rows(index, sets.positives), _rows(index, sets.hard_negatives)
    dense = vectors.dense if vectors is not None and vectors.covered else None
    if dense is not None and positives and not np.any(dense[np.asarray(positives)]):
        dense = None                  # no library paper encoded yet: lexical, with the lexical C
    model = train_fused(index.matrix, dense, positives, negatives, alpha=settings.hybrid_alpha,
                        C=settings.svm_c if dense is None else settings.hybrid_svm_c,
                        positive_weight=settings.svm_positive_weight,
                        feedback=settings.recommend_feedback)
    return Ranking(model.kind, model.scores(index.matrix, dense), model.coef, model.vec_coef,
                   model.term_offset, model.vec_offset)


def _ranking(index: Index, model: LinearModel) -> Ranking:
    return Ranking(model.kind, model.scores(index.matrix), model.coef)


class Trainer:
    """One background thread per process trains rankings; a key is trained once at a time."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="papersift-svm")
        self._pending: dict[str, Future] = {}
        self._lock = threading.Lock()

    def submit(self, key: str, index: Index, sets: TrainingSets, settings: Settings, cache,
               vectors: Vectors | None) -> Future:
        with self._lock:
            future = self._pending.get(key)
            if future is None:
                future = self._pool.submit(self._train, key, index, sets, settings, cache, vectors)
                self._pending[key] = future
            return future

    def _train(self, key: str, index: Index, sets: TrainingSets, settings: Settings, cache,
               vectors: Vectors | None) -> None:
        try:
            cache.set(key, train_ranking(index, sets, settings, vectors), ttl=RANKING_TTL)
        except Exception:  # noqa: BLE001 - the centroid ranking stays in use
            log.exception("training a ranking failed")
        finally:
            with self._lock:
                self._pending.pop(key, None)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for every pending training (tests, shutdown)."""
        with self._lock:
            futures = list(self._pending.values())
        for future in futures:
            future.result(timeout=timeout)


def get_ranking(index: Index, sets: TrainingSets, settings: Settings, cache, trainer: Trainer | None
                ) -> Ranking:
    """The cached SVM ranking; else train it now (no trainer) or serve a centroid meanwhile."""
    vectors = vectors_of(index)     # once: the key and the training must agree on them
    key = cache_key(index, sets, settings, vectors)
    ranking = cache.get(key)
    if ranking is not None:
        return ranking
    if trainer is None:
        ranking = train_ranking(index, sets, settings, vectors)
        cache.set(key, ranking, ttl=RANKING_TTL)
        return ranking
    trainer.submit(key, index, sets, settings, cache, vectors)
    provisional = cache.get(key + ":centroid")
    if provisional is None:
        provisional = _ranking(index, centroid_model(index.matrix, _rows(index, sets.positives)))
        cache.set(key + ":centroid", provisional, ttl=RANKING_TTL)
    return provisional


# -- the use case -------------------------------------------------------------------


def candidate_mask(index: Index, excluded: frozenset[str], since: datetime | None, category: str
                   ) -> np.ndarray:
    """Rows that may be recommended: not excluded, in the time window and category."""
    mask = np.ones(len(index), dtype=bool)
    mask[_rows(index, sorted(excluded))] = False
    if since is not None:
        mask &= np.asarray(index.published) >= np.datetime64(since.date(), "D")
    if category:
        mask &= category_mask(index, category)
    return mask


# keyed weakly by index so an old version (its matrix, maps and vectors) is freed once
# the holder swaps it out; a cache keyed strongly would keep recent versions alive
_category_masks: weakref.WeakKeyDictionary[Index, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary())
_category_masks_lock = threading.Lock()
CATEGORY_MASKS_PER_INDEX = 64


def category_mask(index: Index, category: str) -> np.ndarray:
    """Rows listing `category` (any position); computed once per index version and category."""
    with _category_masks_lock:
        found = _category_masks.get(index, {}).get(category)
    if found is not None:
        return found
    padded = np.char.add(np.char.add(" ", np.asarray(index.categories)), " ")
    mask = np.char.find(padded, f" {category} ") >= 0
    with _category_masks_lock:
        masks = _category_masks.setdefault(index, {})
        if len(masks) >= CATEGORY_MASKS_PER_INDEX:
            masks.pop(next(iter(masks)))        # oldest first: bounded for odd category strings
        masks[category] = mask
    return mask


def rank_page(index: Index, sets: TrainingSets, query: RecoQuery, settings: Settings, cache,
              trainer: Trainer | None = None, n_reasons: int = 5
              ) -> tuple[Ranking, list[tuple[int, float]], list[list[tuple[str, float]]], int]:
    """(ranking, one page of (row, score), reasons per row, candidates) for known training sets."""
    pos_rows = _rows(index, sets.positives)
    ranking = get_ranking(index, sets, settings, cache, trainer)
    mask = candidate_mask(index, sets.excluded, query.since, query.category)
    scores = np.where(mask, ranking.scores, -np.inf).astype(np.float32)
    hits = top_k(scores, query.offset + query.k)[query.offset:]
    reasons = explain_folded(index.matrix, [r for r, _ in hits], ranking.coef,
                      library_terms(index.matrix, pos_rows), index.vocabulary, n=n_reasons)
    return ranking, hits, reasons, int(mask.sum())


def recommend(conn: Connection, index: Index | None, user_id: int, query: RecoQuery, settings: Settings,
              cache, trainer: Trainer | None = None, n_reasons: int = 5) -> RecoResult:
    """A page of recommendations with reasons, or an empty result that says why."""
    if index is None:
        return RecoResult(empty_reason="index")
    sets = training_sets(conn, user_id, query)
    n_pos = len(_rows(index, sets.positives))
    if not n_pos:
        return RecoResult(empty_reason="tag" if query.tags else "library")
    ranking, hits, reasons, total = rank_page(index, sets, query, settings, cache, trainer, n_reasons)
    ids = [str(index.ids[r]) for r, _ in hits]
    by_id = {p.id: p for p in get_papers(conn, ids)}
    # the features' terms are stems: show each reason as people write it
    meaning = meaning_reasons(conn, index, ranking, [r for r, _ in hits], _rows(index, sets.positives))
    items = [Recommended(by_id[pid], s, meant + written_forms(index, [t for t, _ in why]))
             for pid, (_, s), why, meant in zip(ids, hits, reasons, meaning, strict=True)
             if pid in by_id]
    return RecoResult(items, ranking.kind, total, n_pos)


def meaning_reasons(conn: Connection, index: Index, ranking: Ranking, rows: Sequence[int],
                    positives: Sequence[int]) -> list[list[str]]:
    """Per row, ["similar in meaning to “<library paper>”"] where the embedding lifted the
    paper at least as much as its words did, else []: the terms alone then explain it."""
    vectors = vectors_of(index)
    if vectors is None or ranking.vec_coef is None or not rows:
        return [[] for _ in rows]
    term_part, vector_part = score_parts(index.matrix, vectors.dense, rows, ranking.coef,
                                         ranking.vec_coef)
    # each part above what it gives an average paper: a common word or a direction every
    # abstract shares lifts no paper over another
    term_part = term_part - np.float32(ranking.term_offset)
    vector_part = vector_part - np.float32(ranking.vec_offset)
    driven = [i for i in range(len(rows)) if meaning_drove(float(term_part[i]), float(vector_part[i]))]
    nearest = nearest_in_meaning(vectors.dense, [rows[i] for i in driven], positives)
    sources = {i: str(index.ids[r]) for i, r in zip(driven, nearest, strict=True) if r is not None}
    titles = {p.id: p.title for p in get_papers(conn, sorted(set(sources.values())))}
    return [[f"similar in meaning to “{titles[sources[i]]}”"] if sources.get(i) in titles else []
            for i in range(len(rows))]


def cached_top_ids(index: Index, sets: TrainingSets, settings: Settings, cache, trainer: Trainer | None,
                   n: int = 100) -> set[str]:
    """Ids of the user's top n recommendations if a ranking is cached, else none (and, with a
    trainer, start training so the next page has them). Never trains in the caller: cheap
    enough for marking cards on every browse page."""
    if not sets.positives:
        return set()
    vectors = vectors_of(index)
    key = cache_key(index, sets, settings, vectors)
    # the ranking's key, and the papers left out of its marks (the ranking's own key holds
    # the library and dismissals, not what a caller may exclude besides)
    marks = (key, hashlib.sha256("\x1f".join(sorted(sets.excluded)).encode()).hexdigest(), n)
    with _top_ids_lock:
        known = _top_ids.get(marks)
        if known is not None:
            _top_ids.move_to_end(marks)
    if known is not None:
        return set(known)
    trained = cache.get(key)
    ranking = trained or cache.get(key + ":centroid")
    if ranking is None:
        if trainer is not None:
            trainer.submit(key, index, sets, settings, cache, vectors)
        return set()
    mask = candidate_mask(index, sets.excluded, None, "")
    hits = top_k(np.where(mask, ranking.scores, -np.inf).astype(np.float32), n)
    ids = {str(index.ids[r]) for r, _ in hits}
    if trained is not None:      # a key's trained ranking never changes (the centroid is provisional)
        with _top_ids_lock:
            _top_ids[marks] = frozenset(ids)
            while len(_top_ids) > TOP_IDS_KEPT:
                _top_ids.popitem(last=False)
    return ids


# the top ids of trained rankings, per process: every page of paper cards a logged-in user
# opens marks them, and finding them scores every paper (and, with Redis, fetches the ranking)
TOP_IDS_KEPT = 256
_top_ids: OrderedDict[tuple[str, str, int], frozenset[str]] = OrderedDict()
_top_ids_lock = threading.Lock()
