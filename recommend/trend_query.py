"""Keyword queries for the trend table: comma-separated terms and YYYY-MM months, parsed
with the index's tokeniser so a query term means what a table term means."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from recommend.text import stems, words

MAX_TERMS_PER_QUERY = 10
MAX_PHRASE_WORDS = 12


class TrendQueryError(ValueError):
    """A keyword query that cannot be answered; the message says why, for people."""


@dataclass(frozen=True)
class TermQuery:
    """One keyword as asked: `label` is the lowercased input, `words` its tokens with None
    where a stop word, number or punctuation mark stood (a gap)."""

    label: str
    words: tuple[str | None, ...]

    @property
    def is_phrase(self) -> bool:
        """Longer than a bigram (or with a gap inside): answered by scanning texts."""
        return len(self.words) > 2 or None in self.words

    @property
    def stems(self) -> tuple[str | None, ...]:
        """The words as the table's terms: stems, so a series counts every form."""
        return tuple(stems(self.words))

    @property
    def term(self) -> str:
        return " ".join(w or "" for w in self.stems)


def parse_terms(raw: str | Iterable[str]) -> list[TermQuery]:
    """Comma-separated keywords (or several strings) as queries, duplicates dropped."""
    pieces = [raw] if isinstance(raw, str) else list(raw)
    labels = [" ".join(p.lower().split()) for piece in pieces for p in piece.split(",")]
    queries: dict[str, TermQuery] = {}
    for label in filter(None, labels):
        seq = words(label)
        while seq and seq[0] is None:
            seq.pop(0)
        while seq and seq[-1] is None:
            seq.pop()
        if not seq:
            raise TrendQueryError(f"{label!r} has no searchable words (only stop words or numbers)")
        if len(seq) > MAX_PHRASE_WORDS:
            raise TrendQueryError(f"{label[:60]!r} is longer than {MAX_PHRASE_WORDS} words")
        queries.setdefault(label, TermQuery(label, tuple(seq)))
    if not queries:
        raise TrendQueryError("give at least one keyword")
    if len(queries) > MAX_TERMS_PER_QUERY:
        raise TrendQueryError(f"at most {MAX_TERMS_PER_QUERY} keywords at a time")
    return list(queries.values())


def parse_month(value: str | None) -> np.datetime64 | None:
    """'YYYY-MM' as a month, None for empty; TrendQueryError for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) != 7 or value[4] != "-":
            raise ValueError
        return np.datetime64(value, "M")
    except ValueError:
        raise TrendQueryError(f"months are written YYYY-MM, not {value[:20]!r}") from None


def phrase_parts(seq: Sequence[str | None]) -> list[str]:
    """The bigrams of a phrase, and its unigrams that are in no bigram (next to gaps)."""
    bigrams = [f"{a} {b}" for a, b in zip(seq, seq[1:], strict=False) if a and b]
    covered = {w for b in bigrams for w in b.split(" ")}
    return bigrams + [w for w in seq if w and w not in covered]


# characters the tokeniser skips between tokens, and one token (recommend.text._TOKEN)
_PUNCT = r".,;:!?()\[\]{}\"<>=+*/\\|$"
_SKIP = rf"(?:[^\w{_PUNCT}]|_)*"
_ANY_TOKEN = rf"(?:[^\W_]+|[{_PUNCT}])"


def holds_phrase(text: str, query: TermQuery) -> bool:
    """Whether the text's words hold the phrase, gaps where the phrase has gaps.

    A regular expression over the raw text (each word a whole token, only skipped
    characters between tokens, any one token for a gap) decides at C speed; it matches
    exactly where the tokeniser's words do, except that a gap must be a non-term (stop word,
    number, punctuation), so texts matching a phrase with gaps are tokenised and checked.
    """
    return text_holds(text, query.words)


def text_holds(text: str, seq: Sequence[str | None]) -> bool:
    """Whether a text holds a word sequence (None = any gap token), as `holds_phrase` says;
    search uses it to check quoted phrases the index cannot decide."""
    seq = tuple(seq)
    if _phrase_regex(seq).search(text.lower()) is None:
        return False
    return None not in seq or _joined(seq) in _joined(words(text))


@functools.lru_cache(maxsize=64)
def _phrase_regex(seq: tuple[str | None, ...]) -> re.Pattern[str]:
    # the word first, its start checked after it, so the engine can scan for the literal
    parts = [rf"{re.escape(w)}(?<![^\W_]{re.escape(w)})(?![^\W_])" if w else _ANY_TOKEN
             for w in seq]
    return re.compile(_SKIP.join(parts))


def _joined(seq: Sequence[str | None]) -> str:
    """Words with a marker for gaps, padded so `in` matches whole words only."""
    return " " + " ".join(w or "\x00" for w in seq) + " "
