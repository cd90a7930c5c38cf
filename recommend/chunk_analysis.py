"""A chunk of documents analysed and counted at once, with numpy doing the per-token work.

`recommend.text.analyze` runs Python code per token: a stop-word test, a stem look-up, a
string per bigram. The search build meets hundreds of millions of tokens, and a chunk of
2,000 abstracts repeats each distinct word dozens of times. So here each text is only
split (the analyser's own regex) and its tokens numbered by one dict look-up each; the
analyser's decisions (gap or term, and which stem) are made once per distinct word and
kept in a bounded memo for the chunks that follow in the same process;
unigram and bigram occurrences, their (document, term) counts and the sorted vocabulary
are computed on integer arrays; and a term's string is made once per chunk.

The result is exactly what `analyze` gives document by document: the same terms, the same
counts, in the same order (tests/search/test_chunk_counts.py checks it against the
per-document reference).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, count

import numpy as np
from scipy import sparse

from recommend.search_query import author_tokens
from recommend.search_terms import TermTable
from recommend.term_union import byte_order, gather_ranges
from recommend.text import STOP_WORDS, stems_uncached, tokens_of

# what a field's postings are made of: its sorted distinct terms and a (documents x terms)
# CSR matrix of int32 counts
TermsAndMatrix = tuple[TermTable, sparse.csr_matrix]
# terms whose bytes are copied at a time into a chunk's term table
JOIN_BLOCK = 1 << 16
# a part of a name, as `author_tokens` splits names
_NAME_PART = re.compile(r"[^\W_]+")
# a word's entry in the term memo when it is no term (a term is never empty)
GAP = ""
# word -> term (or GAP), kept across the chunks one process counts: words recur from chunk
# to chunk (Zipf), so most of a chunk's distinct words are judged and stemmed only once
_term_memo: dict[str, str] = {}
TERM_MEMO_SIZE = 500_000


@dataclass
class ChunkTexts:
    """The tokens of a chunk's texts as numbers: word ids per token, term ids per word."""

    n_docs: int
    doc_of_token: np.ndarray    # int64, documents in order
    word_of_token: np.ndarray   # int64 ids into `words`
    words: list[str]            # distinct lowercase tokens, by id
    term_of_word: np.ndarray    # int64 ids into `terms`; -1 where a word is a gap
    terms: list[str]            # distinct stems, by id


def analyse_texts(texts: Sequence[str]) -> ChunkTexts:
    """Split and number every text's tokens; decide each distinct word's term once."""
    word_ids: defaultdict[str, int] = defaultdict(count().__next__)
    per_doc = np.zeros(len(texts), dtype=np.int64)
    numbered = []
    for i, text in enumerate(texts):
        # numbered a text at a time: only the distinct words stay as strings
        found = tokens_of(text)
        per_doc[i] = len(found)
        numbered.append(np.fromiter(map(word_ids.__getitem__, found), dtype=np.int64,
                                    count=len(found)))
    word_of_token = np.concatenate(numbered) if numbered else np.zeros(0, np.int64)
    del numbered
    words = list(word_ids)
    term_ids: defaultdict[str, int] = defaultdict(count().__next__)
    term_ids[GAP] = -1      # set, not counted: the terms are numbered from 0
    term_of_word = np.fromiter(map(term_ids.__getitem__, terms_of_words(words)),
                               dtype=np.int64, count=len(words))
    return ChunkTexts(len(texts), np.repeat(np.arange(len(texts), dtype=np.int64), per_doc),
                      word_of_token, words, term_of_word, list(term_ids)[1:])


def terms_of_words(distinct: list[str]) -> list[str]:
    """Each of these distinct lowercase words' term (`stem`), or GAP where `words` makes
    it a gap; from the memo where a chunk counted before in this process met the word.
    (Object arrays: the words not in the memo are picked and filled in by numpy's loops,
    not by Python's, for many are new in every chunk.)"""
    found = np.fromiter(map(_term_memo.get, distinct), dtype=object, count=len(distinct))
    is_new = np.equal(found, None)
    if not is_new.any():
        return found.tolist()
    new_words = np.fromiter(distinct, dtype=object, count=len(distinct))[is_new].tolist()
    new_terms = _judged(new_words)
    found[is_new] = new_terms
    if len(_term_memo) + len(new_words) <= TERM_MEMO_SIZE:
        _term_memo.update(zip(new_words, new_terms, strict=True))
        return found.tolist()
    # full: keep this chunk's words, the likeliest to come again (Zipf), drop the rest
    _term_memo.clear()
    terms = found.tolist()
    if len(distinct) <= TERM_MEMO_SIZE:
        _term_memo.update(zip(distinct, terms, strict=True))
    return terms


def _judged(words: list[str]) -> list[str]:
    """`terms_of_words` of words not in the memo: gaps found, the rest stemmed at once."""
    kept = ~_gaps(words)
    terms = np.full(len(words), GAP, dtype=object)
    terms[kept] = stems_uncached(np.fromiter(words, dtype=object, count=len(words))[kept]
                                 .tolist())
    return terms.tolist()


def _gaps(words: list[str]) -> np.ndarray:
    """Which words are no term (as `words` decides): shorter than 2, a stop word, digits."""
    n = len(words)
    return ((np.fromiter(map(len, words), dtype=np.int64, count=n) < 2)
            | np.fromiter(map(STOP_WORDS.__contains__, words), dtype=bool, count=n)
            | np.fromiter(map(str.isdigit, words), dtype=bool, count=n))


def term_postings(chunk: ChunkTexts, *, binary: bool = False
                  ) -> tuple[TermTable, sparse.csr_matrix, np.ndarray]:
    """Unigram and bigram postings of the analysed texts, and each text's number of
    terms (unigrams + bigrams, repeats included), as `analyze` gives them."""
    term_of_token = chunk.term_of_word[chunk.word_of_token]
    is_term = term_of_token >= 0
    uni_doc, uni_term = chunk.doc_of_token[is_term], term_of_token[is_term]
    # a bigram: two adjacent terms of one document (a gap or a new document separates)
    starts = np.flatnonzero(is_term[:-1] & is_term[1:]
                            & (chunk.doc_of_token[:-1] == chunk.doc_of_token[1:]))
    n_uni = len(chunk.terms)
    pair_keys, bi_of_occurrence = np.unique(
        term_of_token[starts] * n_uni + term_of_token[starts + 1], return_inverse=True)
    table, col_of_uni, col_of_bi = _unigrams_and_bigrams(chunk.terms, pair_keys)
    docs = np.concatenate([uni_doc, chunk.doc_of_token[starts]])
    cols = np.concatenate([col_of_uni[uni_term], col_of_bi[bi_of_occurrence.ravel()]])
    lengths = np.bincount(docs, minlength=chunk.n_docs).astype(np.int64, copy=False)
    return table, count_matrix(docs, cols, chunk.n_docs, len(table), binary=binary), lengths


def word_postings(chunk: ChunkTexts, form_rows: Sequence[int] = ()
                  ) -> tuple[TermTable, sparse.csr_matrix, dict[tuple[str, str], int]]:
    """Which words (as written, lowercase; gaps left out) each text holds; and of the
    texts `form_rows`, how many hold each word, keyed (its term, the word): what
    `trend_build.add_forms` counts for each of them, read off the same matrix."""
    is_word = (chunk.term_of_word >= 0)[chunk.word_of_token]
    ranks, table = _sorted_ranks(chunk.words, chunk.term_of_word >= 0)
    matrix = count_matrix(chunk.doc_of_token[is_word], ranks[chunk.word_of_token[is_word]],
                          chunk.n_docs, len(table), binary=True)
    if not len(form_rows) or not matrix.nnz:
        return table, matrix, {}
    per_rank = np.bincount(matrix[np.asarray(form_rows, dtype=np.int64)].indices,
                           minlength=len(table))
    found = np.flatnonzero(per_rank)
    in_table = np.flatnonzero(ranks >= 0)
    word_of_rank = np.empty(len(table), dtype=np.int64)
    word_of_rank[ranks[in_table]] = in_table
    word_ids = word_of_rank[found]
    terms, words = chunk.terms, chunk.words
    forms = {(terms[t], words[w]): n for w, t, n in zip(
        word_ids.tolist(), chunk.term_of_word[word_ids].tolist(), per_rank[found].tolist(),
        strict=True)}
    return table, matrix, forms


def list_postings(term_lists: Iterable[Iterable[str]], *, binary: bool = False
                  ) -> TermsAndMatrix:
    """Postings of documents given as their terms (repeats count unless `binary`)."""
    ids: defaultdict[str, int] = defaultdict(count().__next__)
    per_doc: list[int] = []
    term_ids: list[int] = []
    for terms in term_lists:
        before = len(term_ids)
        term_ids += map(ids.__getitem__, terms)
        per_doc.append(len(term_ids) - before)
    docs = np.repeat(np.arange(len(per_doc), dtype=np.int64), per_doc)
    ranks, table = _sorted_ranks(list(ids))
    cols = ranks[np.array(term_ids, dtype=np.int64)]
    return table, count_matrix(docs, cols, len(per_doc), len(table), binary=binary)


def name_tokens(names: Iterable[str]) -> list[str]:
    """`author_tokens` of every name, in order. An ASCII name (most are) needs no accent
    folding: it is only lowercased and split, as `author_tokens` does after folding."""
    out: list[str] = []
    for name in names:
        if name.isascii():
            out += [t for t in _NAME_PART.findall(name.lower()) if len(t) > 1]
        else:
            out += author_tokens(name)
    return out


def count_matrix(docs: np.ndarray, cols: np.ndarray, n_docs: int, n_cols: int, *,
                 binary: bool) -> sparse.csr_matrix:
    """(documents x columns) CSR of int32 counts of the (doc, col) pairs (1 if `binary`),
    columns sorted in each row."""
    keys, counts = np.unique(docs * max(n_cols, 1) + cols, return_counts=True)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // max(n_cols, 1), minlength=n_docs), out=indptr[1:])
    values = np.ones(len(keys), np.int32) if binary else counts.astype(np.int32)
    matrix = sparse.csr_matrix((values, (keys % max(n_cols, 1)).astype(np.int32), indptr),
                               shape=(n_docs, n_cols))
    matrix.sort_indices()
    return matrix


def _sorted_ranks(strings: list[str], kept: np.ndarray | None = None
                  ) -> tuple[np.ndarray, TermTable]:
    """The distinct strings where `kept` (a mask; None: all of them) sorted as a table,
    and each string's position in it (-1 where not kept). Sorted by their UTF-8 bytes
    with numpy (`term_union.byte_order`: the same order as Python's, code points), not by
    Python comparing strings a pair at a time."""
    if kept is None:
        chosen = np.arange(len(strings), dtype=np.int64)
        table = TermTable.unhashed(strings)
    else:
        chosen = np.flatnonzero(kept)
        table = TermTable.unhashed(list(compress(strings, kept.tolist())))
    offsets = np.asarray(table.offsets)
    order, _ = byte_order(np.asarray(table.blob), offsets, in_runs=False)
    ranks = np.full(len(strings), -1, dtype=np.int64)
    ranks[chosen[order]] = np.arange(len(order), dtype=np.int64)
    starts, stops = offsets[order], offsets[order + 1]
    sorted_offsets = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(stops - starts, out=sorted_offsets[1:])
    return ranks, TermTable(gather_ranges(np.asarray(table.blob), starts, stops),
                            sorted_offsets)


def _unigrams_and_bigrams(terms: list[str], pair_keys: np.ndarray
                          ) -> tuple[TermTable, np.ndarray, np.ndarray]:
    """The sorted table of every unigram and of the bigrams `pair_keys` (first * n + second
    term id), and the column of each unigram id and of each pair.

    "a b" sorts as the pair (a, b) and "a" as (a, before any b), because a space sorts
    before every character a term can hold (letters and digits), so the unigrams are
    sorted as strings once and the bigrams as pairs of unigram ranks."""
    n = len(terms)
    ranks, unigrams = _sorted_ranks(terms)
    # a UTF-8 byte up to 0x20 is a character up to " ": never in the analyser's terms
    if n and unigrams.blob.min() <= 0x20:
        return _sorted_as_strings(terms, pair_keys)
    first, second = ranks[pair_keys // max(n, 1)], ranks[pair_keys % max(n, 1)]
    # each term as rank of its first word * (n + 1) + (rank of its second word + 1)
    sort_keys = np.concatenate([ranks * (n + 1), first * (n + 1) + second + 1])
    order = np.argsort(sort_keys)   # the keys are distinct: any sort gives this order
    cols = np.empty(len(order), dtype=np.int64)
    cols[order] = np.arange(len(order), dtype=np.int64)
    head, tail = np.divmod(sort_keys[order], n + 1)
    return _joined_terms(unigrams, head, tail - 1), cols[:n], cols[n:]


def _joined_terms(unigrams: TermTable, first: np.ndarray, second: np.ndarray) -> TermTable:
    """The table of terms `first` alone (where second is -1) or "first second" (ranks into
    `unigrams`), their bytes copied from the unigrams' blob in blocks of JOIN_BLOCK terms."""
    lengths = np.diff(unigrams.offsets)
    is_pair = second >= 0
    second = np.where(is_pair, second, 0)
    # each term as three byte ranges of `source`: first word, a space (or nothing), second
    source = np.concatenate([unigrams.blob, np.frombuffer(b" ", np.uint8)])
    starts = np.stack([unigrams.offsets[first], np.full(len(first), len(unigrams.blob)),
                       unigrams.offsets[second]], axis=1).ravel()
    sizes = np.stack([lengths[first], is_pair, np.where(is_pair, lengths[second], 0)],
                     axis=1).ravel()
    ends = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ends[1:])
    blob = np.empty(int(ends[-1]), dtype=np.uint8)
    for lo in range(0, len(sizes), 3 * JOIN_BLOCK):
        hi = min(lo + 3 * JOIN_BLOCK, len(sizes))
        at = np.arange(ends[lo], ends[hi], dtype=np.int64)
        blob[ends[lo]:ends[hi]] = source[at + np.repeat(starts[lo:hi] - ends[lo:hi], sizes[lo:hi])]
    return TermTable(blob, ends[::3].copy())


def _sorted_as_strings(terms: list[str], pair_keys: np.ndarray
                       ) -> tuple[TermTable, np.ndarray, np.ndarray]:
    """`_unigrams_and_bigrams` by sorting the strings themselves."""
    n = len(terms)
    strings = terms + [f"{terms[k // n]} {terms[k % n]}" for k in pair_keys.tolist()]
    ranks, table = _sorted_ranks(strings)
    return table, ranks[:n], ranks[n:]
