"""The update's text postings merged a block of columns at a time write the same files as
the whole-array merge (issue 21), however small the blocks."""

from __future__ import annotations

import numpy as np
import pytest

from recommend import search_text_merge, search_update
from recommend.index import build_index, load_index
from recommend.index_update import update_index
from recommend.search import build_search_parts
from recommend.search_build import BM25_B, BM25_K1, _column_max, bm25_idf
from recommend.search_merge import Postings, merge_postings, to_csc
from recommend.search_state import tf_dtype
from recommend.search_terms import PREFIX
from recommend.search_update import _added_postings, iter_search_parts
from tests.search.test_search_update import FILLER, doc, sample_docs


def whole_text_parts(base, keep, new, old_to_new, columns, n_terms):
    """The text parts as the update made them before the blocks: every array whole."""
    p = base.parts
    text = p[f"{PREFIX}text"]
    base_tf = np.asarray(p[f"{PREFIX}text_tf"])
    new_max = int(new.counts.data.max(initial=0))
    if np.dtype(tf_dtype(new_max)).itemsize > base_tf.dtype.itemsize:
        base_tf = base_tf.astype(tf_dtype(new_max))
    added = _added_postings(new.counts, columns, n_terms)
    merged = merge_postings(Postings(text.indptr, text.indices, [base_tf]), keep,
                            old_to_new, added, n_terms)
    tf = merged.values.pop()
    tf = tf.astype(tf_dtype(int(tf.max(initial=0))), copy=False)
    lengths = np.concatenate([np.asarray(p[f"{PREFIX}doc_len"])[keep],
                              np.asarray(new.counts.sum(axis=1)).ravel().astype(np.int64)])
    matrix = to_csc(merged, len(lengths), bm25_data(merged.indptr, merged.indices, tf, lengths))
    return {f"{PREFIX}text": matrix, f"{PREFIX}text_max": _column_max(matrix),
            f"{PREFIX}text_tf": tf, f"{PREFIX}doc_len": lengths}


def bm25_data(indptr: np.ndarray, indices: np.ndarray, tf: np.ndarray, lengths: np.ndarray
              ) -> np.ndarray:
    """search_text's data from counts in CSC order, as the update computed it over the
    whole arrays: the float32 operations of `search_build.bm25_weights`, in the same
    order, so the weights are bit-identical."""
    lengths = lengths.astype(np.float32)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(float(lengths.mean()), 1.0))
    norm = norm.astype(np.float32)
    count = tf.astype(np.float32)
    column_idf = np.repeat(bm25_idf(np.diff(indptr), len(lengths)), np.diff(indptr))
    return count * np.float32(BM25_K1 + 1) / (count + norm[indices]) * column_idf


@pytest.fixture(scope="module")
def corpus(sample_records):
    return sample_docs(sample_records)[:160]


def updated_files(root, base_docs, keep, new_docs) -> dict[str, bytes]:
    build_index(root, base_docs, fingerprint="a", extra=[build_search_parts])
    info = update_index(root, load_index(root), keep, new_docs, fingerprint="b",
                        updaters=[iter_search_parts])
    return {p.name: p.read_bytes() for p in sorted((root / info.version).glob("search_*.npy"))}


def updated_files_with(monkeypatch, patches, root, base_docs, keep, new_docs
                       ) -> dict[str, bytes]:
    """`updated_files` with `patches` ((object, name, value), ...) in place."""
    with monkeypatch.context() as patch:
        for obj, name, value in patches:
            patch.setattr(obj, name, value)
        return updated_files(root, base_docs, keep, new_docs)


def assert_same_files(blocked: dict[str, bytes], whole: dict[str, bytes],
                      required: tuple[str, ...] = ("search_text.data.npy", "search_text_tf.npy")
                      ) -> None:
    assert sorted(blocked) == sorted(whole)
    for name in required:
        assert name in whole
    for name, content in whole.items():
        assert blocked[name] == content, name


def blocked_and_whole(tmp_path, monkeypatch, base_docs, keep, new_docs, block):
    """The files of an update with blocks of `block` entries, of one with the whole
    arrays, and each block's entries and first column's entries (the first update's)."""
    calls = []
    merged_block = search_text_merge._merged_block

    def counted(merge, c0, c1, *rest):
        part = merged_block(merge, c0, c1, *rest)
        calls.append((len(part.indices), int(part.indptr[1])))
        return part

    docs = (base_docs, keep, new_docs)
    blocked = updated_files_with(monkeypatch, [(search_update, "TEXT_BLOCK", block),
                                               (search_text_merge, "_merged_block", counted)],
                                 tmp_path / "blocked", *docs)
    whole = updated_files_with(monkeypatch, [(search_update, "_text_parts", whole_text_parts)],
                               tmp_path / "whole", *docs)
    return blocked, whole, calls


@pytest.mark.parametrize("block", [1, 7, 1000, 1 << 22])
def test_blocks_of_any_size_write_the_whole_merges_files(tmp_path, monkeypatch, corpus, block):
    base_docs, new_docs = corpus[:120], corpus[120:160]
    keep = np.ones(120, dtype=bool)
    keep[::7] = False
    blocked, whole, calls = blocked_and_whole(tmp_path, monkeypatch, base_docs, keep,
                                              new_docs, block)
    assert_same_files(blocked, whole)
    if block <= 7:
        # many blocks, none holding more than its block's worth past its first column
        assert len(calls) > 100
        assert all(entries - first <= block for entries, first in calls)


def test_tiny_blocks_with_every_row_kept(tmp_path, monkeypatch, corpus):
    blocked, whole, calls = blocked_and_whole(tmp_path, monkeypatch, corpus[:100],
                                              np.ones(100, dtype=bool), corpus[100:130], 3)
    assert_same_files(blocked, whole)
    assert len(calls) > 100


def test_terms_dropped_with_their_papers_and_counts_narrowed_in_tiny_blocks(
        tmp_path, monkeypatch):
    # the removed papers hold the only "tokamak" (a count past 16 bits, so the counts
    # narrow back) and "stellarator": their columns go, and new terms sort in between
    plain = [doc(f"b{i}", f"Paper {i}", f"{FILLER} number {i} alpha{i}") for i in range(6)]
    huge = doc("h", "Repetition", "tokamak " * 70_000 + "stellarator")
    base_docs = [*plain[:3], huge, *plain[3:]]
    keep = np.array([True, False, True, False, True, True, True])
    new_docs = [doc("n0", "New", f"{FILLER} beta zeta tokamaks"), doc("n1", "Newer", "alpha9")]
    blocked, whole, _ = blocked_and_whole(tmp_path, monkeypatch, base_docs, keep, new_docs, 2)
    assert_same_files(blocked, whole)


def test_a_count_past_16_bits_among_new_papers_widens_in_tiny_blocks(tmp_path, monkeypatch):
    plain = [doc(f"b{i}", f"Paper {i}", f"{FILLER} number {i}") for i in range(4)]
    new_docs = [doc("h", "Repetition", "tokamak " * 70_000), doc("n", "New", FILLER)]
    blocked, whole, _ = blocked_and_whole(tmp_path, monkeypatch, plain,
                                          np.ones(4, dtype=bool), new_docs, 4)
    assert_same_files(blocked, whole)
    updated_tf = tmp_path / "blocked" / "current" / "search_text_tf.npy"
    assert np.load(updated_tf).dtype == np.uint32
