"""Incremental index updates (recommend/index_update.py, recommend/trend_update.py): the
new version equals a full build over the same papers in the protocol's row order (base
rows kept, then the new papers), with the base's vocabulary and idf for the features and
the base's term set for the trend table."""

from __future__ import annotations

import dataclasses
import gzip
import json
from datetime import date
from itertools import islice
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from domain.index_files import current_version
from recommend.features import count_matrix, document_frequencies, tfidf
from recommend.index import Doc, Index, build_index, load_index
from recommend.index_update import NeedsFullBuild, drift, stack_rows, update_index
from recommend.text import document
from recommend.trend_build import build_trends
from recommend.trend_update import update_trend_parts
from recommend.trends import TrendTable, trend_builder
from tests.helpers.paths import SAMPLE_CORPUS

N_BASE = 240
N_NEW = 40


def sample_docs(n: int) -> list[Doc]:
    """The first n papers of the sample corpus as index documents (real abstracts)."""
    out = []
    with gzip.open(SAMPLE_CORPUS, "rt", encoding="utf-8") as src:
        for line in islice(src, n):
            p = json.loads(line)
            out.append(Doc(p["id"], date.fromisoformat(p["listing_date"][:10]),
                           tuple(p["categories"]), document(p["title"], p["summary"]),
                           title=p["title"]))
    return out


@pytest.fixture(scope="module")
def corpus() -> list[Doc]:
    return sample_docs(N_BASE + N_NEW)


def _base(root: Path, docs: list[Doc]) -> Index:
    build_index(root, docs, fingerprint="base", extra=[trend_builder], min_df=2, sample_docs=200)
    index = load_index(root)
    assert index is not None
    return index


def _revise(doc: Doc) -> Doc:
    return doc._replace(text=doc.text + " Revised: we add quantum annealing experiments.")


def _delta(corpus: list[Doc], base: Index) -> tuple[np.ndarray, list[Doc], list[Doc]]:
    """keep, new docs, and the reference corpus: 3 removed, 2 revised, N_NEW added."""
    keep = np.ones(len(base), dtype=bool)
    keep[[5, 60, 200]] = False                      # deleted papers
    revised = [_revise(corpus[10]), _revise(corpus[100])]
    keep[[10, 100]] = False
    new_docs = revised + corpus[N_BASE:]
    kept = [d for d, k in zip(corpus[:N_BASE], keep, strict=True) if k]
    return keep, new_docs, kept + new_docs


def test_features_equal_a_full_build_with_the_fixed_vocabulary(tmp_path: Path, corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    keep, new_docs, reference = _delta(corpus, base)
    info = update_index(tmp_path, base, keep, new_docs, fingerprint="next",
                        updaters=[update_trend_parts], n_revised=2)
    new = load_index(tmp_path)
    assert new is not None and new.version == info.version == current_version(tmp_path)
    assert [str(i) for i in new.ids] == [d.id for d in reference]
    vocab = [str(t) for t in base.vocabulary]
    counts = count_matrix([d.text for d in reference], vocab, n_jobs=1)
    expected = tfidf(counts, np.asarray(base.idf))
    assert new.matrix.shape == expected.shape
    assert abs(new.matrix - expected).max() < 1e-6
    np.testing.assert_array_equal(new.df, document_frequencies(counts))   # df exact
    np.testing.assert_array_equal(new.idf, base.idf)                       # idf as fitted
    np.testing.assert_array_equal(new.vocabulary, base.vocabulary)
    assert [str(c) for c in new.categories] == [" ".join(d.categories) for d in reference]
    assert list(new.published) == [np.datetime64(d.published, "D") for d in reference]
    assert new.meta["base_version"] == base.version
    assert new.meta["refit_version"] == base.version
    assert (new.meta["n_added"], new.meta["n_revised"], new.meta["n_removed"]) == (N_NEW, 2, 3)
    assert new.meta["drift"] == pytest.approx((N_NEW + 2 + 3) / N_BASE, abs=1e-6)


def test_a_revised_abstract_replaces_its_row(tmp_path: Path, corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    keep = np.ones(len(base), dtype=bool)
    keep[10] = False
    # the new abstract of paper 10 is paper 11's: its row must become paper 11's row
    revised = corpus[10]._replace(text=corpus[11].text)
    update_index(tmp_path, base, keep, [revised], fingerprint="next",
                 updaters=[update_trend_parts], n_revised=1)
    new = load_index(tmp_path)
    assert new is not None and len(new) == N_BASE
    assert new.row(corpus[10].id) == N_BASE - 1
    assert abs(new.matrix[N_BASE - 1] - base.matrix[11]).max() < 1e-6
    assert abs(base.matrix[10] - base.matrix[11]).max() > 0.1


def test_trend_counts_are_exact_against_a_full_build_on_the_base_terms(
        tmp_path: Path, corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    keep, new_docs, reference = _delta(corpus, base)
    update_index(tmp_path, base, keep, new_docs, fingerprint="next", updaters=[update_trend_parts],
                 n_revised=2)
    new = load_index(tmp_path)
    assert new is not None
    _assert_trends_match(base, new, reference)


@pytest.mark.parametrize("stored", [True, False])
def test_each_papers_trend_terms_are_the_merged_postings_by_paper(tmp_path: Path, corpus,
                                                                 stored: bool) -> None:
    # kept papers' lists come from the base's own (or, for a base built before they were
    # stored, from the merged postings); either way they are the postings transposed
    base = _base(tmp_path, corpus[:N_BASE])
    if not stored:
        base = dataclasses.replace(base, parts={k: v for k, v in base.parts.items()
                                                if not k.startswith("trend_doc_terms")})
    keep, new_docs, _ = _delta(corpus, base)
    parts = update_trend_parts(base, keep, new_docs, _new_core(tmp_path, base, keep, new_docs))
    rows, ptr = parts["trend_postings"], parts["trend_postings_ptr"]
    by_doc = sparse.csr_matrix((np.ones(len(rows), np.bool_), rows, ptr),
                               shape=(len(ptr) - 1, len(parts["trend_doc_month"]))).tocsc()
    by_doc.sort_indices()
    assert parts["trend_doc_terms"].dtype == np.int32
    assert parts["trend_doc_terms_ptr"].dtype == np.int64
    np.testing.assert_array_equal(parts["trend_doc_terms"], by_doc.indices)
    np.testing.assert_array_equal(parts["trend_doc_terms_ptr"], by_doc.indptr)
    assert rows.dtype == np.int32 and ptr.dtype == np.int64


def _new_core(root: Path, base: Index, keep: np.ndarray, new_docs: list[Doc]) -> Index:
    """The updated version's core (no extra parts), as the updaters receive it."""
    (root / "core").mkdir()
    update_index(root / "core", base, keep, new_docs, fingerprint="core")
    core = load_index(root / "core")
    assert core is not None
    return core


def test_a_trend_table_without_title_postings_asks_for_a_full_build(tmp_path: Path, corpus
                                                                   ) -> None:
    # an index built before titles were kept: updating it would keep lists without the
    # topic rule, so the update refits instead
    base = _base(tmp_path, corpus[:N_BASE])
    old = dataclasses.replace(base, parts={k: v for k, v in base.parts.items()
                                           if not k.startswith("trend_title_")})
    keep, new_docs, _ = _delta(corpus, base)
    with pytest.raises(NeedsFullBuild, match="no title postings"):
        update_trend_parts(old, keep, new_docs, base)


def test_a_paper_in_a_new_month_adds_a_column(tmp_path: Path, corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    last = np.asarray(base.parts["trend_months"])[-1]
    later = (last + 3).astype("datetime64[D]").astype(object)
    newcomer = corpus[N_BASE]._replace(id="9999.00001", published=later)
    keep = np.ones(len(base), dtype=bool)
    update_index(tmp_path, base, keep, [newcomer], fingerprint="next",
                 updaters=[update_trend_parts])
    new = load_index(tmp_path)
    assert new is not None
    months = np.asarray(new.parts["trend_months"])
    assert len(months) == len(base.parts["trend_months"]) + 3
    assert months[-1] == last + 3
    table = TrendTable.from_index(new)
    assert table is not None and table.totals[-1] == 1 and table.totals[-2] == 0
    _assert_trends_match(base, new, list(corpus[:N_BASE]) + [newcomer])


def test_removing_the_oldest_month_drops_its_column(tmp_path: Path, corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    month = np.asarray(base.published).astype("datetime64[M]")
    keep = month != month.min()
    assert 0 < (~keep).sum() < len(keep)
    update_index(tmp_path, base, keep, [], fingerprint="next", updaters=[update_trend_parts])
    new = load_index(tmp_path)
    assert new is not None
    assert np.asarray(new.parts["trend_months"])[0] > month.min()
    _assert_trends_match(base, new, [d for d, k in zip(corpus[:N_BASE], keep, strict=True) if k])


def _assert_trends_match(base: Index, new: Index, reference: list[Doc]) -> None:
    """Every part equals a full build's over `reference` with the base's terms only."""
    full = build_trends(np.array([np.datetime64(d.published, "D") for d in reference]),
                        reference, min_df=1)
    full_table = TrendTable.from_parts(full, np.array([d.id for d in reference]))
    table = TrendTable.from_index(new)
    base_table = TrendTable.from_index(base)
    assert table is not None and base_table is not None
    assert table.n_terms == base_table.n_terms
    np.testing.assert_array_equal(table.months, full_table.months)
    np.testing.assert_array_equal(table.totals, full_table.totals)
    np.testing.assert_array_equal(table.doc_month, full_table.doc_month)
    ref_rows = [full_table.row(base_table.term(i)) for i in range(base_table.n_terms)]
    counts = table.counts.toarray()
    for i, ref in enumerate(ref_rows):
        assert table.term(i) == base_table.term(i) and table.label(i) == base_table.label(i)
        if ref is None:                      # all its papers were removed
            assert not counts[i].any() and len(table.docs_with(i)) == 0
            assert not table.generic[i]
            assert len(_title_docs(table, i)) == 0
            continue
        np.testing.assert_array_equal(counts[i], full_table.counts[ref].toarray().ravel())
        np.testing.assert_array_equal(table.docs_with(i), full_table.docs_with(ref))
        np.testing.assert_array_equal(_title_docs(table, i), _title_docs(full_table, ref))
        assert table.df[i] == full_table.df[ref]
        assert table.generic[i] == full_table.generic[ref], table.term(i)
    by_doc = sparse.csr_matrix((np.ones(len(table.doc_terms)), table.doc_terms, table.doc_terms_ptr))
    for row in (0, len(reference) // 2, len(reference) - 1):
        assert sorted(table.term(t) for t in by_doc[row].indices) == sorted(
            base_table.term(t) for t in range(base_table.n_terms)
            if ref_rows[t] is not None and row in set(full_table.docs_with(ref_rows[t]).tolist()))
    # stored by the update, and what the table would compute from its own parts
    assert table.generic_flags is not None and table.generic_flags.dtype == np.bool_
    np.testing.assert_array_equal(table.generic, dataclasses.replace(table, generic_flags=None).generic)
    for name in ("cats", "cat_any", "cat_primary", "doc_primary"):
        np.testing.assert_array_equal(getattr(table, name), getattr(full_table, name))
    assert (table.doc_cats != full_table.doc_cats).nnz == 0
    assert table.counts.data.dtype == np.uint16 and not (table.counts.data == 0).any()
    assert table.title_postings is not None and len(table.title_postings) > len(reference)


def _title_docs(table: TrendTable, row: int) -> np.ndarray:
    """The papers whose title holds the term of `row`."""
    assert table.title_postings is not None and table.title_postings_ptr is not None
    ptr = table.title_postings_ptr
    return np.asarray(table.title_postings[ptr[row]:ptr[row + 1]])


def test_stack_rows_keeps_rows_in_protocol_order() -> None:
    base = sparse.csr_matrix(np.array([[1, 0], [0, 2], [3, 4]], dtype=np.float32))
    added = sparse.csr_matrix(np.array([[0, 5]], dtype=np.float32))
    out = stack_rows(base, np.array([True, False, True]), added)
    np.testing.assert_array_equal(out.toarray(), [[1, 0], [3, 4], [0, 5]])


def test_keep_of_the_wrong_length_is_refused(tmp_path: Path, corpus) -> None:
    base = _base(tmp_path, corpus[:N_BASE])
    with pytest.raises(ValueError, match="one per base row"):
        update_index(tmp_path, base, np.ones(3, dtype=bool), [], fingerprint="x")
    assert current_version(tmp_path) == base.version


def test_drift_counts_changes_since_the_refit() -> None:
    fitted = {"n_docs": 1000, "refit_docs": 1000, "changed_since_refit": 0}
    assert drift(fitted, 20) == pytest.approx(0.02)
    updated = {"n_docs": 1020, "refit_docs": 1000, "changed_since_refit": 20}
    assert drift(updated, 30) == pytest.approx(0.05)
    assert drift({"n_docs": 50}, 5) == pytest.approx(0.1)    # a version from before updates
