"""The index built from the store chunk by chunk equals the one built from every document
held in memory at once, part for part and byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from ingest import indexing
from ingest.pipeline import import_files
from recommend import features, search_runs, trend_build
from recommend.index import load_index
from store.fulltext import record_result
from store.index_docs import index_doc_ids, index_docs_by_id, snapshot
from store.schema import papers
from tests.helpers.index_versions import assert_same_version, built_version
from tests.helpers.paths import trimmed_sample

N_PAPERS = 300
FULLTEXT = "Section one. We study sparse attention for long documents; attention is sparse."


@pytest.fixture
def engine(make_app, tmp_path: Path):
    """A store with the first N_PAPERS sample papers, three of them with full text."""
    trimmed = trimmed_sample(tmp_path, N_PAPERS)
    app = make_app()
    eng = app.extensions["papersift.engine"]
    import_files(eng, [trimmed], progress=False)
    with eng.begin() as conn:
        for pid in index_doc_ids(conn)[:3]:
            record_result(conn, pid, 1, status="ok", text=FULLTEXT)
    _SETTINGS[id(eng)] = app.config["SETTINGS"]
    return eng


def _build(root: Path, docs, **kw) -> Path:
    return built_version(root, docs, indexing.extra_builders(),
                         **{"min_df": 2, "sample_docs": 120, **kw})


def _assert_same_index(a: Path, b: Path) -> None:
    assert_same_version(a, b, holding=("search_", "trend_"))


def test_streamed_build_equals_in_memory_build(engine, tmp_path: Path) -> None:
    _stamp, in_memory = indexing.load_docs(engine, _settings(engine))
    with snapshot(engine) as conn:
        streamed = indexing.StoreDocs(conn, index_doc_ids(conn), chunk=7)
        assert len(streamed) == len(in_memory) == N_PAPERS
        assert list(streamed) == in_memory
        b = _build(tmp_path / "streamed", streamed)
    a = _build(tmp_path / "memory", in_memory)
    _assert_same_index(a, b)
    assert json.loads((a / "meta.json").read_text())["n_fulltext"] == 3


def test_build_with_every_bound_at_its_smallest_gives_the_same_index(
        engine, tmp_path: Path, monkeypatch) -> None:
    """One paper read at a time, every text counted three a chunk in two worker processes
    with every chunk's runs spilled (the one pass of a full build), and, for builds that
    count in separate passes, features counted three texts a chunk and trends' hashed
    first pass in a tiny table (all collisions)."""
    _stamp, in_memory = indexing.load_docs(engine, _settings(engine))
    a = _build(tmp_path / "memory", in_memory)
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 3)
    monkeypatch.setattr(search_runs, "RUN_BUDGET_BYTES", 1)
    monkeypatch.setattr(features, "CHUNK_DOCS", 3)
    monkeypatch.setattr(trend_build, "TWO_PASS_CHARS", 0)
    monkeypatch.setattr(trend_build, "HASH_BUCKETS", 64)
    monkeypatch.setitem(trend_build._postings.__kwdefaults__, "buckets", 64)
    with snapshot(engine) as conn:
        streamed = indexing.StoreDocs(conn, index_doc_ids(conn), chunk=1)
        b = _build(tmp_path / "bounded", streamed, n_jobs=2)
    _assert_same_index(a, b)


def test_cli_build_reads_the_store_in_chunks_and_matches(engine, tmp_path: Path,
                                                         monkeypatch) -> None:
    settings = _settings(engine)
    reads = _count_store_reads(monkeypatch, chunk=11)
    result = indexing.build(engine, settings, force=True)
    assert result.built and result.info.n_docs == N_PAPERS
    assert max(reads) == 11                     # never more than a chunk of papers at once
    _stamp, in_memory = indexing.load_docs(engine, settings)
    reference = _build(tmp_path / "memory", in_memory, max_features=settings.index_max_features,
                       sample_docs=settings.index_sample_docs)
    built = load_index(settings.index_dir)
    for name in ("matrix.data.npy", "matrix.indices.npy", "vocab.npy", "ids.npy",
                 "search_text.indices.npy", "trend_counts.data.npy"):
        assert (built.path / name).read_bytes() == (reference / name).read_bytes(), name


def test_a_build_sees_one_state_of_the_store(engine) -> None:
    """An abstract revised while the build reads is read as it was when the build began."""
    with snapshot(engine) as conn:
        ids = index_doc_ids(conn)
        before = index_docs_by_id(conn, ids[:1])[0].abstract
        with engine.begin() as writer:
            writer.execute(update(papers).where(papers.c.id == ids[0])
                           .values(abstract="Revised while the index was being built."))
        assert index_docs_by_id(conn, ids[:1])[0].abstract == before
    with engine.connect() as conn:
        assert index_docs_by_id(conn, ids[:1])[0].abstract.startswith("Revised")


def test_a_paper_gone_from_the_store_is_an_error_not_a_missing_row(engine) -> None:
    with snapshot(engine) as conn:
        ids = index_doc_ids(conn)
        with pytest.raises(LookupError, match="left the store"):
            index_docs_by_id(conn, [ids[0], "0000.00000"])


def test_store_docs_index_like_a_list(engine) -> None:
    _stamp, in_memory = indexing.load_docs(engine, _settings(engine))
    with snapshot(engine) as conn:
        docs = indexing.StoreDocs(conn, index_doc_ids(conn), chunk=16)
        assert docs[0] == in_memory[0] and docs[-1] == in_memory[-1]
        assert docs[40:75] == in_memory[40:75]
        assert docs[::50] == in_memory[::50]
        assert [d.text for d in docs[5:9]] == [d.text for d in in_memory[5:9]]
        with pytest.raises(IndexError):
            docs[N_PAPERS]
        with pytest.raises(ValueError, match="at least 1"):
            indexing.StoreDocs(conn, [], chunk=0)


_SETTINGS: dict[int, object] = {}


def _settings(engine):
    """The settings of the app the `engine` fixture made."""
    return _SETTINGS[id(engine)]


def _count_store_reads(monkeypatch, chunk: int) -> list[int]:
    """Read the store `chunk` papers at a time; the list fills with each read's size."""
    monkeypatch.setattr(indexing, "READ_CHUNK_DOCS", chunk)
    reads: list[int] = []
    real = indexing.index_docs_by_id

    def counting(conn, ids):
        reads.append(len(ids))
        return real(conn, ids)

    monkeypatch.setattr(indexing, "index_docs_by_id", counting)
    return reads


def test_each_chunk_is_read_from_the_store_once_per_build(engine, monkeypatch) -> None:
    """The one analysis pass reads each chunk from the store once, and nothing reads the
    papers again, so no local copy of them is written."""
    settings = _settings(engine)
    reads = _count_store_reads(monkeypatch, chunk=40)
    spill_dirs = []

    class RecordingDocs(indexing.StoreDocs):
        def __init__(self, *args, **kw) -> None:
            spill_dirs.append(kw.get("spill_dir"))
            super().__init__(*args, **kw)

    monkeypatch.setattr(indexing, "StoreDocs", RecordingDocs)
    assert indexing.build(engine, settings, force=True).built
    assert len(reads) == -(-N_PAPERS // 40)
    assert spill_dirs == [None]
    # the spill and the search runs are gone with the build
    assert [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".")] == []


def test_spilled_chunks_read_back_as_the_same_papers(engine, tmp_path: Path) -> None:
    _stamp, in_memory = indexing.load_docs(engine, _settings(engine))
    with snapshot(engine) as conn:
        docs = indexing.StoreDocs(conn, index_doc_ids(conn), chunk=64, spill_dir=tmp_path)
        assert list(docs) == in_memory and docs.store_reads == 5
        assert list(docs) == in_memory and docs[::7] == in_memory[::7]
        assert docs.store_reads == 5
