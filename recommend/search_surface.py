"""The written-words parts of a full build made from files, never whole in memory.

The update state keeps every word as written, singletons too (`recommend.search_state`:
search_surface_*, search_surface_rows / search_surface_ids), and did-you-mean the words
in two or more papers (search_words_*, search_words_df). At 100k papers with 30k full
texts that is 17.5M words: merged in memory, hashed there and placed paper by paper,
the table, its hash index, the runs' maps and every paper's word ids (4 bytes a (paper,
word) pair) were held together, the full build's peak (4.2-4.4 GB).

Here, as for the text terms (`recommend.index_pass.count_text`), the "words" runs' terms
are merged a window at a time into two files of the spill directory (`merge_terms(...,
into=...)`), the hash index is made from those files by the hashing workers
(`term_hashes.file_hash_index`), each run's word ids are written to a file as the run
is read, and the did-you-mean words are cut from the files a window at a time. Every
part is saved from the files (`index_stream.file_array`), byte for byte what
`search_build._surface` and `search_state.common_words_parts` give.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from recommend.index_stream import StreamedArray, file_array, spilled_array
from recommend.search_runs import Run
from recommend.search_state import kept_hash_index
from recommend.search_terms import PREFIX
from recommend.term_files import FileTerms
from recommend.term_hashes import file_hash_index
from recommend.term_union import merge_terms

SurfaceParts = dict[str, np.ndarray | StreamedArray]


def spilled_surface(runs: Sequence[Run], spill_dir: Path, workers: int
                    ) -> tuple[SurfaceParts, SurfaceParts]:
    """(the state's written-words parts, the did-you-mean parts) of the "words" runs,
    made through files in `spill_dir`; `workers`: hashing processes."""
    blob, offsets = spill_dir / "surface.blob", spill_dir / "surface.offsets"
    table, maps = merge_terms([run.terms() for run in runs], into=(blob, offsets))
    n_terms, n_bytes = len(table), len(table.blob)
    del table   # mapped from the files: nothing read
    ids_path = spill_dir / "surface.ids"
    rows, df = _write_ids(runs, maps, n_terms, ids_path)
    del maps
    terms = FileTerms(blob, offsets, n_terms)
    hashes, hash_pos = file_hash_index(terms, workers)
    keep = df >= 2
    common = _kept_words(terms, keep, hashes, hash_pos, spill_dir)
    common[f"{PREFIX}words_df"] = df[keep].astype(np.int32)
    del df
    state: SurfaceParts = {
        f"{PREFIX}surface_rows": rows,
        f"{PREFIX}surface_ids": file_array(ids_path, np.dtype(np.int32), int(rows[-1])),
        f"{PREFIX}surface_blob": file_array(blob, np.dtype(np.uint8), n_bytes),
        f"{PREFIX}surface_offsets": file_array(offsets, np.dtype(np.int64), n_terms + 1),
        f"{PREFIX}surface_hash": spilled_array(hashes, spill_dir / "surface.hash"),
        f"{PREFIX}surface_hash_pos": spilled_array(hash_pos, spill_dir / "surface.hash_pos"),
    }
    return state, common


def _write_ids(runs: Sequence[Run], maps: Sequence[np.ndarray], n_terms: int, path: Path
               ) -> tuple[np.ndarray, np.ndarray]:
    """Write each paper's words, as positions in the merged table (int32, sorted within
    each paper since the maps are increasing), to `path`, one run at a time; returns the
    rows' CSR indptr (int64) and each word's number of papers (int32)."""
    indptr, offset = [np.zeros(1, dtype=np.int64)], 0
    df = np.zeros(n_terms, dtype=np.int32)
    with path.open("wb") as out:
        for run, col_map in zip(runs, maps, strict=True):
            matrix = run.matrix()
            out.write(col_map[matrix.indices].astype(np.int32, copy=False).data)
            # a run's columns are distinct words, its map one-to-one
            df[col_map] += np.bincount(matrix.indices, minlength=len(col_map)).astype(np.int32)
            indptr.append(matrix.indptr[1:].astype(np.int64) + offset)
            offset += matrix.nnz
            del matrix
    return np.concatenate(indptr), df


def _kept_words(terms: FileTerms, keep: np.ndarray, hashes: np.ndarray,
                hash_pos: np.ndarray, spill_dir: Path) -> SurfaceParts:
    """`search_state.kept_terms(table, keep).parts("words")` for the table in the files
    of `terms`, with its hash index `hashes` and `hash_pos`: the kept terms cut a window
    at a time."""
    kept_offsets = np.zeros(int(np.count_nonzero(keep)) + 1, dtype=np.int64)
    kept_blob = spill_dir / "words.blob"
    at, end = 0, 0
    with kept_blob.open("wb") as out:
        for start, window in terms.windows():
            lengths, kept = np.diff(window.offsets), keep[start:start + len(window)]
            out.write(np.asarray(window.blob)[np.repeat(kept, lengths)].data)
            kept_lengths = lengths[kept]
            np.cumsum(kept_lengths, out=kept_offsets[at + 1:at + 1 + len(kept_lengths)])
            kept_offsets[at + 1:at + 1 + len(kept_lengths)] += end
            at += len(kept_lengths)
            end = int(kept_offsets[at])
    kept_hashes, kept_hash_pos = kept_hash_index(hashes, hash_pos, keep)
    return {f"{PREFIX}words_blob": file_array(kept_blob, np.dtype(np.uint8), end),
            f"{PREFIX}words_offsets": kept_offsets,
            f"{PREFIX}words_hash": kept_hashes,
            f"{PREFIX}words_hash_pos": kept_hash_pos}
