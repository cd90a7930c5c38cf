"""What a search result shows: a snippet with the query's words marked, and did-you-mean.

Snippets are returned as segments (text, is_hit) rather than HTML, so templates escape
every piece and mark the hits themselves; nothing here builds markup.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from recommend.search import SearchIndex
from recommend.text import stem

SNIPPET_CHARS = 300
# did-you-mean: index words compared a batch at a time (`close_words`)
CLOSE_WORDS_BATCH = 1 << 16
_WORD = re.compile(r"[^\W_]+")


class Segment(NamedTuple):
    text: str
    hit: bool


def snippet(text: str, terms: Iterable[str], width: int = SNIPPET_CHARS) -> list[Segment]:
    """About `width` characters of `text` around the densest run of query words.

    terms: lowercase words or their stems (as the analyser yields them); a word of the text
    is a hit when it or its stem is one of them, so every form of a query word is marked.
    Without hits, the start of the text.
    """
    text = " ".join(text.split())
    wanted = {t.lower() for t in terms}
    wanted |= {stem(t) for t in wanted}
    spans = [(m.start(), m.end()) for m in _candidates(frozenset(wanted)).finditer(text)
             if (w := m.group(0).lower()) in wanted or stem(w) in wanted]
    start = _window_start(text, spans, width)
    end = min(len(text), start + width)
    if end < len(text):  # end on a word boundary
        space = text.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    segments = _segments(text, [s for s in spans if s[0] >= start and s[1] <= end], start, end)
    if start > 0:
        segments.insert(0, Segment("… ", False))
    if end < len(text):
        segments.append(Segment(" …", False))
    return segments


@functools.lru_cache(maxsize=256)
def _candidates(wanted: frozenset[str]) -> re.Pattern[str]:
    """Whole words that begin like a wanted term, found at C speed; only these are stemmed.
    A word's stem is a prefix of it but for its last letter ("policy" -> "polici")."""
    if not wanted:
        return re.compile(r"(?!)")
    prefixes = sorted({w[:-1] if len(w) > 2 else w for w in wanted}, key=len, reverse=True)
    alternatives = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


def _window_start(text: str, spans: Sequence[tuple[int, int]], width: int) -> int:
    """Start of the window holding the most distinct hit words, a little before the first.

    A sliding window over the hits (linear in their number, so a long full text with
    thousands of hits stays cheap).
    """
    if not spans or len(text) <= width:
        return 0
    reach = width * 3 // 4
    words = [text[a:b].lower() for a, b in spans]
    inside: Counter[str] = Counter()
    best, best_count, j = spans[0][0], 0, 0
    for i, (s, _) in enumerate(spans):
        while j < len(spans) and spans[j][1] <= s + reach:
            inside[words[j]] += 1
            j += 1
        if len(inside) > best_count:
            best, best_count = s, len(inside)
        if j > i:
            inside[words[i]] -= 1
            if not inside[words[i]]:
                del inside[words[i]]
    start = max(0, best - width // 5)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < best else start
    return min(start, max(0, len(text) - width))


def _segments(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> list[Segment]:
    out: list[Segment] = []
    pos = start
    for a, b in spans:
        if a > pos:
            out.append(Segment(text[pos:a], False))
        out.append(Segment(text[a:b], True))
        pos = b
    if pos < end:
        out.append(Segment(text[pos:end], False))
    return out


def suggest(si: SearchIndex, words: Sequence[str], *, max_suggestions: int = 3
            ) -> list[dict[str, str]]:
    """Did-you-mean: replacements {misspelt word: close, frequent word} for the query words
    as typed (`ParsedQuery.forms`).

    A word is checked when its term is rare in the index (in fewer than 2 papers); candidates are
    unigrams of the index with the same first letter and a similar length, compared with
    difflib. Returns up to `max_suggestions` alternatives, best first; empty when nothing
    looks misspelt or nothing close exists.
    """
    options: dict[str, list[str]] = {}
    for word in dict.fromkeys(words):
        j = si.terms.find(stem(word))
        if j is not None and si.df(j) >= 2:
            continue
        close = close_words(si, word)
        if close:
            options[word] = close
    out: list[dict[str, str]] = []
    for k in range(max_suggestions):
        choice = {w: c[min(k, len(c) - 1)] for w, c in options.items()}
        if choice and choice not in out:
            out.append(choice)
    return out


def apply_suggestion(query: str, replacements: dict[str, str]) -> str:
    """The query with each misspelt word replaced (whole words, any case)."""
    for word, better in replacements.items():
        pattern = rf"(?<![^\W_]){re.escape(word)}(?![^\W_])"
        query = re.sub(pattern, lambda _m, b=better: b, query, flags=re.IGNORECASE)
    return query


def close_words(si: SearchIndex, word: str, limit: int = 3) -> list[str]:
    """Index words (in two or more papers) spelt like `word`: same first letter, similar
    length; closest first, then most common."""
    if len(word) < 3 or " " in word:
        return []
    lo, hi = si.words.prefix_range(word[0])
    df = {}
    # a letter's words (hundreds of thousands at 1M papers) read a batch at a time, each
    # batch's bytes in one read rather than two reads a word
    for start in range(lo, hi, CLOSE_WORDS_BATCH):
        stop = min(start + CLOSE_WORDS_BATCH, hi)
        counts = np.asarray(si.words_df[start:stop])
        for j, raw in enumerate(si.words.raw_range(start, stop)):
            term = raw.decode()
            if abs(len(term) - len(word)) <= 2 and term != word:
                df[term] = int(counts[j])
    close = difflib.get_close_matches(word, list(df), n=8, cutoff=0.75)
    close.sort(key=lambda t: (-round(difflib.SequenceMatcher(None, word, t).ratio(), 1), -df[t]))
    return close[:limit]
