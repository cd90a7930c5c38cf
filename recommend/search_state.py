"""What a search index version keeps so that an update need not re-read old papers.

BM25 weights depend on every paper (idf from document frequencies, the average length),
did-you-mean on words in two or more papers and acronyms on how many papers define
them. So a version stores, beside the search parts:

- search_text_tf: each (paper, term) count, aligned with search_text's data (uint16,
  uint32 when a count does not fit)
- search_doc_len: each paper's number of terms (unigrams and bigrams), BM25's dl
- search_surface_*: every word as written (singletons too) as a `TermTable`, and
  search_surface_rows / search_surface_ids: each paper's words (CSR, sorted ids)
- search_acronym_lines_*: every acronym definition a paper gives
  (`acronyms.paper_evidence`), sorted UTF-8 lines, and search_acronym_rows /
  search_acronym_ids: each paper's definitions

`recommend.search_update` reads them back.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

from recommend.index_stream import StreamedArray, StreamedSparse
from recommend.search_terms import PREFIX, TermTable

Part = np.ndarray | sparse.spmatrix | StreamedArray | StreamedSparse


class SurfaceWords:
    """Each paper's distinct words as written, recorded as the analyser reads the papers."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._words = array("i")   # 4 bytes per (paper, word) while a build runs
        self._ends = array("q", [0])

    def add(self, seq: Sequence[str | None]) -> None:
        """Record the next paper's words (`recommend.text.words` output)."""
        ids = self._ids
        self._words.extend(ids.setdefault(w, len(ids)) for w in {w for w in seq if w})
        self._ends.append(len(self._words))

    def rows(self) -> tuple[TermTable, np.ndarray, np.ndarray]:
        """The sorted table of all words, and each paper's word positions in it (CSR
        indptr and ids, sorted within each paper)."""
        seen = list(self._ids)
        order = sorted(range(len(seen)), key=seen.__getitem__)
        rank = np.empty(len(seen), dtype=np.int32)
        rank[np.array(order, dtype=np.int64)] = np.arange(len(seen), dtype=np.int32)
        indptr = np.frombuffer(self._ends, dtype=np.int64).copy()
        ids = rank[np.frombuffer(self._words, dtype=np.int32)]
        return TermTable.pack([seen[i] for i in order]), indptr, sort_rows(indptr, ids)


def sort_rows(indptr: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """`ids` sorted within each row of a CSR layout."""
    if not len(ids):
        return ids.astype(np.int32)
    rows = np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))
    return ids[np.lexsort((ids, rows))].astype(np.int32)


def common_words_parts(state: dict[str, Part]) -> dict[str, Part]:
    """search_words and search_words_df, the words in two or more papers (did-you-mean),
    from the state's table of all words and each paper's words."""
    table = TermTable(*(state[f"{PREFIX}surface_{k}"] for k in ("blob", "offsets", "hash",
                                                                 "hash_pos")))
    df = np.bincount(state[f"{PREFIX}surface_ids"], minlength=len(table))
    common = kept_terms(table, df >= 2)
    return {**common.parts("words"), f"{PREFIX}words_df": df[df >= 2].astype(np.int32)}


def kept_terms(table: TermTable, keep: np.ndarray) -> TermTable:
    """The terms of `table` (with its hash index) where `keep`, and its hash index less the
    terms left out: the table merged with nothing added and the others dropped, without the
    temporaries of an edit that also inserts terms (1.3 GB for the 17.5M written words at
    100k papers with 30k full texts, the search stage's peak)."""
    offsets = np.asarray(table.offsets)
    lengths = np.diff(offsets)
    kept_offsets = np.zeros(int(np.count_nonzero(keep)) + 1, dtype=np.int64)
    np.cumsum(lengths[keep], out=kept_offsets[1:])
    blob = np.asarray(table.blob)[np.repeat(keep, lengths)].astype(np.uint8, copy=False)
    del lengths
    hashes, hash_pos = kept_hash_index(np.asarray(table.hashes), np.asarray(table.hash_pos), keep)
    return TermTable(blob, kept_offsets, hashes, hash_pos)


def kept_hash_index(hashes: np.ndarray, hash_pos: np.ndarray, keep: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The hash index of a table's terms where `keep` is True: their hashes in the same
    order, each pointing at the term's position among the kept terms."""
    hash_kept = keep[hash_pos]
    # each kept term's new position: the number of kept terms before it
    new_position = np.cumsum(keep, dtype=np.int64) - 1
    return hashes[hash_kept], new_position[hash_pos[hash_kept]]


def tf_dtype(max_count: int) -> type:
    return np.uint16 if max_count <= np.iinfo(np.uint16).max else np.uint32


def state_parts(text_counts: np.ndarray | StreamedArray, lengths: np.ndarray,
                surface: tuple[TermTable, np.ndarray, np.ndarray] | Mapping[str, Part],
                acronym_evidence: Sequence[Sequence[str]]) -> dict[str, Part]:
    """The update state of a full build: `text_counts` each (paper, term) count in
    search_text's (CSC) order, `lengths` each paper's number of terms, `surface` the
    table of every written word with each paper's words in it (CSR indptr and sorted
    ids, as `SurfaceWords.rows` gives them; or their parts already made, in that order,
    as `search_surface.spilled_surface` makes them), `acronym_evidence` each paper's
    `acronyms.paper_evidence` lines. `text_counts` may be streamed already as
    search_text_tf (`search_build.streamed_text_parts`)."""
    tf = text_counts if isinstance(text_counts, StreamedArray) else \
        text_counts.astype(tf_dtype(int(text_counts.max(initial=0))))
    parts: dict[str, Part] = {f"{PREFIX}text_tf": tf,
                              f"{PREFIX}doc_len": np.asarray(lengths, dtype=np.int64)}
    if isinstance(surface, Mapping):
        parts.update(surface)
    else:
        table, rows, ids = surface
        parts.update({f"{PREFIX}surface_rows": rows, f"{PREFIX}surface_ids": ids})
        parts.update(table.parts("surface"))
    parts.update(acronym_state(acronym_evidence))
    return parts


def acronym_state(evidence: Sequence[Sequence[str]],
                  lines: Sequence[str] | None = None) -> dict[str, Part]:
    """The acronym parts of papers' evidence lines (`lines`: their sorted union, when known)."""
    if lines is None:
        lines = sorted({x for paper in evidence for x in paper})
    position = {x: i for i, x in enumerate(lines)}
    rows = np.zeros(len(evidence) + 1, dtype=np.int64)
    np.cumsum([len(paper) for paper in evidence], out=rows[1:])
    ids = np.array([position[x] for paper in evidence for x in sorted(paper)], dtype=np.int32)
    table = TermTable.pack(lines)
    return {f"{PREFIX}acronym_lines_blob": table.blob,
            f"{PREFIX}acronym_lines_offsets": table.offsets,
            f"{PREFIX}acronym_rows": rows, f"{PREFIX}acronym_ids": ids}
