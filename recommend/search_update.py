"""Updating the search parts of an index version with a delta, without re-reading papers.

`update_search_parts` is the search part's updater for an incremental index update: the
new version's rows are the base version's rows where `keep` is True (in order), then
the new papers. It returns exactly what `build_search_parts` returns for those papers:
the kept papers' counts, lengths, words and acronym definitions come from the state the
base version stores (`recommend.search_state`), only the new papers are analysed, and
every BM25 weight is recomputed with the new document frequencies and average length.
All edits over the base arrays are vectorised (`recommend.search_merge`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from recommend import acronyms as acronym_rules
from recommend.index_stream import in_memory
from recommend.index_update import NeedsFullBuild
from recommend.mapped_pages import drop_pages_of
from recommend.search_build import (
    build_search_parts,
    title_key,
)
from recommend.search_merge import (
    Postings,
    kept_column_counts,
    locate,
    merge_postings,
    to_csc,
)
from recommend.search_query import author_tokens
from recommend.search_state import (
    SurfaceWords,
    acronym_state,
    sort_rows,
)
from recommend.search_table_merge import StreamedTableEdit, streamed_merge_table
from recommend.search_terms import PREFIX, TermTable
from recommend.search_text_merge import TextMerge, streamed_text_parts
from recommend.text import ANALYZER, analyze, analyze_words, words

Part = np.ndarray | sparse.spmatrix
# merged search_text entries merged and written at once (`recommend.search_text_merge`)
TEXT_BLOCK = 1 << 22
# base (paper, word) ids of the written words read and renumbered at a time (16 MB)
SURFACE_BLOCK = 1 << 22
STATE_PARTS = ("text_tf", "doc_len", "surface_blob", "surface_offsets", "surface_hash",
               "surface_hash_pos", "surface_rows", "surface_ids", "acronym_lines_blob",
               "acronym_lines_offsets",
               "acronym_rows", "acronym_ids")


@dataclass
class NewPapers:
    """The added papers as the search index reads them."""

    terms: list[str]                 # sorted text terms of the new papers
    counts: sparse.csr_matrix        # new papers x terms
    surface: SurfaceWords = field(default_factory=SurfaceWords)
    evidence: list[list[str]] = field(default_factory=list)


def update_search_parts(base, keep: np.ndarray, new_docs: Sequence, new_index
                        ) -> dict[str, Part]:
    """Search's updater (see `recommend.index`'s incremental update): the search parts
    of the base version's kept rows followed by `new_docs`, equal to a full
    `build_search_parts` over those papers. Raises ValueError on a mismatched delta and
    `NeedsFullBuild` when the base version lacks the state an update reads."""
    return in_memory(dict(iter_search_parts(base, keep, new_docs, new_index)))


def iter_search_parts(base, keep: np.ndarray, new_docs: Sequence, new_index
                      ) -> Iterator[tuple[str, Part]]:
    """`update_search_parts` one part at a time, each handed over as soon as it is merged
    and no longer referenced here, so a caller that writes and drops each part holds one
    merge's arrays at a time rather than every merged part (issue 21). The checks run
    before the first part."""
    keep = _checked_keep(base, keep)
    n_kept = int(keep.sum())
    if len(new_index) != n_kept + len(new_docs):
        raise ValueError(f"the new index has {len(new_index)} papers, but the update keeps "
                         f"{n_kept} and adds {len(new_docs)}")
    if n_kept == 0:
        return iter(build_search_parts(new_index, new_docs).items())
    _check_state(base.parts)
    return _merged_parts(base, keep, new_docs)


def _merged_parts(base, keep: np.ndarray, new_docs: Sequence) -> Iterator[tuple[str, Part]]:
    p = base.parts
    new = _read_new(new_docs)
    text = p[f"{PREFIX}text"]
    table = _table(p, "terms")
    edit, columns = _merge_columns(table, kept_column_counts(text, keep) > 0, new.terms, "terms",
                                   release=lambda: drop_pages_of(base))
    drop_pages_of(base)     # located and counted over the old table: drop its pages
    if not edit.n_terms:
        return
    yield f"{PREFIX}analyzer", np.array([ANALYZER])
    # the term table goes first, written a block at a time before the postings are merged
    old_to_new, n_terms = edit.old_to_new, edit.n_terms
    title_columns = _title_columns(new_docs, table, old_to_new, new.terms, columns)
    table_parts = edit.parts
    del edit
    yield from _handed_over(table_parts)
    yield from _handed_over(_text_parts(base, keep, new, old_to_new, columns, n_terms))
    drop_pages_of(base)     # each merge reads its base parts whole: drop them as it ends
    yield f"{PREFIX}title", _merge_binary_matrix(p[f"{PREFIX}title"], keep, title_columns,
                                                 n_terms, old_to_new)
    del old_to_new, columns, new.counts
    for name, table_name, tokens in (
            ("authors", "author_terms",
             [{t for n in getattr(d, "authors", ()) for t in author_tokens(n)} for d in new_docs]),
            ("cats", "cat_terms", [{c.lower() for c in d.categories} for d in new_docs])):
        yield from _handed_over(_merge_binary(p, name, table_name, keep, tokens))
    yield f"{PREFIX}title_key", np.concatenate([
        np.asarray(p[f"{PREFIX}title_key"])[keep],
        np.array([title_key(getattr(d, "title", "")) for d in new_docs], dtype=np.int64)])
    drop_pages_of(base)
    yield from _handed_over(_surface_parts(p, keep, new.surface,
                                           lambda: drop_pages_of(base)))
    drop_pages_of(base)
    yield from _handed_over(_acronym_parts(p, keep, new.evidence))


def _handed_over(parts: dict[str, Part]) -> Iterator[tuple[str, Part]]:
    """The parts in order, each dropped from `parts` as it goes: the receiver holds the
    only reference."""
    for name in list(parts):
        yield name, parts.pop(name)


def _checked_keep(base, keep) -> np.ndarray:
    keep = np.asarray(keep)
    if keep.dtype != bool:
        raise ValueError(f"keep must be a boolean array, got dtype {keep.dtype}")
    if keep.shape != (len(base),):
        raise ValueError(f"keep must hold one flag per paper of the base index ({len(base)}), "
                         f"got shape {keep.shape}")
    return keep


def _check_state(p: Mapping[str, Part]) -> None:
    if f"{PREFIX}text" not in p or str(p.get(f"{PREFIX}analyzer", [""])[0]) != ANALYZER:
        raise NeedsFullBuild("the base index has no search parts of the current analyser")
    missing = [f"{PREFIX}{name}" for name in STATE_PARTS if f"{PREFIX}{name}" not in p]
    if missing:
        raise NeedsFullBuild("the base index was built without search update state "
                             f"(missing {', '.join(missing)})")


def _table(p: Mapping[str, Part], name: str) -> TermTable:
    return TermTable(p[f"{PREFIX}{name}_blob"], p[f"{PREFIX}{name}_offsets"],
                     p.get(f"{PREFIX}{name}_hash"), p.get(f"{PREFIX}{name}_hash_pos"))


def _read_new(docs: Sequence) -> NewPapers:
    """Count the new papers' terms (the build's analyser) and record their words and
    acronym definitions."""
    new = NewPapers([], sparse.csr_matrix((len(docs), 0), dtype=np.int64))
    per_paper = []
    for d in docs:
        seq = words(d.text)
        new.surface.add(seq)
        per_paper.append(Counter(analyze_words(seq)))
        new.evidence.append(acronym_rules.paper_evidence(d.text))
    new.terms = sorted(set().union(*per_paper))
    column = {t: j for j, t in enumerate(new.terms)}
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in per_paper], out=indptr[1:])
    indices = np.array([column[t] for c in per_paper for t in c], dtype=np.int64)
    data = np.array([k for c in per_paper for k in c.values()], dtype=np.int64)
    new.counts = sparse.csr_matrix((data, indices, indptr), shape=(len(docs), len(new.terms)))
    return new


def _merge_columns(table: TermTable, alive: np.ndarray, new_terms: Sequence[str], name: str,
                   **options) -> tuple[StreamedTableEdit, np.ndarray]:
    """The table with the (sorted) new terms added and those no kept or new paper holds
    (`alive` False: no kept paper holds it) dropped, as the streamed parts of table `name`
    (`streamed_merge_table`, given `options`), and the new column of each of `new_terms`.
    `alive` (a bool per old term, not the counts, so that a caller's int64 temporary is
    freed before the merge) is changed in place."""
    found, insert_at = locate(table, new_terms)
    alive[found[found >= 0]] = True
    absent = found < 0
    edit = streamed_merge_table(table, alive, [t for t, a in zip(new_terms, absent, strict=True)
                                               if a], insert_at[absent], name=name, **options)
    columns = np.empty(len(new_terms), dtype=np.int64)
    columns[~absent] = edit.old_to_new[found[~absent]]
    columns[absent] = edit.added_to_new
    return edit, columns


def _text_parts(base, keep: np.ndarray, new: NewPapers, old_to_new: np.ndarray,
                columns: np.ndarray, n_terms: int) -> dict[str, Part]:
    """search_text (BM25 recomputed), its column maxima, tf and dl; `old_to_new` and
    `columns` place the base's and the new papers' terms in the merged term table. The
    postings are merged and written a block of columns at a time
    (`recommend.search_text_merge`)."""
    p = base.parts
    text = p[f"{PREFIX}text"]
    lengths = np.concatenate([np.asarray(p[f"{PREFIX}doc_len"])[keep],
                              np.asarray(new.counts.sum(axis=1)).ravel().astype(np.int64)])
    merge = TextMerge(text.indptr, text.indices, p[f"{PREFIX}text_tf"], keep, old_to_new,
                      _added_postings(new.counts, columns, n_terms), n_terms,
                      lambda: drop_pages_of(base))
    return streamed_text_parts(merge, lengths, TEXT_BLOCK)


def _added_postings(counts: sparse.csr_matrix, columns: np.ndarray, n_columns: int
                    ) -> Postings:
    """The new papers' entries in the new columns, as CSC postings."""
    moved = sparse.csr_matrix((counts.data, columns[counts.indices], counts.indptr),
                              shape=(counts.shape[0], n_columns)).tocsc()
    moved.sort_indices()
    return Postings(moved.indptr, moved.indices, [moved.data])


def _title_columns(docs: Sequence, old: TermTable, old_to_new: np.ndarray,
                   new_terms: Sequence[str], columns: np.ndarray) -> list[list[int]]:
    """Each new paper's title terms as columns of the merged term table: a term of the new
    papers' texts has its column already (`columns`), any other is looked up in the old
    table (by hash, as every search version has its hash index) and follows `old_to_new`
    (-1 where dropped); a term in neither is in no column."""
    titles = [set(analyze(getattr(d, "title", ""))) for d in docs]
    column_of = dict(zip(new_terms, columns.tolist(), strict=True))
    others = sorted(set().union(*titles) - column_of.keys())
    if others and len(old):
        found = (locate(old, others)[0] if old.hashes is None
                 else old.positions_of(TermTable.unhashed(others)))
        moved = np.where(found >= 0, old_to_new[np.maximum(found, 0)], -1)
        column_of.update(zip(others, moved.tolist(), strict=True))
    return [sorted(j for t in title if (j := column_of.get(t, -1)) >= 0) for title in titles]


def _merge_binary_matrix(matrix: sparse.csc_matrix, keep: np.ndarray,
                         new_columns: list[list[int]], n_columns: int,
                         old_to_new: np.ndarray | None = None) -> sparse.csc_matrix:
    """A 0/1 papers x terms matrix: kept rows, columns renumbered, new rows appended."""
    if old_to_new is None:
        old_to_new = np.arange(matrix.shape[1], dtype=np.int64)
    indptr = np.zeros(len(new_columns) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in new_columns], out=indptr[1:])
    indices = np.array([j for c in new_columns for j in c], dtype=np.int64)
    added = _added_postings(sparse.csr_matrix(
        (np.ones(len(indices), np.float32), indices, indptr), shape=(len(new_columns),
                                                                     n_columns)),
        np.arange(n_columns, dtype=np.int64), n_columns)
    merged = merge_postings(Postings(matrix.indptr, matrix.indices, [matrix.data]), keep,
                            old_to_new, added, n_columns)
    return to_csc(merged, int(keep.sum()) + len(new_columns), merged.values[0])


def _merge_binary(p: Mapping[str, Part], name: str, table_name: str, keep: np.ndarray,
                  new_tokens: list[set[str]]) -> dict[str, Part]:
    """A 0/1 matrix with its own vocabulary (authors, categories) and its table."""
    terms = sorted(set().union(*new_tokens))
    edit, columns = _merge_columns(_table(p, table_name),
                                   kept_column_counts(p[f"{PREFIX}{name}"], keep) > 0, terms,
                                   table_name)
    column_of = dict(zip(terms, columns.tolist(), strict=True))
    matrix = _merge_binary_matrix(p[f"{PREFIX}{name}"], keep,
                                  [sorted(column_of[t] for t in tokens) for tokens in new_tokens],
                                  edit.n_terms, edit.old_to_new)
    return {f"{PREFIX}{name}": matrix, **edit.parts}


def _kept_rows(rows: np.ndarray, ids: np.ndarray, keep: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """A CSR layout (indptr, ids) without the rows where `keep` is False."""
    rows = np.asarray(rows)
    sizes = np.diff(rows)
    ids = np.asarray(ids)[np.repeat(keep, sizes)]
    indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(sizes[keep], out=indptr[1:])
    return indptr, ids


def _append_rows(indptr: np.ndarray, ids: np.ndarray, new_indptr: np.ndarray,
                 new_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.concatenate([indptr, np.asarray(new_indptr[1:], dtype=np.int64) + indptr[-1]]),
            np.concatenate([ids, new_ids]).astype(np.int32))


def _surface_parts(p: Mapping[str, Part], keep: np.ndarray, surface: SurfaceWords,
                   release: Callable[[], object] = lambda: None) -> dict[str, Part]:
    """All words as written with each paper's words, and the did-you-mean words. The
    base's word lists (an id per (paper, word), the bulk of these parts) are read from
    its file a block of papers at a time (`_kept_id_blocks`) and renumbered into the
    merged int32 ids, never copied whole (nor widened to int64) beside them. The merged
    word table and the did-you-mean table cut from it are written a block at a time
    (`search_table_merge`): only the ids and a few values per word are held."""
    table = _table(p, "surface")
    base_rows, base_ids = np.asarray(p[f"{PREFIX}surface_rows"]), p[f"{PREFIX}surface_ids"]
    alive = np.zeros(len(table), dtype=bool)
    for block in _kept_id_blocks(base_rows, base_ids, keep):
        alive[block] = True
    new_table, new_rows, new_ids = surface.rows()
    edit, columns = _merge_columns(table, alive, list(new_table), "surface", release=release)
    rows, ids = _merged_word_rows(base_rows, base_ids, keep, edit.old_to_new, new_rows,
                                  sort_rows(new_rows, columns[new_ids]))
    papers = _id_counts(ids, edit.n_terms)
    common = papers >= 2
    return {**edit.kept(common, "words"), f"{PREFIX}words_df": papers[common].astype(np.int32),
            f"{PREFIX}surface_rows": rows, f"{PREFIX}surface_ids": ids, **edit.parts}


def _id_counts(ids: np.ndarray, n: int, block: int = 1 << 24) -> np.ndarray:
    """`np.bincount(ids, minlength=n)` a block at a time: bincount copies int32 ids to
    int64 first, which for every (paper, word) pair would be twice the ids again."""
    counts = np.zeros(n, dtype=np.int64)
    for start in range(0, len(ids), block):
        counts += np.bincount(ids[start:start + block], minlength=n)
    return counts


def _kept_id_blocks(rows: np.ndarray, ids: np.ndarray, keep: np.ndarray
                    ) -> Iterator[np.ndarray]:
    """The ids of the rows where `keep` is True (a CSR layout), in order, read a block of
    rows holding about SURFACE_BLOCK ids at a time (a longer row alone)."""
    n_rows, start = len(rows) - 1, 0
    while start < n_rows:
        stop = int(np.searchsorted(rows, rows[start] + SURFACE_BLOCK, side="right")) - 1
        stop = min(max(stop, start + 1), n_rows)
        block = np.asarray(ids[rows[start]:rows[stop]])
        kept = keep[start:stop]
        yield block if kept.all() else block[np.repeat(kept, np.diff(rows[start:stop + 1]))]
        start = stop


def _merged_word_rows(rows: np.ndarray, ids: np.ndarray, keep: np.ndarray,
                      old_to_new: np.ndarray, new_rows: np.ndarray, new_ids: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """`_append_rows(*_kept_rows(rows, ids, keep), ...)` with the kept ids renumbered by
    `old_to_new`: the merged CSR layout (int64 indptr, int32 ids)."""
    indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(np.diff(rows)[keep], out=indptr[1:])
    merged = np.empty(int(indptr[-1]) + len(new_ids), dtype=np.int32)
    at = 0
    for block in _kept_id_blocks(rows, ids, keep):
        merged[at:at + len(block)] = old_to_new[block]
        at += len(block)
    merged[at:] = new_ids
    return (np.concatenate([indptr, np.asarray(new_rows[1:], dtype=np.int64) + indptr[-1]]),
            merged)


def _acronym_parts(p: Mapping[str, Part], keep: np.ndarray, evidence: list[list[str]]
                   ) -> dict[str, Part]:
    """The learned acronyms, recounted from the kept papers' and new papers' definitions."""
    rows, ids = _kept_rows(p[f"{PREFIX}acronym_rows"], p[f"{PREFIX}acronym_ids"], keep)
    old_lines = TermTable(p[f"{PREFIX}acronym_lines_blob"], p[f"{PREFIX}acronym_lines_offsets"])
    used = np.unique(ids)
    kept_lines = [old_lines[int(i)] for i in used]
    lines = sorted(set(kept_lines) | {x for paper in evidence for x in paper})
    position = {x: i for i, x in enumerate(lines)}
    old_to_new = np.full(len(old_lines), -1, dtype=np.int64)
    old_to_new[used] = [position[x] for x in kept_lines]
    new = acronym_state(evidence, lines)
    rows, ids = _append_rows(rows, old_to_new[ids], new[f"{PREFIX}acronym_rows"],
                             new[f"{PREFIX}acronym_ids"])
    papers = np.bincount(ids, minlength=len(lines))
    first_entry = np.unique(ids, return_index=True)[1]
    entry_row = np.repeat(np.arange(len(rows) - 1), np.diff(rows))
    first = np.zeros(len(lines), dtype=np.int64)
    first[np.unique(ids)] = entry_row[first_entry]
    learned = acronym_rules.pack(acronym_rules.choose(lines, papers, first))
    return {f"{PREFIX}acronyms": np.array(learned, dtype=str) if learned else
            np.array([], "<U1"), **new, f"{PREFIX}acronym_rows": rows,
            f"{PREFIX}acronym_ids": ids}
