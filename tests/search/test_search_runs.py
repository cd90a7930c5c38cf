"""The search parts counted chunk by chunk into sorted runs (spilled to disk past a memory
budget, counted in worker processes) equal the parts of one CountVectorizer over every
text at once, byte for byte, whatever the chunk size, budget or number of workers."""

from __future__ import annotations

import pickle
from datetime import date

import numpy as np
import pytest
from scipy import sparse

from recommend import search_runs
from recommend.index import Doc
from recommend.search_build import bm25_part, bm25_weights, build_search_parts
from recommend.search_terms import TermTable
from recommend.term_union import merge_terms
from recommend.text import document
from tests.helpers.search_reference import part_bytes, reference_search_parts

N_DOCS = 400
FULLTEXT = ("Section one. We train a graph neural network (GNN) on long documents. "
            "The GNN uses sparse attention; attention is sparse and the network is deep. ")


@pytest.fixture(scope="module")
def docs(sample_records) -> list[Doc]:
    out = []
    for i, r in enumerate(sample_records[:N_DOCS]):
        full = FULLTEXT * (1 + i % 5) if i % 40 == 0 else None
        out.append(Doc(r["id"], date(2020 + i % 5, 1 + i % 12, 1), tuple(r["categories"]),
                       document(r["title"], r["summary"], full), full is not None, r["title"],
                       tuple(r["authors"])))
    # a paper with no term at all, and one with no authors
    out.append(Doc("0000.00001", date(2024, 1, 1), ("cs.LG",), document("The", "of the a"),
                   False, "The", ()))
    return out


@pytest.fixture(scope="module")
def reference(docs) -> dict:
    return part_bytes(reference_search_parts(docs))


def _spilled_runs(monkeypatch) -> list:
    """Records each run written to disk."""
    spilled: list = []
    real = search_runs.Run.__init__

    def recording(self, value, spill_to=None):
        if spill_to is not None:
            spilled.append(spill_to)
        real(self, value, spill_to)

    monkeypatch.setattr(search_runs.Run, "__init__", recording)
    return spilled


def test_parts_equal_one_count_over_every_text(docs, reference, monkeypatch) -> None:
    spilled = _spilled_runs(monkeypatch)
    parts = part_bytes(build_search_parts(None, docs, n_jobs=1))
    assert sorted(parts) == sorted(reference)
    assert [name for name in reference if parts[name] != reference[name]] == []
    assert spilled == []                         # a small corpus stays within the budget


def test_a_tiny_budget_spills_every_chunk_and_changes_nothing(docs, reference,
                                                              monkeypatch) -> None:
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 37)
    monkeypatch.setattr(search_runs, "BLOCK_POSTINGS", 50)    # runs copied in small blocks
    spilled = _spilled_runs(monkeypatch)
    parts = part_bytes(build_search_parts(None, docs, n_jobs=1, budget=1))
    assert len({p.name.split(".")[0] for p in spilled}) == -(-len(docs) // 37)  # each chunk
    assert [name for name in reference if parts[name] != reference[name]] == []


def test_two_workers_give_the_same_parts_as_one(docs, reference, monkeypatch) -> None:
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 50)
    one = part_bytes(build_search_parts(None, docs, n_jobs=1, budget=200_000))
    two = part_bytes(build_search_parts(None, docs, n_jobs=2, budget=200_000))
    assert one == two == reference


def test_chunks_end_at_a_volume_of_text(docs, reference, monkeypatch) -> None:
    """Full texts make chunks of fewer papers, not bigger chunks."""
    monkeypatch.setattr(search_runs, "CHUNK_CHARS", 5_000)
    sizes = [len(chunk) for chunk in search_runs.chunk_inputs(docs)]
    assert sum(sizes) == len(docs) and max(sizes) < 10
    parts = part_bytes(build_search_parts(None, docs, n_jobs=1, budget=100_000))
    assert parts == reference


def test_spilled_runs_are_removed_after_the_build(docs, tmp_path) -> None:
    class FakeIndex:
        path = tmp_path / "version"

    FakeIndex.path.mkdir()
    build_search_parts(FakeIndex(), docs[:60], n_jobs=1, budget=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["version"]


def test_corpus_without_terms_has_no_search_parts() -> None:
    empty = [Doc("1", date(2024, 1, 1), ("cs.LG",), "of the . a", False, "of the", ())]
    assert build_search_parts(None, empty) == {}
    assert build_search_parts(None, []) == {}


def test_authors_without_name_tokens_give_an_empty_author_table() -> None:
    docs = [Doc("1", date(2024, 1, 1), ("cs.LG",), "sparse attention", False, "sparse",
                ("?",))]
    parts = build_search_parts(None, docs)
    assert parts["search_authors"].shape == (1, 0)
    assert len(parts["search_author_terms_offsets"]) == 1
    assert parts["search_text"].shape[0] == 1


def test_bm25_from_raw_counts_equals_bm25_of_the_count_matrix(monkeypatch) -> None:
    rng = np.random.default_rng(3)
    counts = sparse.random(300, 900, density=0.05, random_state=rng, format="csr",
                           data_rvs=lambda k: rng.integers(1, 9, k)).astype(np.float32)
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    expected = sparse.csc_matrix(bm25_weights(counts, df))
    expected.sort_indices()
    monkeypatch.setattr("recommend.search_build._BLOCK_ENTRIES", 97)   # many column blocks
    got = bm25_part(sparse.csc_matrix(counts), lengths, df)
    assert got.data.tobytes() == expected.data.tobytes()
    assert got.indices.tobytes() == expected.indices.tobytes()


def test_merged_term_lists_are_sorted_and_say_where_each_term_went() -> None:
    merged, maps = merge_terms([["a", "c", "d"], ["b", "c"], [], ["e"]])
    assert list(merged) == ["a", "b", "c", "d", "e"]
    assert [m.tolist() for m in maps] == [[0, 2, 3], [1, 2], [], [4]]


def test_merging_term_tables_streams_their_bytes_in_code_point_order(monkeypatch) -> None:
    """Runs' terms are kept as UTF-8 blobs; merging them with plain lists gives the order
    Python sorts the strings in (accents, CJK and emoji after ASCII), and the merged
    table's blob and hash index are what packing the sorted strings gives (tables read
    two terms at a time, so batches end mid-table)."""
    monkeypatch.setattr("recommend.search_terms._DECODE_BATCH", 2)
    first = sorted(["zeta", "é", "a b", "naïve", "数据"])
    second = sorted(["a", "a b", "😀", "naïve", "zz"])
    merged, maps = merge_terms([TermTable.pack(first), second])
    expected = sorted(set(first) | set(second))
    assert list(merged) == expected
    assert [expected[i] for i in maps[0]] == first
    assert [expected[i] for i in maps[1]] == second
    packed, hashed = TermTable.pack(expected), merged.with_hashes()
    for name in ("blob", "offsets", "hashes", "hash_pos"):
        assert getattr(hashed, name).tobytes() == getattr(packed, name).tobytes(), name
    assert hashed.find("😀") == expected.index("😀") and hashed.find("b") is None


def test_a_term_table_survives_pickling_as_a_spilled_run_does() -> None:
    table = TermTable.pack(["alpha", "beta", "gamma"])
    again = pickle.loads(pickle.dumps(table))
    assert list(again) == ["alpha", "beta", "gamma"] and again.find("beta") == 1


def test_after_a_spill_the_last_run_is_spilled_too(docs, reference, monkeypatch) -> None:
    """The runs are then merged from disk one at a time, none held through the merge."""
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 50)
    spilled = _spilled_runs(monkeypatch)
    parts = part_bytes(build_search_parts(None, docs, n_jobs=1, budget=400_000))
    runs = {p.name.split(".")[0] for p in spilled}
    assert 1 < len(runs) < -(-len(docs) // 50)        # some chunks shared a run
    assert len(spilled) == len(runs) * len(search_runs.FIELDS)   # every run, the last too
    assert parts == reference


def test_runs_merged_in_the_background_keep_document_order(docs, reference,
                                                            monkeypatch) -> None:
    """The first merge is the slowest: the runs after it must still follow it."""
    import time

    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 37)
    real, calls = search_runs.merge_postings, []

    def slow_first(parts):
        calls.append(len(parts))
        if len(calls) <= len(search_runs.FIELDS):
            time.sleep(0.2)
        return real(parts)

    monkeypatch.setattr(search_runs, "merge_postings", slow_first)
    parts = part_bytes(build_search_parts(None, docs, n_jobs=1, budget=1))
    assert len(calls) > 2 * len(search_runs.FIELDS)
    assert [name for name in reference if parts[name] != reference[name]] == []


def test_a_merge_that_fails_in_the_background_fails_the_count(docs, monkeypatch) -> None:
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 37)

    def broken(parts):
        raise OSError("No space left on device")

    monkeypatch.setattr(search_runs, "merge_postings", broken)
    with pytest.raises(OSError, match="No space left"):
        build_search_parts(None, docs, n_jobs=1, budget=1)
