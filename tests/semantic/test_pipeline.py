"""The embedding stage: only new or changed papers are encoded, batches survive a crash."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import numpy as np
import pytest

from domain.index_files import current_version
from ingest import indexing
from ingest.embedding_cache import BATCH_FILE, encoder_dir
from ingest.embeddings import embed_current_index
from recommend.index import load_index
from recommend.index_vectors import load_vectors
from tests.factories import add_papers, record
from tests.semantic.corpus import corpus
from tests.semantic.encoder import HashedWordEncoder

N = 42


class Crash(Exception):
    pass


class CrashingEncoder(HashedWordEncoder):
    """Dies while encoding its third batch, as a killed process would."""

    def encode(self, texts, batch_size=256):
        if len(self.calls) == 2:
            raise Crash("power cut")
        return super().encode(texts, batch_size)


@pytest.fixture
def indexed(engine, settings):
    add_papers(engine, *corpus())
    indexing.build(engine, settings, force=True)
    return dataclasses.replace(settings, embedding_batch=10)


def _batches(settings, encoder) -> list[str]:
    folder = encoder_dir(settings.embeddings_dir, encoder.name)
    return sorted(p.name for p in folder.iterdir() if BATCH_FILE.match(p.name))


def test_first_run_encodes_every_paper_in_batches_then_nothing(engine, indexed):
    enc = HashedWordEncoder()
    result = embed_current_index(engine, indexed, enc)
    assert (result.status, result.encoded, result.covered, result.papers) == ("built", N, N, N)
    assert enc.calls == [10, 10, 10, 10, 2]
    assert "42 of 42 papers (model test-hashed-words)" in result.summary()
    index = load_index(indexed.index_dir)
    vectors = load_vectors(index.path, len(index))
    row = index.row("2405.00003")
    text = "Study 3 of markov decision process. " + _abstract(engine, "2405.00003")
    expected = HashedWordEncoder().encode([text])[0]
    np.testing.assert_allclose(vectors.matrix[row], expected, atol=2e-3)   # rows follow the index
    again = embed_current_index(engine, indexed, enc)
    assert again.status == "current" and len(enc.calls) == 5     # nothing encoded again


def test_a_new_version_encodes_only_new_and_changed_papers(engine, indexed):
    embed_current_index(engine, indexed, HashedWordEncoder())
    changed = [r for r in corpus() if r.id == "2405.10001"][0]
    add_papers(engine, dataclasses.replace(changed, abstract="A new abstract about pixel masks."),
               record(id="2406.00001", title="Brand new", abstract="Policy gradient for agents."))
    old = current_version(indexed.index_dir)
    indexing.build(engine, indexed)
    assert current_version(indexed.index_dir) != old
    enc = HashedWordEncoder()
    result = embed_current_index(engine, indexed, enc)
    assert (result.status, result.encoded, result.covered) == ("built", 2, N + 1)
    assert enc.calls == [2]


def test_an_incrementally_updated_version_gets_its_vectors_too(engine, indexed, monkeypatch):
    from recommend.trend_update import update_trend_parts
    from recommend.trends import trend_builder

    monkeypatch.setattr(indexing, "EXTRA_BUILDERS", [("trends", trend_builder, update_trend_parts)])
    indexing.build(engine, indexed, full=True)
    embed_current_index(engine, indexed, HashedWordEncoder())
    changed = [r for r in corpus() if r.id == "2405.10001"][0]
    add_papers(engine, dataclasses.replace(changed, abstract="A new abstract about pixel masks."),
               record(id="2406.00001", title="Brand new", abstract="Policy gradient for agents.",
                      published=datetime(2024, 6, 1)))
    assert indexing.build(engine, indexed).updated
    enc = HashedWordEncoder()
    result = embed_current_index(engine, indexed, enc)
    assert (result.status, result.encoded, result.covered) == ("built", 2, N + 1)
    index = load_index(indexed.index_dir)
    vectors = load_vectors(index.path, len(index))
    assert index.row("2406.00001") == N and index.row("2405.10001") == N - 1   # re-added rows
    expected = HashedWordEncoder().encode(["Brand new. Policy gradient for agents."])[0]
    np.testing.assert_allclose(vectors.matrix[N], expected, atol=2e-3)


def test_a_crash_keeps_finished_batches_and_the_next_run_resumes(engine, indexed):
    crashing = CrashingEncoder()
    with pytest.raises(Crash):
        embed_current_index(engine, indexed, crashing)
    assert len(_batches(indexed, crashing)) == 2
    index = load_index(indexed.index_dir)
    assert load_vectors(index.path, len(index)) is None     # lexical until every paper is done
    enc = HashedWordEncoder()
    result = embed_current_index(engine, indexed, enc)
    assert (result.status, result.encoded, result.covered) == ("built", N - 20, N)
    assert sum(enc.calls) == N - 20


def test_without_an_encoder_or_an_index_it_says_so(engine, settings):
    assert "stay lexical" in embed_current_index(engine, settings, None).summary()
    result = embed_current_index(engine, settings, HashedWordEncoder())
    assert result.status == "no-index" and "papersift index" in result.summary()


def _abstract(engine, paper_id: str) -> str:
    from store.papers import get_paper

    with engine.connect() as conn:
        return get_paper(conn, paper_id).abstract


def test_the_scheduled_index_step_also_gives_the_version_its_vectors(engine, settings):
    from ingest.scheduler import index_stage, run_pipeline

    add_papers(engine, *corpus())
    configured = dataclasses.replace(settings, embedding_encoder="tests.semantic.encoder:make_encoder")
    assert run_pipeline(engine, configured, [("index", index_stage)]) == {"index": "ok"}
    index = load_index(settings.index_dir)
    vectors = load_vectors(index.path, len(index))
    assert vectors is not None and (vectors.model, vectors.covered) == ("test-hashed-words", N)


def test_piled_up_batches_fold_into_one_without_losing_vectors(tmp_path, monkeypatch):
    from ingest import embedding_cache
    from ingest.embedding_cache import EmbeddingCache

    monkeypatch.setattr(embedding_cache, "COMPACT_AFTER", 3)
    cache = EmbeddingCache(tmp_path, 4)
    for i in range(4):
        cache.add_batch([f"p{i}", "shared"], [f"h{i}", f"s{i}"], np.full((2, 4), i, np.float32))
    assert cache.compact(["p0", "p1", "p2", "p3", "shared"])
    reread = EmbeddingCache(tmp_path, 4)
    assert len([p for p in tmp_path.iterdir() if BATCH_FILE.match(p.name)]) == 1
    assert reread.fresh("shared", "s3") and not reread.fresh("shared", "s0")   # the latest text wins
    np.testing.assert_array_equal(reread.matrix(["p2", "shared", "gone"]),
                                  np.array([[2] * 4, [3] * 4, [0] * 4], np.float16))


def test_run_all_encodes_in_the_background_at_start_up(engine, settings):
    from ingest.embeddings import start_background

    add_papers(engine, *corpus())
    indexing.build(engine, settings, force=True)
    configured = dataclasses.replace(settings, embedding_encoder="tests.semantic.encoder:make_encoder")
    thread = start_background(engine, configured)
    thread.join(timeout=60)
    assert not thread.is_alive() and thread.daemon
    index = load_index(settings.index_dir)
    assert load_vectors(index.path, len(index)).covered == N
    quiet = start_background(engine, dataclasses.replace(settings, embedding_encoder="none"))
    quiet.join(timeout=60)
    assert not quiet.is_alive()
