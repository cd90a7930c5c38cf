"""A full build analyses each paper's text once (recommend/index_pass.py): the index it
writes is byte for byte the one the separate passes (features, search, trends) write."""

from __future__ import annotations

from collections import Counter
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from ingest import indexing
from ingest.pipeline import import_files
from recommend import search_runs
from recommend.features import column_hits, features_from_counts, fit_features
from recommend.index import Doc, load_index
from recommend.index_pass import OnePassBuilder, count_text
from recommend.lsa import build_lsa_parts
from recommend.search import build_search_parts
from recommend.trend_build import build_trends, trends_from_counts
from recommend.trends import trend_builder
from store.fulltext import record_result
from store.index_docs import index_doc_ids
from tests.helpers.index_versions import assert_same_version, built_version
from tests.helpers.paths import trimmed_sample

N_PAPERS = 240
LONG_WORD = "pneumonoultramicroscopicsilicovolcanoconiosislike"
ODD_DOCS = [   # terms over MAX_TERM_CHARS, accents and scripts, a paper with no term at all
    Doc("odd-1", date(2021, 3, 4), ("cs.LG",), f"{LONG_WORD} {LONG_WORD}ness . {LONG_WORD}"),
    Doc("odd-2", date(2021, 3, 5), ("math.CO", "cs.LG"),
        f"Über die Größe . {LONG_WORD} {LONG_WORD}ness naïve café graphs"),
    Doc("odd-3", date(2022, 1, 1), (), "1 2 3 . of the"),
    Doc("odd-4", date(2019, 7, 1), ("cs.CL",), "naïve café graphs . 语言 模型 graphs"),
]


@pytest.fixture
def docs(make_app, tmp_path: Path) -> list[Doc]:
    """The first N_PAPERS sample papers (two with full text) and a few odd ones."""
    app = make_app()
    engine = app.extensions["papersift.engine"]
    import_files(engine, [trimmed_sample(tmp_path, N_PAPERS)], progress=False)
    with engine.begin() as conn:
        for pid in index_doc_ids(conn)[:2]:
            record_result(conn, pid, 1, status="ok",
                          text="Results. Sparse attention for long documents is sparse.")
    _stamp, stored = indexing.load_docs(engine, app.config["SETTINGS"])
    return stored[:100] + ODD_DOCS + stored[100:]


def _version(root: Path, docs: list[Doc], extra, **kw) -> Path:
    return built_version(root, docs, extra, **{"min_df": 2, "sample_docs": 150,
                                               "max_features": 400, **kw})


def _assert_same_version(a: Path, b: Path) -> None:
    assert_same_version(a, b, holding=("search_text.data", "trend_counts.data",
                                       "trend_title_postings", "lsa_terms"))


SEPARATE_PASSES = [build_search_parts, trend_builder, partial(build_lsa_parts, dim=8)]


def test_one_pass_build_writes_the_same_version_as_separate_passes(docs, tmp_path) -> None:
    one_pass = indexing.extra_builders()
    assert sum(isinstance(b, OnePassBuilder) for b in one_pass) == 2
    a = _version(tmp_path / "passes", docs, SEPARATE_PASSES)
    b = _version(tmp_path / "one", docs, [*one_pass[:2], SEPARATE_PASSES[2]])
    _assert_same_version(a, b)


@pytest.mark.parametrize("settings", [
    {"min_df": 1, "max_df": 1.0, "sample_docs": 10_000, "max_features": 100_000},
    {"min_df": 0.01, "max_df": 0.2, "sample_docs": 37, "max_features": 50, "seed": 7},
])
def test_one_pass_matches_for_other_feature_settings(docs, tmp_path, settings) -> None:
    a = _version(tmp_path / "passes", docs, SEPARATE_PASSES, **settings)
    b = _version(tmp_path / "one", docs, [*indexing.extra_builders()[:2], SEPARATE_PASSES[2]],
                 **settings)
    _assert_same_version(a, b)


def test_one_pass_matches_with_every_bound_at_its_smallest(docs, tmp_path, monkeypatch
                                                           ) -> None:
    """Both ways at their smallest bounds: separate passes counting features three texts a
    chunk and trends through the hashed first pass (a tiny table), the one pass with every
    chunk of 13 papers spilled; two workers each."""
    from recommend import features, trend_build

    monkeypatch.setattr(features, "CHUNK_DOCS", 3)
    monkeypatch.setattr(trend_build, "TWO_PASS_CHARS", 0)
    monkeypatch.setitem(trend_build._postings.__kwdefaults__, "buckets", 64)
    monkeypatch.setattr(search_runs, "RUN_BUDGET_BYTES", 1)     # every chunk spilled
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 13)
    a = _version(tmp_path / "passes", docs, SEPARATE_PASSES, n_jobs=2)
    b = _version(tmp_path / "one", docs, [*indexing.extra_builders()[:2], SEPARATE_PASSES[2]],
                 n_jobs=2)
    _assert_same_version(a, b)


def test_one_pass_reads_each_paper_once(docs, tmp_path) -> None:
    reads = Counter()

    class Counted(list):
        def __iter__(self):
            reads["iter"] += 1
            return super().__iter__()

        def __getitem__(self, i):
            reads["item"] += 1
            return super().__getitem__(i)

    _version(tmp_path / "one", Counted(docs), indexing.extra_builders()[:2])
    assert reads == {"iter": 1}


def test_features_and_trends_from_counts_equal_their_own_passes(docs, tmp_path, monkeypatch
                                                                 ) -> None:
    from recommend import features

    text = count_text(docs, tmp_path)
    for kw, block in (({"min_df": 2, "sample_docs": 90, "max_features": 300}, 1 << 22),
                      ({"min_df": 2, "sample_docs": 90, "max_features": 300}, 37),
                      ({"min_df": 3, "max_df": 0.05, "sample_docs": 500, "max_features": 10},
                       1)):
        monkeypatch.setattr(features, "_HIT_BLOCK", block)   # columns copied in blocks
        own = fit_features([d.text for d in docs], n_jobs=1, **kw)
        counted = features_from_counts(text.counts, text.terms, **kw)
        assert counted.vocabulary == own.vocabulary and counted.sample_size == own.sample_size
        assert np.array_equal(counted.df, own.df) and np.array_equal(counted.idf, own.idf)
        assert (counted.matrix != own.matrix).nnz == 0
        for attr in ("data", "indices", "indptr"):   # the same arrays, dtypes included
            assert np.array_equal(getattr(counted.matrix, attr), getattr(own.matrix, attr))
            assert getattr(counted.matrix, attr).dtype == getattr(own.matrix, attr).dtype
    published = np.array([np.datetime64(d.published, "D") for d in docs])
    for min_df in (1, 2, 5):
        own = build_trends(published, docs, min_df=min_df)
        counted = trends_from_counts(published, text.counts, text.terms, text.forms,
                                     text.columns.categories, text.title, min_df=min_df)
        assert own.keys() == counted.keys()
        for name, value in own.items():
            if hasattr(value, "toarray"):
                assert (value != counted[name]).nnz == 0, name
            else:
                assert np.array_equal(value, counted[name]), name
    # the terms too long for a chart are counted for search but never reach the trends
    long_terms = {t for t in text.terms if len(t) > 64}
    offsets = counted["trend_term_offsets"]
    trend_terms = {bytes(counted["trend_term_bytes"][a:b]).decode()
                   for a, b in zip(offsets[:-1], offsets[1:], strict=True)}
    assert long_terms and trend_terms and not long_terms & trend_terms


@pytest.mark.parametrize("sample_docs", [10_000, 30, 7])
def test_the_written_forms_counted_by_the_workers_are_the_sampled_docs_forms(
        docs, tmp_path, monkeypatch, sample_docs) -> None:
    """The trend labels' sample of written forms: the counting workers count the sampled
    docs' words (chunks of 13 papers, two workers), as `add_forms` counts them doc by doc."""
    from recommend import trend_build
    from recommend.text import words

    monkeypatch.setattr(trend_build, "FORM_SAMPLE_DOCS", sample_docs)
    monkeypatch.setattr(trend_build, "PHRASE_FORM_DOCS", max(1, sample_docs // 3))
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 13)
    want: Counter[tuple[str, str]] = Counter()
    every, every_phrase = trend_build.form_sampling(len(docs))
    for row, doc in enumerate(docs):
        if row % every == 0:
            trend_build.add_forms(want, doc.text, words(doc.text), row % every_phrase == 0)
    got = count_text(docs, tmp_path, n_jobs=2).forms
    assert dict(got) == dict(want) and sum(want.values()) > 100
    assert (every > 1) == (sample_docs < len(docs))


def test_column_hits_counts_the_masked_rows_of_each_column(monkeypatch) -> None:
    from scipy import sparse

    from recommend import features

    rng = np.random.default_rng(3)
    matrix = sparse.random(60, 25, density=0.2, format="csc", random_state=4)
    matrix = sparse.csc_matrix(matrix.multiply(np.arange(25) != 5))   # an empty column
    matrix.eliminate_zeros()
    rows = rng.random(60) < 0.3
    expected = np.asarray((matrix[rows] != 0).sum(axis=0)).ravel()
    monkeypatch.setattr(features, "_HIT_BLOCK", 7)   # columns split between blocks
    assert column_hits(matrix, rows).tolist() == expected.tolist()
    assert column_hits(sparse.csc_matrix((4, 3)), np.ones(4, bool)).tolist() == [0, 0, 0]


def test_the_count_matrix_goes_to_its_last_reader_only(docs, tmp_path) -> None:
    text = count_text(docs[:30], tmp_path)
    text.readers = 2
    first = text.read_counts()
    assert text.read_counts() is first and text.counts is None   # freed with its last user
    with pytest.raises(RuntimeError, match="already handed"):
        text.read_counts()


def test_papers_without_a_single_term_build_the_same_both_ways(tmp_path) -> None:
    empty = [Doc(f"e-{i}", date(2020, 1, 1 + i), ("cs.LG",), "1 2 . of the") for i in range(3)]
    a = _version(tmp_path / "passes", empty, SEPARATE_PASSES[:2], min_df=1)
    b = _version(tmp_path / "one", empty, indexing.extra_builders()[:2], min_df=1)
    assert load_index(tmp_path / "one").matrix.shape == (3, 0)
    files = sorted(p.name for p in a.glob("*.npy"))
    assert files == sorted(p.name for p in b.glob("*.npy"))
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_tiny_column_blocks_read_from_disk_change_no_byte(docs, tmp_path, monkeypatch
                                                          ) -> None:
    """The one pass reading its spilled count matrix a few entries at a time (features,
    trends, the BM25 weights and the kept counts) writes the version the separate passes
    write with the whole matrices in memory."""
    from recommend import count_columns, features, search_build

    a = _version(tmp_path / "passes", docs, SEPARATE_PASSES)
    monkeypatch.setattr(count_columns, "READ_ENTRIES", 5)
    monkeypatch.setattr(search_build, "_BLOCK_ENTRIES", 3)
    monkeypatch.setattr(features, "_HIT_BLOCK", 7)
    spilled = _recording_spills(monkeypatch)
    b = _version(tmp_path / "one", docs, [*indexing.extra_builders()[:2], SEPARATE_PASSES[2]])
    _assert_same_version(a, b)
    assert len(spilled) == 1 and spilled[0].on_disk


def _recording_spills(monkeypatch) -> list:
    """Records each count matrix spilled to disk, whole or a band at a time."""
    from recommend import index_pass
    from recommend.count_columns import CountColumns

    spilled: list = []
    real = CountColumns.spill.__func__
    real_bands = index_pass.spill_column_matrix

    def recording(cls, matrix, directory, name="counts"):
        spilled.append(real(cls, matrix, directory, name))
        return spilled[-1]

    def recording_bands(*args, **kwargs):
        spilled.append(real_bands(*args, **kwargs))
        return spilled[-1]

    monkeypatch.setattr(CountColumns, "spill", classmethod(recording))
    monkeypatch.setattr(index_pass, "spill_column_matrix", recording_bands)
    return spilled


def _whole_matrix_spilled(counted, n_docs, spill_dir):
    """The text matrix stage as it was before the bands: the matrix made whole in memory
    (`column_matrix`), then spilled."""
    from scipy import sparse

    from recommend.count_columns import CountColumns
    from recommend.index_pass import SpilledTerms
    from recommend.search_runs import column_matrix
    from recommend.term_union import merge_terms

    runs = counted.runs["text"]
    table, maps = merge_terms([run.terms() for run in runs])
    terms = SpilledTerms.spill(table, spill_dir)
    counts = (column_matrix(runs, len(terms), maps) if len(terms)
              else sparse.csc_matrix((n_docs, 0), dtype=np.float32))
    return terms, CountColumns.spill(counts, spill_dir)


@pytest.mark.parametrize("band_bytes", [1, 4096])
def test_the_matrix_made_in_tiny_bands_changes_no_byte(docs, tmp_path, monkeypatch,
                                                       band_bytes) -> None:
    """The one pass with every chunk spilled as a run and the text matrix written a few
    columns a band (one column a band at 1 byte) writes the version the matrix made whole
    wrote, and the version of the separate passes."""
    from recommend import count_bands, index_pass

    a = _version(tmp_path / "passes", docs, SEPARATE_PASSES)
    monkeypatch.setattr(search_runs, "RUN_BUDGET_BYTES", 1)     # every chunk spilled
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 13)
    one_pass = [*indexing.extra_builders()[:2], SEPARATE_PASSES[2]]
    with monkeypatch.context() as patch:
        patch.setattr(index_pass, "_spilled_text_counts", _whole_matrix_spilled)
        whole = _version(tmp_path / "whole", docs, one_pass)
    monkeypatch.setattr(count_bands, "BAND_BYTES", band_bytes)
    bands = []
    real_band = count_bands._band

    def counting(*args):
        bands.append(args[3:5])
        return real_band(*args)

    monkeypatch.setattr(count_bands, "_band", counting)
    banded = _version(tmp_path / "bands", docs, one_pass)
    assert len(bands) > 20 and bands[-1][1] == bands[0][0] + sum(b - a for a, b in bands)
    _assert_same_version(whole, banded)
    _assert_same_version(a, banded)


def _spill_files(columns) -> list[Path]:
    return [columns._data, columns._indices]


def test_the_spilled_matrix_is_removed_after_the_build(docs, tmp_path, monkeypatch) -> None:
    spilled = _recording_spills(monkeypatch)
    _version(tmp_path / "one", docs, indexing.extra_builders()[:2])
    files = _spill_files(spilled[0])
    assert files and not any(path.exists() for path in files)
    assert not any(p.name.startswith(".") for p in (tmp_path / "one").iterdir())


def test_the_spilled_matrix_is_removed_when_a_builder_fails(docs, tmp_path, monkeypatch
                                                            ) -> None:
    from recommend import index_pass

    seen: list[bool] = []

    def failing(*args, **kwargs):
        seen.extend(path.exists() for path in _spill_files(spilled[0]))
        raise RuntimeError("search failed")

    spilled = _recording_spills(monkeypatch)
    monkeypatch.setattr(index_pass, "parts_from_counts", failing)
    with pytest.raises(RuntimeError, match="search failed"):
        _version(tmp_path / "one", docs, indexing.extra_builders()[:2])
    assert seen == [True, True]          # on disk while the builders ran
    assert not any(path.exists() for path in _spill_files(spilled[0]))
    assert not any(p.name.startswith(".") for p in (tmp_path / "one").iterdir())


def test_the_written_words_made_through_files_change_no_byte(docs, tmp_path, monkeypatch
                                                             ) -> None:
    """The one pass makes the written words through the spill directory
    (`search_surface`), every chunk spilled as a run, merged 1 term a round, cut 2 terms
    a window and hashed from the files by two workers 5 terms a task: the version of the
    separate passes, which make them in memory."""
    from recommend import search_build, term_files, term_hashes, term_union

    a = _version(tmp_path / "passes", docs, SEPARATE_PASSES)
    monkeypatch.setattr(search_runs, "RUN_BUDGET_BYTES", 1)     # every chunk spilled
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 13)
    monkeypatch.setattr(term_union, "MERGE_HELD", 1)
    monkeypatch.setattr(term_files, "WINDOW_TERMS", 2)
    monkeypatch.setattr(term_hashes, "HASH_TASK_TERMS", 5)
    monkeypatch.setattr(term_hashes, "PARALLEL_MIN_TERMS", 1)
    monkeypatch.setattr(search_build, "available_cores", lambda: 2)
    calls = []
    real = search_build.spilled_surface

    def recording(runs, spill_dir, workers):
        calls.append((len(runs), workers))
        return real(runs, spill_dir, workers)

    monkeypatch.setattr(search_build, "spilled_surface", recording)
    b = _version(tmp_path / "one", docs, [*indexing.extra_builders()[:2], SEPARATE_PASSES[2]])
    assert len(calls) == 1 and calls[0][0] > 10 and calls[0][1] == 2
    assert_same_version(a, b, holding=("search_surface_blob", "search_surface_ids",
                                       "search_words_blob", "search_words_df"))
