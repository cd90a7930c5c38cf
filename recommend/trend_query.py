"""Keyword queries for the trend table: comma-separated terms and YYYY-MM months, parsed
with the index's tokeniser so a query term means what a table term means."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from recommend.text import words

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
    def term(self) -> str:
        return " ".join(w or "" for w in self.words)


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
