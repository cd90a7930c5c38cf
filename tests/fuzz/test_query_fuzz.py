"""The search query parser under fuzzing: anything a person (or a bot) types either parses
or raises QueryError with a message; parsed terms are the tokeniser's terms."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from domain.ids import parse_arxiv_id
from recommend.search_query import (
    MAX_QUERY_CHARS,
    MAX_WORDS,
    MAX_YEAR,
    MIN_YEAR,
    QUERY_STOP_WORDS,
    ParsedQuery,
    QueryError,
    parse_query,
)
from recommend.text import STOP_WORDS, analyze, stem, words
from tests.helpers.fuzz import FUZZ

field_names = st.sampled_from(["author", "au", "cat", "category", "id", "year", "AUTHOR", "Year",
                               "title", "http", "x"])
values = st.sampled_from(["hinton", '"g hinton"', "cs.CV", "cs.", "2101.01234", "2101.01234v2",
                          "hep-th/9901001", "2020", "2020-2023", "-2020", "2020-", "20x", "1800",
                          "2023-2020", '"', '""', "", "é", "\x00", "*", "..", "cs.CV,cs.CL"]) \
    | st.text(max_size=12)
parts = st.one_of(
    st.builds(lambda f, v: f"{f}:{v}", field_names, values),
    st.builds(lambda t: f'"{t}"', st.text(max_size=30)),
    st.sampled_from(["graph", "neural", "networks", "the", "of", '"', "arxiv.org/abs/2101.01234",
                     "arXiv:2101.01234", "AND", "-", "(", ")", ":", "::", "\u3000", "ﬁne"]),
    st.text(max_size=15),
)
queries = st.lists(parts, max_size=12).map(" ".join) | st.text(max_size=MAX_QUERY_CHARS + 50)


def parse_or_none(raw: str) -> ParsedQuery | None:
    try:
        return parse_query(raw)
    except QueryError as exc:
        assert str(exc).strip(), "a QueryError must say why"
        return None


@FUZZ
@given(queries)
@example("INTERESTE")           # its stem, "interest", is a stop word; the word as written is not
def test_any_query_parses_or_says_why(raw: str) -> None:
    q = parse_or_none(raw)
    if q is None:
        return
    assert q.raw == raw
    assert len(q.words) <= MAX_WORDS and len(set(q.words)) == len(q.words)
    for term in q.terms + q.words:
        assert term == term.lower() and term.strip() == term and term
    for word in q.words:
        assert not word.isdigit() and len(word) >= 2
    for form in q.forms:     # stop words go by the word as written: "interests" stems to one
        assert form not in STOP_WORDS
    assert set(q.terms) <= set(analyze(q.text))   # question words dropped, nothing added
    if not q.like:
        assert {stem(w) for w in words(q.text) if w and w not in QUERY_STOP_WORDS} <= set(q.words)
    for required in q.phrases:
        assert required and all(t == t.lower() for t in required)
    if q.years is not None:
        assert q.years[0] >= MIN_YEAR and q.years[1] <= MAX_YEAR
    for tokens in q.authors:
        assert tokens and all(t == t.lower() and len(t) > 1 for t in tokens)
    for cat in q.categories:
        assert cat == cat.lower() and cat


@FUZZ
# hypothesis draws at most a few thousand characters: longer texts are drawn repeated
@given(st.text(min_size=1, max_size=50).map(lambda s: s * (MAX_QUERY_CHARS // len(s) + 1)))
def test_over_long_queries_are_refused(raw: str) -> None:
    with pytest.raises(QueryError, match="too long"):
        parse_query(raw)


@FUZZ
@given(st.binary(max_size=20) | st.integers() | st.none() | st.lists(st.text(max_size=3), max_size=3))
def test_non_text_is_refused(value: object) -> None:
    with pytest.raises(QueryError):
        parse_query(value)  # type: ignore[arg-type]


@FUZZ
@given(st.integers(704, 2912).filter(lambda v: 1 <= v % 100 <= 12), st.integers(0, 9999),
       st.none() | st.integers(1, 99), st.sampled_from(["", "arXiv:", "https://arxiv.org/abs/", " "]))
def test_a_bare_id_jumps_to_that_paper(yymm: int, number: int, version: int | None, prefix: str) -> None:
    paper_id = f"{yymm:04d}.{number:05d}" if yymm >= 1501 else f"{yymm:04d}.{number:04d}"
    q = parse_query(prefix + paper_id + (f"v{version}" if version else ""))
    assert q.jump == paper_id and q.ids == (paper_id,)
    assert parse_arxiv_id(q.jump).id == paper_id


@FUZZ
@example("٢١٠١.٠١٢٣٤")
@example("id:٢١٠١.٠١٢٣٤")
@given(queries)
def test_query_ids_are_ascii_arxiv_ids(raw: str) -> None:
    q = parse_or_none(raw)
    if q is not None:
        for paper_id in q.ids:
            assert paper_id.isascii(), f"{raw!r} looks for the paper id {paper_id!r}"
