"""THE tokeniser and document builder, shared by the index, search and trends.

A bigram is two words adjacent in the text. Stop words, numbers, one-letter words and
punctuation are dropped as terms but still separate words, so removing them never
joins words that stood apart: "batch of normalization" holds no "batch normalization",
and "learning. Batch" holds no "learning batch".
"""

from __future__ import annotations

import re
import unicodedata

from recommend.stop_words import ENGLISH_STOP_WORDS

STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    {"et", "al", "eg", "ie", "fig", "figure", "table", "arxiv", "http", "https", "www", "com"}
)
# a word, or one punctuation mark that ends a phrase
_TOKEN = re.compile(r"[^\W_]+|[.,;:!?()\[\]{}\"<>=+*/\\|$]")


def words(text: str) -> list[str | None]:
    """The text as lowercase words, with None where a word is not a term (a gap)."""
    tokens = _TOKEN.findall(text.lower())
    return [None if len(t) < 2 or t in STOP_WORDS or t.isdigit() else t for t in tokens]


def analyze(text: str) -> list[str]:
    """Unigram and bigram terms of a text, in order, unigrams first."""
    seq = words(text)
    unigrams = [t for t in seq if t]
    bigrams = [f"{a} {b}" for a, b in zip(seq, seq[1:], strict=False) if a and b]
    return unigrams + bigrams


def normalize(text: str) -> str:
    """Unicode compatibility form (ligatures, full-width letters) with whitespace folded."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def document(title: str, abstract: str, fulltext: str | None = None) -> str:
    """The text a paper contributes to features and trends: title, abstract, full text.

    Parts are joined with a full stop so the last word of one never forms a bigram with
    the first word of the next.
    """
    parts = [title, abstract] + ([fulltext] if fulltext else [])
    return " . ".join(parts)
