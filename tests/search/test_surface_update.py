"""The update's written words (search_surface_*, search_words_*) merged with the base's
word lists read a block of papers at a time write the same files as the whole-array
merge, however small the blocks."""

from __future__ import annotations

import numpy as np
import pytest

from recommend import search_table_merge, search_update
from recommend.index_stream import in_memory
from recommend.search_state import common_words_parts, sort_rows
from recommend.search_terms import PREFIX, TermTable
from recommend.search_update import _append_rows, _kept_rows, _merge_columns, _table
from recommend.text import analyze
from tests.search.test_search_text_merge import assert_same_files as same_files
from tests.search.test_search_text_merge import updated_files_with
from tests.search.test_search_update import FILLER, doc, sample_docs
from tests.search.whole_table_merge import whole_merge_columns


def whole_surface_parts(p, keep, surface, release=None):
    """The written-words parts as the update made them before the blocks: the kept word
    lists copied whole, renumbered in int64 and concatenated."""
    rows, ids = _kept_rows(p[f"{PREFIX}surface_rows"], p[f"{PREFIX}surface_ids"], keep)
    table = _table(p, "surface")
    new_table, new_rows, new_ids = surface.rows()
    edit, columns = whole_merge_columns(table, np.bincount(ids, minlength=len(table)) > 0,
                                   list(new_table))
    rows, ids = _append_rows(rows, edit.old_to_new[ids], new_rows,
                             sort_rows(new_rows, columns[new_ids]))
    state = {f"{PREFIX}surface_rows": rows, f"{PREFIX}surface_ids": ids,
             **edit.table.parts("surface")}
    return {**common_words_parts(state), **state}


@pytest.fixture(scope="module")
def corpus(sample_records):
    return sample_docs(sample_records)[:160]


def blocked_and_whole(tmp_path, monkeypatch, base_docs, keep, new_docs, block):
    """The files of an update reading the base's word lists `block` ids at a time, of one
    with the whole arrays, and the number of ids in each block read."""
    blocks = []
    kept_id_blocks = search_update._kept_id_blocks

    def counted(*args):
        for ids in kept_id_blocks(*args):
            blocks.append(len(ids))
            yield ids

    docs = (base_docs, keep, new_docs)
    blocked = updated_files_with(monkeypatch, [(search_update, "SURFACE_BLOCK", block),
                                               (search_update, "_kept_id_blocks", counted)],
                                 tmp_path / "blocked", *docs)
    whole = updated_files_with(monkeypatch,
                               [(search_update, "_surface_parts", whole_surface_parts)],
                               tmp_path / "whole", *docs)
    return blocked, whole, blocks


def assert_same_files(blocked: dict[str, bytes], whole: dict[str, bytes]) -> None:
    same_files(blocked, whole, ("search_surface_ids.npy", "search_surface_rows.npy",
                                "search_surface_blob.npy", "search_words_df.npy",
                                "search_words_hash.npy"))


@pytest.mark.parametrize("block", [1, 5, 300, 1 << 22])
def test_blocks_of_any_size_write_the_whole_merges_files(tmp_path, monkeypatch, corpus, block):
    base_docs, new_docs = corpus[:120], corpus[120:160]
    keep = np.ones(120, dtype=bool)
    keep[::7] = False
    blocked, whole, blocks = blocked_and_whole(tmp_path, monkeypatch, base_docs, keep,
                                               new_docs, block)
    assert_same_files(blocked, whole)
    # read twice (the words still held, then the renumbering), every kept paper's words
    kept_ids = np.diff(np.load(tmp_path / "whole" / "current" / "search_surface_rows.npy"))
    assert sum(blocks) == 2 * int(kept_ids[:int(keep.sum())].sum())
    if block <= 5:
        # a block is one paper's words at the smallest sizes: one or more blocks a paper
        assert len(blocks) >= 2 * 120


def test_tiny_blocks_with_every_row_kept(tmp_path, monkeypatch, corpus):
    blocked, whole, blocks = blocked_and_whole(tmp_path, monkeypatch, corpus[:100],
                                               np.ones(100, dtype=bool), corpus[100:130], 3)
    assert_same_files(blocked, whole)
    assert len(blocks) == 2 * 100


def test_words_dropped_with_their_papers_in_tiny_blocks(tmp_path, monkeypatch):
    # the removed papers hold the only "Tokamak" and "stellarator": they leave the written
    # words, new words sort in between, and a word of one old and one new paper becomes a
    # did-you-mean word
    plain = [doc(f"b{i}", f"Paper {i}", f"{FILLER} number {i} alpha{i}") for i in range(6)]
    gone = doc("g", "Gone", "Tokamak stellarator plasma")
    base_docs = [*plain[:3], gone, *plain[3:]]
    keep = np.array([True, False, True, False, True, True, True])
    new_docs = [doc("n0", "New", f"{FILLER} beta zeta Tokamaks"), doc("n1", "Newer", "alpha5")]
    blocked, whole, _ = blocked_and_whole(tmp_path, monkeypatch, base_docs, keep, new_docs, 2)
    assert_same_files(blocked, whole)
    words = bytes(np.load(tmp_path / "blocked" / "current" / "search_surface_blob.npy"))
    assert b"stellarator" not in words and b"tokamaks" in words
    common = bytes(np.load(tmp_path / "blocked" / "current" / "search_words_blob.npy"))
    assert b"alpha5" in common


@pytest.mark.parametrize("block", [1, 2, 7, 1 << 24])
def test_word_counts_a_block_of_ids_at_a_time_equal_bincount(block) -> None:
    ids = np.random.default_rng(block).integers(0, 50, size=301).astype(np.int32)
    np.testing.assert_array_equal(search_update._id_counts(ids, 60, block),
                                  np.bincount(ids, minlength=60))
    assert search_update._id_counts(ids[:0], 3, block).tolist() == [0, 0, 0]


@pytest.mark.parametrize("block", [1, 3])
def test_term_and_word_tables_merged_in_tiny_blocks_write_the_same_files(
        tmp_path, monkeypatch, corpus, block):
    # the update's term, written-word and did-you-mean tables a few terms at a time (the
    # other tests use one block for tables of this size), papers removed and added
    base_docs, new_docs = corpus[:100], corpus[100:140]
    keep = np.ones(100, dtype=bool)
    keep[::9] = False
    docs = (base_docs, keep, new_docs)
    blocked = updated_files_with(monkeypatch, [(search_table_merge, "TABLE_BLOCK", block)],
                                 tmp_path / "blocked", *docs)
    whole = updated_files_with(monkeypatch, [], tmp_path / "whole", *docs)
    same_files(blocked, whole, ("search_terms_blob.npy", "search_terms_hash_pos.npy",
                                "search_surface_hash.npy", "search_words_hash_pos.npy",
                                "search_title.indices.npy"))


def test_title_terms_missing_from_the_text_take_the_merged_tables_columns() -> None:
    # a title whose terms are not all in the new papers' texts (a document whose text
    # leaves its title out): those terms are looked up in the old table, or are in no column
    old = TermTable.pack(["alpha", "beta", "delta", "gamma"])
    alive = np.array([True, False, True, True])
    new_terms = ["epsilon", "gamma"]
    edit, columns = _merge_columns(old, alive.copy(), new_terms, "terms")
    docs = [doc("n0", "Alpha beta gamma zeta", "epsilon gamma"), doc("n1", "Delta", "gamma")]
    found = search_update._title_columns(docs, old, edit.old_to_new, new_terms, columns)
    merged = TermTable(*in_memory(edit.parts).values())
    expected = [sorted(j for t in set(analyze(d.title)) if (j := merged.find(t)) is not None)
                for d in docs]
    assert found == expected
    assert [[merged[j] for j in row] for row in found] == [["alpha", "gamma"], ["delta"]]
