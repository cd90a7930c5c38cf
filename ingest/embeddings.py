"""The embedding stage: encode new or changed papers in batches, then give the current index
version its vectors.

Runs after the index stage (the scheduler, `papersift embed`). Papers whose encoded text
(title and abstract) is unchanged keep their vectors from the cache (ingest/embedding_cache.py);
the rest are encoded a batch at a time, each batch saved before the next starts, so a run
killed at any point resumes where it stopped. When every paper of the current index has
been through the encoder, the vectors are written into the index version
(recommend/index_vectors.py) and the site turns hybrid on its next look. Until then it
serves lexical results.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from config import Settings
from domain import index_files
from ingest.embedding_cache import EmbeddingCache, encoder_dir, text_hash
from ingest.locks import Lock
from recommend.ann import ann_available, build_ann, read_ann_meta
from recommend.embedding import Encoder
from recommend.encoder_choice import encoder_from_spec
from recommend.index_vectors import load_vectors, read_vectors_meta, write_vectors
from store.paper_abstracts import titles_and_abstracts
from store.papers import iter_index_docs

log = logging.getLogger("papersift.embeddings")
PROGRESS = "progress.json"
LOCK_TTL = 600.0              # seconds; renewed after every batch, so only a dead holder loses it

# encodes batches of (ids, texts), yielding (ids, texts, vectors) as each is done, in any
# order: the local encoder, or RQ jobs on worker machines (ingest/embedding_queue.py)
Batch = tuple[list[str], list[str]]
BatchEncoder = Callable[[Iterable[Batch]], Iterator[tuple[list[str], list[str], np.ndarray]]]


@dataclass(frozen=True)
class EmbedResult:
    status: str                   # "built", "current", "busy", "lost-lock", "no-encoder", "no-index"
    model: str = ""
    version: str = ""
    papers: int = 0
    covered: int = 0
    encoded: int = 0              # papers encoded by this run (the rest came from the cache)
    seconds: float = 0.0

    def summary(self) -> str:
        if self.status == "no-encoder":
            return ("Embeddings: not available (no encoder installed); "
                    "search and recommendations stay lexical.")
        if self.status == "no-index":
            return "Embeddings: no index yet (run `papersift index` first)."
        if self.status == "busy":
            return "Embeddings: another process is encoding papers; nothing done."
        if self.status == "lost-lock":
            return (f"Embeddings: stopped after {self.encoded:,} papers encoded: the embeddings lock "
                    "expired and another process may be encoding; the next run resumes from the cache.")
        done = "already current" if self.status == "current" else (
            f"{self.encoded:,} papers encoded in {self.seconds:.1f} s")
        return (f"Embeddings for {self.version}: {self.covered:,} of {self.papers:,} papers "
                f"(model {self.model}), {done}.")


def embedding_text(title: str, abstract: str) -> str:
    """What a paper's vector encodes: its title and abstract (not the full text)."""
    return f"{(title or '').strip()}. {(abstract or '').strip()}".strip(". ")


def load_encoder(settings: Settings) -> Encoder | None:
    """The configured encoder (PAPERSIFT_EMBEDDING_ENCODER), or None for none."""
    return encoder_from_spec(settings.embedding_encoder)


def local_batches(encoder: Encoder, batch_size: int) -> BatchEncoder:
    """Encode each batch in this process, in order."""
    def run(batches: Iterable[Batch]) -> Iterator[tuple[list[str], list[str], np.ndarray]]:
        for ids, texts in batches:
            yield ids, texts, encoder.encode(texts, batch_size=batch_size)
    return run


def batch_encoder_for(settings: Settings, encoder: Encoder | None) -> BatchEncoder | None:
    """RQ workers when REDIS_URL is set and a worker listens on the embeddings queue, else
    None (the caller encodes locally); the rule of `papersift embed`, the scheduler and
    start-up alike. Redis being down means local encoding, not a failed run."""
    if encoder is None or not settings.redis_url:
        return None
    try:
        from ingest.embedding_queue import queue_batches

        return queue_batches(settings, encoder)
    except Exception as exc:  # noqa: BLE001 - redis or rq unavailable: encode here instead
        log.warning("embeddings: RQ workers unavailable (%s: %s); encoding locally",
                    exc.__class__.__name__, exc)
        return None


def embed_with_workers(engine: Engine, settings: Settings) -> EmbedResult:
    """Embed the current index with the configured encoder, on RQ workers when they listen."""
    encoder = load_encoder(settings)
    return embed_current_index(engine, settings, encoder,
                               batch_encoder=batch_encoder_for(settings, encoder))


def start_background(engine: Engine, settings: Settings) -> threading.Thread:
    """Encode the current index's papers in a daemon thread (`run-all` at start-up), so the
    site turns hybrid as soon as it can rather than after the first scheduled fetch."""
    def run() -> None:
        try:
            result = embed_with_workers(engine, settings)
            log.info("embeddings: %s", result.summary())
        except Exception:  # noqa: BLE001 - the site keeps serving lexical results
            log.exception("embedding the current index failed; search stays lexical")

    thread = threading.Thread(target=run, name="papersift-embeddings", daemon=True)
    thread.start()
    return thread


def embed_current_index(engine: Engine, settings: Settings, encoder: Encoder | None, *,
                        batch_encoder: BatchEncoder | None = None, force: bool = False) -> EmbedResult:
    """Give the current index version its vectors, encoding only new or changed papers.

    A version built while this run encoded (the scheduler's, say) is done by this run too:
    after each pass the current version is read again, and the other caller, finding the
    lock taken, relies on that (the cache makes the second pass encode only new papers)."""
    if encoder is None:
        return EmbedResult("no-encoder")
    from ingest.locks import make_lock

    root = settings.index_dir
    done: EmbedResult | None = None
    while True:
        version = index_files.current_version(root)
        if version is None:
            return done or EmbedResult("no-index", encoder.name)
        meta = read_vectors_meta(root / version)
        if meta is not None and meta.get("model") == encoder.name and not force:
            _ensure_ann_locked(settings, root / version)    # vectors written before the ANN was
            return done or EmbedResult("current", encoder.name, version, meta["n_docs"], meta["covered"])
        lock = make_lock(settings, "embeddings", ttl=LOCK_TTL)
        if not lock.acquire():
            return done or EmbedResult("busy", encoder.name, version)
        try:
            result = _embed(engine, settings, encoder, version, batch_encoder, lock)
        finally:
            lock.release()
        if done is not None:
            result = dataclasses.replace(result, encoded=result.encoded + done.encoded,
                                         seconds=result.seconds + done.seconds)
        if result.status != "built" or index_files.current_version(root) == version:
            return result
        log.info("embeddings: %s is no longer current; going on with the new version", version)
        done, force = result, False


def _embed(engine: Engine, settings: Settings, encoder: Encoder, version: str,
           batch_encoder: BatchEncoder | None, lock: Lock) -> EmbedResult:
    from recommend.index import load_index

    started = time.perf_counter()
    index = load_index(settings.index_dir, version)
    assert index is not None
    ids = [str(pid) for pid in index.ids]
    cache_dir = encoder_dir(settings.embeddings_dir, encoder.name)
    cache = EmbeddingCache(cache_dir, encoder.dim)
    encode = batch_encoder or local_batches(encoder, settings.embedding_batch)
    encoded = 0
    stale = _stale_ids(engine, set(ids), cache)
    batches = _batches(engine, stale, settings.embedding_batch)
    for batch_ids, batch_texts, vectors in encode(batches):
        cache.add_batch(batch_ids, [text_hash(t) for t in batch_texts], vectors)
        encoded += len(batch_ids)
        _write_progress(cache_dir, version, len(cache.vectors), len(ids), encoder.name)
        log.info("embeddings: %d papers encoded (%d of %d cached)", encoded, len(cache.vectors), len(ids))
        if not lock.acquire():        # renew; lost means another process may be encoding
            log.warning("embeddings: lost the lock after %d papers; stopping (the next run resumes)",
                        encoded)
            return EmbedResult("lost-lock", encoder.name, version, len(ids), 0, encoded,
                               time.perf_counter() - started)
    vectors = write_vectors(index.path, encoder.name, cache.matrix(ids),
                            seconds=round(time.perf_counter() - started, 3))
    ensure_ann(settings, index.path)
    cache.compact(ids)
    _write_progress(cache_dir, version, len(ids), len(ids), encoder.name)
    return EmbedResult("built", encoder.name, version, len(ids), vectors.covered, encoded,
                       time.perf_counter() - started)


def ensure_ann(settings: Settings, version_dir: Path) -> str:
    """Build the version's ANN index when it has more papers than PAPERSIFT_ANN_MIN_PAPERS and
    none yet; says what it did ("built", "present", "not needed", "no library", "no vectors")."""
    meta = read_vectors_meta(version_dir)
    if meta is None:
        return "no vectors"
    n_docs = int(meta.get("n_docs", 0))
    if n_docs <= settings.ann_min_papers:
        return "not needed"
    ann = read_ann_meta(version_dir)
    if ann is not None and ann.get("n_docs") == n_docs and ann.get("model") == meta.get("model"):
        return "present"
    if not ann_available():
        log.warning("embeddings: %s has %d papers but faiss is not installed (pip install "
                    "papersift[ann]); vector search stays exact", version_dir.name, n_docs)
        return "no library"
    vectors = load_vectors(version_dir, n_docs)
    if vectors is None:
        return "no vectors"
    started = time.perf_counter()
    build_ann(version_dir, vectors.dense, model=vectors.model)
    log.info("embeddings: ANN index of %s built in %.1f s", version_dir.name, time.perf_counter() - started)
    return "built"


def _ensure_ann_locked(settings: Settings, version_dir: Path) -> None:
    """ensure_ann under the embeddings lock, so two runs never build the same index at once
    (a run finding the lock taken leaves it to the holder)."""
    from ingest.locks import make_lock

    if read_ann_meta(version_dir) is not None or not read_vectors_meta(version_dir):
        return
    lock = make_lock(settings, "embeddings", ttl=LOCK_TTL)
    if lock.acquire():
        try:
            ensure_ann(settings, version_dir)
        finally:
            lock.release()


def _stale_ids(engine: Engine, wanted: set[str], cache: EmbeddingCache) -> list[str]:
    """Papers of the index whose vectors are missing or were encoded from other text (only
    ids are kept: a first run over millions of papers holds no texts in memory)."""
    with engine.connect() as conn, conn.begin():
        return [d.id for d in iter_index_docs(conn, with_fulltext=False)
                if d.id in wanted and not cache.fresh(d.id, text_hash(embedding_text(d.title, d.abstract)))]


def _batches(engine: Engine, ids: Sequence[str], size: int) -> Iterator[Batch]:
    """(ids, texts) `size` papers at a time, each batch's texts read when it is due."""
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        with engine.connect() as conn:
            found = titles_and_abstracts(conn, chunk)
        kept = [pid for pid in chunk if pid in found]       # deleted meanwhile: left out
        if kept:
            yield kept, [embedding_text(*found[pid]) for pid in kept]


def _write_progress(cache_dir: Path, version: str, done: int, total: int, model: str) -> None:
    """A small record of how far the run is, for `papersift status` while it encodes."""
    path = cache_dir / PROGRESS
    tmp = cache_dir / f".{PROGRESS}.tmp"
    tmp.write_text(json.dumps({"version": version, "done": min(done, total), "total": total,
                               "model": model}))
    os.replace(tmp, path)


def read_progress(settings: Settings, model: str) -> dict | None:
    """The progress record of `model`'s latest run, or None."""
    try:
        return json.loads((encoder_dir(settings.embeddings_dir, model) / PROGRESS).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
