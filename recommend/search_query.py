"""The search query language, parsed into a `ParsedQuery` (pure).

    reinforcement learning            words, any form ("learns" finds "learning"); papers
                                      with every word rank first, then those with enough
    "graph neural network"            a quoted phrase must appear in the text as written
    author:hinton  author:"g hinton"  author name tokens (au: works too)
    cat:cs.CV                         an arXiv category (any position)
    id:2101.01234                     one paper (several id: terms mean any of them)
    year:2020  year:2020-2023         first-version year, or an inclusive range
    2101.01234 / arxiv.org/abs/...    a bare id or URL jumps straight to the paper

Words go through THE analyser (`recommend.text`), so the query's unigrams and bigrams
are the index's terms (stems). Stop words, and the words of a question that name no
topic ("how does ... use ..."), are dropped. A query of more than LIKE_MIN_WORDS
words (a pasted abstract) asks for papers like that text instead; its quotes are not
phrases, but fields beside it still filter. An unbalanced quote runs to the end of the
query. Things that cannot mean anything sensible (a malformed year, category or id, an
over-long query) raise `QueryError` with a message fit to show the user.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from recommend.text import STOP_WORDS, analyze, normalize, stem, stems, words

MAX_QUERY_CHARS = 10_000    # room for a pasted abstract (query by example)
MAX_WORDS = 32              # distinct words of a keyword query
LIKE_MIN_WORDS = 30         # more words than this (a pasted text): query by example
# words of a question that say nothing about its topic ("papers using ...", "how does ...");
# the stop word list already drops most question words
QUERY_STOP_WORDS = frozenset({"does", "did", "doing", "use", "uses", "used", "using", "way", "ways",
                              "paper", "papers", "article", "articles"})
MIN_YEAR, MAX_YEAR = 1990, 2100

FIELDS = {"author": "author", "au": "author", "cat": "cat", "category": "cat", "id": "id",
          "year": "year"}
# a field name, then a quoted value (possibly unterminated) or a bare one; or a phrase; or a word
_PART = re.compile(r'(?P<field>[A-Za-z]+):(?:"(?P<fq>[^"]*)"?|(?P<fv>[^\s"]+))'
                   r'|"(?P<phrase>[^"]*)"?'
                   r'|(?P<word>[^\s"]+)')
_NEW_ID = r"[0-9]{4}\.[0-9]{4,5}"  # ASCII digits only, as domain.ids: \d takes any script
_OLD_ID = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?/[0-9]{7}"
_ID = re.compile(rf"(?:arxiv:|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)?"
                 rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v[0-9]+)?(?:\.pdf)?/?", re.IGNORECASE | re.ASCII)
_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[a-z][a-z-]*)?")
_YEARS = re.compile(r"(?P<lo>[0-9]{4})?(?P<dash>-)?(?P<hi>[0-9]{4})?")


class QueryError(ValueError):
    """A query that cannot be run; the message says why, in words for the user."""


@dataclass(frozen=True)
class ParsedQuery:
    """What a query asks for.

    text: the free text (words and phrases) as typed, used for the exact-title boost.
    words: unigram terms (stems) the ranking counts, in order, without repeats; papers
    holding all of them rank first.
    forms: the word as typed (lowercase) for each of `words`, for author names and labels.
    terms: unigram and bigram terms that score (the free text through `analyze`).
    phrases: for each quoted phrase, the terms the text must contain (its bigrams, or its
    words when stop words leave no bigram).
    exact: the word sequences as written (None for a stop word or other gap) of every
    quoted phrase, to check in the text: the terms are stems and cannot tell the forms apart.
    stopped: the question words dropped because they name no topic ("how", "does").
    like: a long plain-words query: find papers like this text.
    authors: for each author: filter, the name tokens a paper's authors must contain.
    jump: a paper id when the whole query is an arXiv id or URL.
    """

    raw: str = ""
    text: str = ""
    words: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    exact: tuple[tuple[str | None, ...], ...] = ()
    authors: tuple[tuple[str, ...], ...] = ()
    categories: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    jump: str | None = None
    ignored: tuple[str, ...] = field(default=(), compare=False)
    stopped: tuple[str, ...] = field(default=(), compare=False)
    like: str = ""

    @property
    def is_empty(self) -> bool:
        """Nothing to search for: no words, phrases or filters."""
        return not (self.words or self.phrases or self.authors or self.categories or self.ids
                    or self.years or self.jump or self.like)

    @property
    def highlight(self) -> tuple[str, ...]:
        """Terms to mark in snippets (every form of a word is marked)."""
        return self.words


def author_tokens(name: str) -> list[str]:
    """Lowercase, accent-free name parts of two or more letters ("José M. Álvarez" ->
    ["jose", "alvarez"]); the same function indexes authors and reads author queries."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return [t for t in re.findall(r"[^\W_]+", plain) if len(t) > 1]


def arxiv_id(text: str) -> str | None:
    """The version-less id when `text` is just an arXiv id, `arXiv:` id or arxiv.org URL."""
    m = _ID.fullmatch(text.strip())
    return m["id"].lower() if m else None  # old-style archives are lowercase


def parse_query(raw: str) -> ParsedQuery:
    """Parse a query string; raises QueryError for what cannot be searched."""
    if not isinstance(raw, str):
        raise QueryError("the query must be text")
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long ({len(raw):,} characters; at most "
                         f"{MAX_QUERY_CHARS:,})")
    q = normalize(raw.replace("\x00", " "))
    if not q:
        return ParsedQuery(raw=raw)
    jump = arxiv_id(q)
    if jump:
        return ParsedQuery(raw=raw, ids=(jump,), jump=jump)
    return _parse_parts(raw, q)


def _parse_parts(raw: str, q: str) -> ParsedQuery:
    free: list[str] = []
    phrases: list[tuple[str, ...]] = []
    exact: list[tuple[str | None, ...]] = []
    phrase_words: list[str] = []
    filters: dict[str, list] = {"author": [], "cat": [], "id": [], "year": []}
    ignored: list[str] = []
    for m in _PART.finditer(q):
        name = FIELDS.get((m["field"] or "").lower())
        if name:
            value = m["fq"] if m["fq"] is not None else m["fv"]
            _add_filter(filters, name, value.strip(), ignored)
        elif m["field"]:  # not a field we know: search its words
            free.append(m.group(0).replace(":", " "))
        elif m["phrase"] is not None:
            required, pw = _phrase(m["phrase"])
            if required:
                phrases.append(required)
                phrase_words.extend(pw)
                free.append(m["phrase"])
                exact.append(_trimmed(words(m["phrase"])))
        else:
            free.append(m["word"])
    text = " ".join(free)
    seq = [w for w in words(text) if w]
    if len(re.findall(r"[^\W_]+", text)) > LIKE_MIN_WORDS:
        # a pasted text: its quotes are not phrases, but fields typed beside it still filter
        return ParsedQuery(raw=raw, text=text, like=text, authors=tuple(filters["author"]),
                           categories=tuple(dict.fromkeys(filters["cat"])),
                           ids=tuple(dict.fromkeys(filters["id"])), years=_years(filters["year"]),
                           ignored=tuple(ignored))
    stopped = tuple(dict.fromkeys(w for w in seq if w in QUERY_STOP_WORDS))
    forms = {}
    for w in [w for w in seq if w not in QUERY_STOP_WORDS] + phrase_words:
        forms.setdefault(stem(w), w)
    if len(forms) > MAX_WORDS:
        raise QueryError(f"the query has too many words ({len(forms)}; at most {MAX_WORDS})")
    return ParsedQuery(
        raw=raw, text=text, words=tuple(forms), forms=tuple(forms.values()),
        terms=tuple(dict.fromkeys(analyze(_without_question_words(text)))),
        phrases=tuple(dict.fromkeys(phrases)), exact=tuple(dict.fromkeys(exact)),
        authors=tuple(filters["author"]), categories=tuple(dict.fromkeys(filters["cat"])),
        ids=tuple(dict.fromkeys(filters["id"])), years=_years(filters["year"]),
        ignored=tuple(ignored), stopped=stopped + _stop_words(text),
    )


def _without_question_words(text: str) -> str:
    """The text with QUERY_STOP_WORDS replaced by a gap token (so no bigram spans them)."""
    return " ".join("." if w.lower() in QUERY_STOP_WORDS else w for w in text.split())


def _stop_words(text: str) -> tuple[str, ...]:
    """Stop words of the text (as typed), shown as "ignored" beside a question."""
    return tuple(dict.fromkeys(t for t in re.findall(r"[^\W_]+", text.lower()) if t in STOP_WORDS))


def _trimmed(seq: list[str | None]) -> tuple[str | None, ...]:
    """A phrase's words without the gaps at its ends, which constrain nothing."""
    kept = [i for i, w in enumerate(seq) if w]
    return tuple(seq[kept[0]:kept[-1] + 1]) if kept else ()


def _phrase(text: str) -> tuple[tuple[str, ...], list[str]]:
    """Terms a phrase requires (bigrams, else words) and its words as written."""
    surface = words(text)
    seq = stems(surface)
    bigrams = tuple(f"{a} {b}" for a, b in zip(seq, seq[1:], strict=False) if a and b)
    return (bigrams or tuple(dict.fromkeys(w for w in seq if w))), [w for w in surface if w]


def _add_filter(filters: dict[str, list], name: str, value: str, ignored: list[str]) -> None:
    if not value:
        ignored.append(f"{name}:")
        return
    if name == "author":
        tokens = tuple(author_tokens(value))
        if not tokens:
            raise QueryError(f"author:{value[:40]} has no name to look for")
        filters["author"].append(tokens)
    elif name == "cat":
        cat = value.lower()
        if not _CATEGORY.fullmatch(cat):
            raise QueryError(f"cat:{value[:40]} is not an arXiv category (e.g. cat:cs.CV)")
        filters["cat"].append(cat)
    elif name == "id":
        pid = arxiv_id(value)
        if not pid:
            raise QueryError(f"id:{value[:40]} is not an arXiv id (e.g. id:2101.01234)")
        filters["id"].append(pid)
    else:
        filters["year"].append(_year_range(value))


def _year_range(value: str) -> tuple[int, int]:
    m = _YEARS.fullmatch(value)
    if not m or not (m["lo"] or m["hi"]) or (not m["dash"] and m["hi"]):
        raise QueryError(f"year:{value[:40]} is not a year or range (e.g. year:2021 or "
                         "year:2020-2023)")
    lo = int(m["lo"]) if m["lo"] else MIN_YEAR
    hi = int(m["hi"]) if m["hi"] else (MAX_YEAR if m["dash"] else lo)
    if not (MIN_YEAR <= lo <= MAX_YEAR and MIN_YEAR <= hi <= MAX_YEAR):
        raise QueryError(f"year:{value[:40]} is outside {MIN_YEAR}-{MAX_YEAR}")
    if lo > hi:
        raise QueryError(f"year:{value[:40]} starts after it ends")
    return lo, hi


def _years(ranges: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Several year: filters all apply: their intersection (may be empty)."""
    if not ranges:
        return None
    return max(r[0] for r in ranges), min(r[1] for r in ranges)
