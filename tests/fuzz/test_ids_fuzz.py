"""arXiv ids under fuzzing: only ArxivIdError for junk; old-style ids, prefixes and URLs
round-trip (tests/ingest/test_ids.py covers new-style ids and fixed examples)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from domain.ids import ArxivId, ArxivIdError, abs_url, is_arxiv_id, parse_arxiv_id, pdf_url
from tests.helpers.fuzz import FUZZ

ARCHIVES = ["hep-th", "hep-ph", "cond-mat", "math", "cs", "astro-ph", "quant-ph", "nlin", "q-bio"]
old_ids = st.builds(lambda a, yy, mm, n: f"{a}/{yy:02d}{mm:02d}{n:03d}",
                    st.sampled_from(ARCHIVES), st.integers(0, 99), st.integers(1, 12), st.integers(0, 999))
new_ids = st.builds(lambda yymm, n: f"{yymm:04d}.{n:05d}" if yymm >= 1501 else f"{yymm:04d}.{n:04d}",
                    st.integers(704, 2912).filter(lambda v: 1 <= v % 100 <= 12), st.integers(0, 9999))
any_id = old_ids | new_ids
versions = st.none() | st.integers(1, 10_000)
# text that looks almost like an id: id characters, digits, separators and prefixes mixed up
near_ids = st.text(alphabet="0123456789.v/-abchmtpx:ARXIVsh \t\n٣０", max_size=40)


def only_id_errors(text: str) -> ArxivId | None:
    try:
        return parse_arxiv_id(text)
    except ArxivIdError:
        return None


@FUZZ
@given(st.text(max_size=200) | near_ids)
def test_any_text_parses_or_raises_arxiv_id_error(text: str) -> None:
    parsed = only_id_errors(text)
    assert is_arxiv_id(text) == (parsed is not None)
    if parsed is not None:
        assert parsed.id.isascii() and " " not in parsed.id
        assert parse_arxiv_id(str(parsed)) == parsed          # what parses, prints and re-parses


@FUZZ
@given(st.binary(max_size=50) | st.integers() | st.floats() | st.none() | st.lists(st.text(max_size=5)))
def test_non_text_raises_arxiv_id_error(value: object) -> None:
    assert only_id_errors(value) is None  # type: ignore[arg-type]


@FUZZ
@given(old_ids, versions)
def test_old_style_ids_round_trip(paper_id: str, version: int | None) -> None:
    text = paper_id + (f"v{version}" if version else "")
    parsed = parse_arxiv_id(text)
    assert parsed == ArxivId(paper_id, version)
    assert str(parsed) == text


@FUZZ
@given(any_id, versions, st.sampled_from(["arXiv:", "arxiv:", "ARXIV:", "https://arxiv.org/abs/",
                                           "http://export.arxiv.org/abs/", "https://www.arxiv.org/pdf/",
                                           "https://arxiv.org/html/"]),
       st.sampled_from(["", "/", ".pdf"]), st.sampled_from(["", " ", "\n", "\t "]))
def test_prefixes_and_urls_give_the_same_id(paper_id: str, version: int | None, prefix: str,
                                             suffix: str, space: str) -> None:
    bare = paper_id + (f"v{version}" if version else "")
    expected = parse_arxiv_id(bare)
    assert parse_arxiv_id(f"{space}{prefix}{bare}{suffix}{space}") == expected
    assert parse_arxiv_id(abs_url(expected.id, expected.version)) == expected
    assert parse_arxiv_id(pdf_url(expected.id, expected.version)) == expected


@FUZZ
@given(any_id, st.text(min_size=1, max_size=5).filter(str.strip))
def test_ids_with_junk_glued_on_are_refused(paper_id: str, junk: str) -> None:
    glued = paper_id + junk
    parsed = only_id_errors(glued)
    # glued text may still be an id ("hep-th/9901001" + "v2", + "/"), but the id never
    # silently drops what was glued on: only a ".pdf" or slashes may follow it
    if parsed is not None:
        text = glued.strip()
        assert text.startswith(str(parsed))
        assert re.fullmatch(r"(?:\.pdf)?/*", text[len(str(parsed)):]), (glued, parsed)
