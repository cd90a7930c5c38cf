"""Building the trend table's parts (described in `recommend.trends`) from the papers
of an index: terms, counts per month, postings both ways, categories and labels."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from recommend.count_columns import CountColumns
from recommend.features import column_blocks, terms_at
from recommend.index import Doc, Index
from recommend.text import analyze_words, stem, words
from recommend.trend_cells import cell_counts
from recommend.trend_generic import generic_terms

MIN_DF = 3
FORM_SAMPLE_DOCS = 10_000
# two-word labels come from the phrase as written in the opening of this many papers (the
# title and abstract: how people name a topic); a phrase missing there is labelled word
# by word
PHRASE_FORM_DOCS = 2_000
PHRASE_FORM_CHARS = 3_000
MAX_TERM_CHARS = 64
# With this much text (full texts: ~10k papers) the vocabulary of every distinct unigram
# and bigram outgrows memory, almost all of it terms below min_df. A first pass then
# counts document frequencies per hash bucket, and the second admits only terms whose
# bucket reaches min_df (collisions admit a few extra terms, dropped on the exact count).
TWO_PASS_CHARS = 300_000_000
HASH_BUCKETS = 1 << 25                  # 128 MB of counts
# (term, month) cells counted at a time by `month_counts` (32 MB of int64 counts)
_MONTH_CELLS = 1 << 22


def trend_builder(index: Index, docs: Sequence[Doc]) -> dict[str, Any]:
    """The extra index builder registered in ingest/indexing.py.

    The minimum document frequency grows with the corpus (3, or one paper in 20,000): a
    term in five of 100k papers spread over years is noise on a monthly chart, and the
    rare tail is most of the distinct bigrams.
    """
    return build_trends(index.published, docs, min_df=builder_min_df(len(docs)))


def builder_min_df(n_docs: int) -> int:
    """The index's minimum document frequency of a trend term for a corpus of n_docs."""
    return max(MIN_DF, round(n_docs / 20_000))


def build_trends(published: np.ndarray, docs: Sequence[Doc], *, min_df: int = MIN_DF
                 ) -> dict[str, Any]:
    """Trend parts for `docs` (index row order); `published` is their first-version days."""
    forms: Counter[tuple[str, str]] = Counter()
    terms, postings = _postings(docs, min_df, forms=forms)
    title = title_presence(docs, {t: i for i, t in enumerate(terms)})
    return trend_parts(published, terms, postings, forms, [d.categories for d in docs], title)


def trend_parts(published: np.ndarray, terms: Sequence[str], postings: sparse.csr_matrix,
                forms: Counter[tuple[str, str]], categories: Sequence[Sequence[str]],
                title: sparse.csr_matrix) -> dict[str, Any]:
    """The trend parts from the sorted `terms`, their (term x doc) presence matrix (doc
    rows sorted), the sampled written `forms` (`add_forms`), each doc's categories and
    the terms' (term x doc) presence in the titles (`title_presence`)."""
    month_no = np.asarray(published, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first = int(month_no.min()) if len(month_no) else 0
    doc_month = (month_no - first).astype(np.int32)
    n_months = int(doc_month.max()) + 1 if len(doc_month) else 0
    months = np.arange(first, first + n_months).astype("datetime64[M]")
    n_docs = len(doc_month)
    by_month = sparse.csr_matrix((np.ones(n_docs, np.int32), (np.arange(n_docs), doc_month)),
                                 shape=(n_docs, n_months))
    counts = month_counts(postings, doc_month, n_months)
    if counts.nnz and counts.data.max() <= np.iinfo(np.uint16).max:
        counts.data = counts.data.astype(np.uint16)  # a third less disk and memory
    parts: dict[str, Any] = {
        **_packed(terms), **_packed(_labels(terms, forms), "label"),
        "trend_df": np.diff(postings.indptr).astype(np.int32),
        "trend_counts": counts, "trend_months": months,
        "trend_totals": np.bincount(doc_month, minlength=n_months).astype(np.int32),
        # copy=False: the parts share the postings' arrays rather than copy them
        "trend_postings": postings.indices.astype(np.int32, copy=False),
        "trend_postings_ptr": postings.indptr.astype(np.int64),
        "trend_doc_month": doc_month,
    }
    by_doc = postings.tocsc()
    parts.update(trend_doc_terms=by_doc.indices.astype(np.int32, copy=False),
                 trend_doc_terms_ptr=by_doc.indptr.astype(np.int64))
    del by_doc
    parts.update(title_parts(title))
    parts.update(_category_parts(categories, doc_month, by_month, n_months))
    parts["trend_generic_flags"] = generic_flags(parts)
    return parts


def generic_flags(parts: Mapping[str, Any]) -> np.ndarray:
    """The stored ``trend_generic_flags``: `generic_terms` over the table's parts, computed
    once with the version so a worker's first hot list only loads them."""
    return generic_terms(parts["trend_df"], parts["trend_postings"], parts["trend_postings_ptr"],
                         parts["trend_doc_cats"])


def month_counts(postings: sparse.csr_matrix, doc_month: np.ndarray, n_months: int
                 ) -> sparse.csr_matrix:
    """(terms x months) int32 CSR, columns sorted: the papers of each term (a row of the
    (term x doc) `postings`) in each month, as `postings.astype(np.int32) @ by_month`
    gives it, without that product's copy of every posting: a block of terms at a time,
    each block's (term, month) cells counted in a dense array."""
    n_terms = postings.shape[0]
    data_blocks, col_blocks = [], []
    row_nnz = np.zeros(n_terms, dtype=np.int64)
    for a, b, per_cell in cell_counts(postings.indices, postings.indptr, doc_month, n_months,
                                      max_cells=_MONTH_CELLS):
        filled = np.flatnonzero(per_cell.ravel())
        data_blocks.append(per_cell.ravel()[filled].astype(np.int32))
        col_blocks.append((filled % n_months).astype(np.int32))
        row_nnz[a:b] = np.bincount(filled // n_months, minlength=b - a)
    counts_indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(row_nnz, out=counts_indptr[1:])
    data = np.concatenate(data_blocks) if data_blocks else np.zeros(0, np.int32)
    del data_blocks
    cols = np.concatenate(col_blocks) if col_blocks else np.zeros(0, np.int32)
    return sparse.csr_matrix((data, cols, counts_indptr), shape=(n_terms, n_months))


def trends_from_counts(published: np.ndarray, counts: sparse.csc_matrix | CountColumns,
                       terms: Sequence[str],
                       forms: Counter[tuple[str, str]], categories: Sequence[Sequence[str]],
                       title: sparse.csc_matrix, *, min_df: int = MIN_DF) -> dict[str, Any]:
    """`build_trends` from every doc's raw count of every term, already counted.

    counts: (docs x terms) CSC, rows sorted within each column, in memory or spilled
    (`CountColumns`); terms: the sorted term of
    each column; forms: the sampled written forms (`form_sampling`, `add_forms`);
    categories: each doc's; title: (docs x the same terms) CSC, where a doc's title has
    the term. The result equals `build_trends` on the docs counted.
    """
    frequent = np.flatnonzero(np.diff(counts.indptr) >= min_df)
    names = terms_at(terms, frequent)
    short = np.array([len(t) <= MAX_TERM_CHARS for t in names], dtype=np.bool_)
    columns = frequent[short] if len(frequent) else frequent
    names = [t for t, ok in zip(names, short.tolist(), strict=True) if ok]
    postings = _columns_as_rows(counts, columns)
    del counts   # the caller may have handed over the last reference
    return trend_parts(published, names, postings, forms, categories,
                       _columns_as_rows(title, columns))


def _columns_as_rows(matrix: sparse.csc_matrix | CountColumns, columns: np.ndarray
                     ) -> sparse.csr_matrix:
    """The presence of the chosen columns of a (docs x terms) CSC matrix as a (terms x
    docs) CSR matrix: a CSC matrix's columns are the rows of its transpose, so only their
    row numbers are copied, a block of columns at a time."""
    matrix = CountColumns.of(matrix)
    indptr = np.zeros(len(columns) + 1, dtype=np.int64)
    np.cumsum(matrix.indptr[columns + 1] - matrix.indptr[columns], out=indptr[1:])
    doc_rows = np.empty(int(indptr[-1]), dtype=np.int32)
    at = 0
    for block in column_blocks(matrix.indptr, columns):
        rows = matrix.columns(block).indices
        doc_rows[at:at + len(rows)] = rows
        at += len(rows)
    return sparse.csr_matrix((np.ones(len(doc_rows), dtype=np.bool_), doc_rows, indptr),
                             shape=(len(columns), matrix.shape[0]))


def form_sampling(n_docs: int) -> tuple[int, int]:
    """(every, every_phrase): the docs whose written words (row % every == 0) and opening
    phrases (row % every_phrase == 0) are counted for the labels."""
    every = max(1, -(-n_docs // FORM_SAMPLE_DOCS))
    return every, every * max(1, -(-min(n_docs, FORM_SAMPLE_DOCS) // PHRASE_FORM_DOCS))


def add_forms(forms: Counter[tuple[str, str]], text: str, seq: Sequence[str | None],
              phrases: bool) -> None:
    """Count a sampled doc's (stem, word as written) pairs and, with `phrases`, its
    opening's (two-word term, phrase as written) pairs; `seq` is `words(text)`."""
    plain = set(filter(None, seq))
    forms.update(zip(map(stem, plain), plain, strict=True))
    if phrases:
        add_phrase_forms(forms, text)


def add_phrase_forms(forms: Counter[tuple[str, str]], text: str) -> None:
    """Count the (two-word term, phrase as written) pairs of a sampled doc's opening."""
    forms.update(_phrase_forms(words(text[:PHRASE_FORM_CHARS])))


def title_presence(docs: Sequence[Doc], row_of: Mapping[str, int]) -> sparse.csr_matrix:
    """(term x doc) presence of the table's terms (`row_of`: term -> row) in the papers'
    titles, doc rows sorted: where papers name their topic (`recommend.trend_topic`)."""
    rows: array[int] = array("i")
    indptr = [0]
    for doc in docs:
        found = {row_of[t] for t in analyze_words(words(doc.title)) if t in row_of}
        rows.extend(sorted(found))
        indptr.append(len(rows))
    by_doc = sparse.csr_matrix(
        (np.ones(len(rows), np.bool_), np.frombuffer(rows, dtype=np.int32) if rows else
         np.zeros(0, np.int32), np.asarray(indptr, dtype=np.int64)), shape=(len(docs), len(row_of)))
    presence = by_doc.T.tocsr()
    presence.sort_indices()
    return presence


def title_parts(presence: sparse.csr_matrix) -> dict[str, np.ndarray]:
    """The title postings as stored: papers per term, like ``trend_postings``."""
    return {"trend_title_postings": presence.indices.astype(np.int32),
            "trend_title_postings_ptr": presence.indptr.astype(np.int64)}


def _doc_terms(doc: Doc, forms: Counter[tuple[str, str]] | None = None,
               phrases: bool = False) -> set[str]:
    """The doc's terms; `forms` counts the papers with each (stem, word as written) pair
    and, with `phrases`, each (two-word term, phrase as written) pair of the doc's opening."""
    seq = words(doc.text)
    if forms is not None:
        add_forms(forms, doc.text, seq, phrases)
    return {t for t in analyze_words(seq) if len(t) <= MAX_TERM_CHARS}


def _phrase_forms(seq: Sequence[str | None]) -> set[tuple[str, str]]:
    return {(f"{stem(a)} {stem(b)}", f"{a} {b}")
            for a, b in zip(seq, seq[1:], strict=False) if a and b}


def _labels(terms: Sequence[str], forms: Counter[tuple[str, str]]) -> list[str]:
    """Each term as most often written: a two-word term as its most common phrase ("language
    models", not "language" and "models" chosen apart), else each stem as its most common
    word (also the choice among phrases written equally often)."""
    best: dict[str, tuple[int, str]] = {}
    # the forms written as often as the best, for the terms that have more than one (a
    # set for every term cost 0.9 GB with 6k full texts among 20k papers)
    tied: dict[str, set[str]] = {}
    for (term, written), n in forms.items():
        old = best.get(term)
        if old is None or n > old[0]:
            best[term] = (n, written)
            tied.pop(term, None)
        elif n == old[0]:
            best[term] = max(old, (n, written))
            tied.setdefault(term, {old[1]}).add(written)
    labels = []
    for term in terms:
        by_word = " ".join(best[p][1] if p in best else p for p in term.split(" "))
        phrase = best.get(term) if " " in term else None
        labels.append(phrase[1] if phrase and by_word not in tied.get(term, (phrase[1],))
                      else by_word)
    return labels


def _bucket_df(docs: Sequence[Doc], buckets: int) -> np.ndarray:
    """Documents per hash bucket of their terms (a term's df is at most its bucket's)."""
    df = np.zeros(buckets, dtype=np.uint32)
    for doc in docs:
        terms = _doc_terms(doc)
        hashed = np.fromiter((hash(t) for t in terms), dtype=np.int64, count=len(terms))
        df[np.unique(hashed % buckets)] += 1
    return df


def _postings(docs: Sequence[Doc], min_df: int, *, two_pass: bool | None = None,
              buckets: int = HASH_BUCKETS, forms: Counter[tuple[str, str]] | None = None
              ) -> tuple[list[str], sparse.csr_matrix]:
    """Sorted terms in >= min_df docs and a (term x doc) presence matrix, doc rows sorted.

    `two_pass` (default: with TWO_PASS_CHARS of text or more) bounds the vocabulary by a
    hashed first pass; the result is the same either way."""
    if two_pass is None:
        two_pass = min_df > 1 and sum(len(d.text) for d in docs) >= TWO_PASS_CHARS
    admit = _bucket_df(docs, buckets) >= min_df if two_pass else None
    vocab: dict[str, int] = {}
    indices = array("i")            # 4 bytes a posting; a list of ints costs about 36
    indptr = [0]
    every, every_phrase = form_sampling(len(docs))
    for i, doc in enumerate(docs):
        seen = _doc_terms(doc, forms if i % every == 0 else None, i % every_phrase == 0)
        if admit is not None:
            seen = {t for t in seen if admit[hash(t) % buckets]}
        indices.extend(vocab.setdefault(t, len(vocab)) for t in seen)
        indptr.append(len(indices))
    cols = np.frombuffer(indices, dtype=np.int32) if indices else np.zeros(0, np.int32)
    df = np.bincount(cols, minlength=len(vocab))
    names = list(vocab)
    kept = sorted(names[i] for i in np.flatnonzero(df >= min_df))
    del names
    new_col = np.full(len(vocab), -1, dtype=np.int32)
    new_col[[vocab[t] for t in kept]] = np.arange(len(kept), dtype=np.int32)
    del vocab
    return kept, _presence(new_col[cols], np.asarray(indptr, dtype=np.int64), len(kept))


def _presence(mapped: np.ndarray, indptr: np.ndarray, n_terms: int) -> sparse.csr_matrix:
    """The (term x doc) presence matrix, doc rows sorted, from each doc's term columns
    (`mapped`, -1 for a dropped term; docs delimited by `indptr`). Transposed by scipy in
    C, so no per-posting row or coordinate arrays are made."""
    keep = mapped >= 0
    starts, lengths = indptr[:-1], np.diff(indptr)
    kept_per_doc = np.zeros(len(lengths), dtype=np.int64)
    if len(keep):   # summed per doc: a running count per posting would cost 8 bytes each
        kept_per_doc[lengths > 0] = np.add.reduceat(keep, starts[lengths > 0], dtype=np.int64)
    by_doc = sparse.csr_matrix(
        (np.ones(int(kept_per_doc.sum()), dtype=np.bool_), mapped[keep],
         np.concatenate([[0], np.cumsum(kept_per_doc)])), shape=(len(lengths), n_terms))
    presence = by_doc.T.tocsr()
    presence.sort_indices()
    return presence


def _category_parts(categories: Sequence[Sequence[str]], doc_month: np.ndarray,
                    by_month: sparse.csr_matrix, n_months: int) -> dict[str, Any]:
    total: dict[str, int] = {}
    for doc_cats in categories:
        for cat in dict.fromkeys(doc_cats):
            total[cat] = total.get(cat, 0) + 1
    cats = sorted(total, key=lambda c: (-total[c], c))
    cat_id = {c: i for i, c in enumerate(cats)}
    pairs = [(row, cat_id[c]) for row, cs in enumerate(categories) for c in dict.fromkeys(cs)]
    rows, cols = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True)) if pairs else \
        (np.zeros(0, np.int64), np.zeros(0, np.int64))
    doc_cats = sparse.csc_matrix((np.ones(len(rows), np.bool_), (rows, cols)),
                                 shape=(len(categories), len(cats)))
    primary = np.zeros((len(cats), n_months), dtype=np.int32)
    doc_primary = np.full(len(categories), -1, dtype=np.int32)
    for row, cs in enumerate(categories):
        if cs:
            doc_primary[row] = cat_id[cs[0]]
            primary[doc_primary[row], doc_month[row]] += 1
    any_cat = (doc_cats.T.astype(np.int32) @ by_month).toarray().astype(np.int32)
    return {"trend_cats": _strings(cats), "trend_cat_any": any_cat, "trend_cat_primary": primary,
            "trend_doc_cats": doc_cats, "trend_doc_primary": doc_primary}


def _packed(terms: Sequence[str], name: str = "term") -> dict[str, np.ndarray]:
    encoded = [t.encode("utf-8") for t in terms]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded])
    return {f"trend_{name}_bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(),
            f"trend_{name}_offsets": offsets}


def _strings(values: Sequence[str]) -> np.ndarray:
    return np.array(list(values), dtype=str) if len(values) else np.array([], dtype="<U1")
