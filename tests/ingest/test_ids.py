"""arXiv ids: both styles, versions, URLs and prefixes; garbage is refused with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ids import ArxivId, ArxivIdError, abs_url, is_arxiv_id, parse_arxiv_id, pdf_url


@pytest.mark.parametrize(
    ("text", "paper_id", "version"),
    [
        ("2101.01234", "2101.01234", None),
        ("2101.01234v3", "2101.01234", 3),
        ("0704.0001", "0704.0001", None),          # 4-digit numbers before 2015
        ("0704.0001v12", "0704.0001", 12),
        ("1501.00001", "1501.00001", None),        # 5-digit numbers from 2015
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("cond-mat/0102536v1", "cond-mat/0102536", 1),
        ("math.GT/0309136", "math/0309136", None),  # the subject class is not part of the id
        (" 2101.01234\n", "2101.01234", None),
    ],
)
def test_both_id_styles_with_and_without_versions(text: str, paper_id: str, version: int | None) -> None:
    assert parse_arxiv_id(text) == ArxivId(paper_id, version)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arXiv:2101.01234", ArxivId("2101.01234")),
        ("ARXIV:2101.01234v1", ArxivId("2101.01234", 1)),
        ("arXiv:hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
        ("https://arxiv.org/abs/2101.01234v2", ArxivId("2101.01234", 2)),
        ("http://arxiv.org/abs/2202.12139v1", ArxivId("2202.12139", 1)),   # Atom entry ids
        ("http://export.arxiv.org/abs/hep-th/9901001", ArxivId("hep-th/9901001")),
        ("https://www.arxiv.org/html/2101.01234v2", ArxivId("2101.01234", 2)),
        ("https://arxiv.org/pdf/2101.01234v2.pdf", ArxivId("2101.01234", 2)),
        ("https://arxiv.org/pdf/2101.01234v2/", ArxivId("2101.01234", 2)),
        ("https://arxiv.org/abs/math.GT/0309136", ArxivId("math/0309136")),
    ],
)
def test_urls_and_arxiv_prefix(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not an arXiv id"),
        ("abc", "not an arXiv id"),
        ("2113.00001", "month 13"),
        ("0000.0000", "month 00"),
        ("hep-th/9913001", "month 13"),
        ("1412.12345", "numbers have 4 digits"),
        ("2101.01234v0", "version must be 1 or more"),
        ("2101.01234v", "not an arXiv id"),
        ("2101.01234v2v3", "not an arXiv id"),
        ("2101.01234 v2", "not an arXiv id"),
        ("2101.1234567", "not an arXiv id"),
        ("cs/99010011", "not an arXiv id"),
        ("HEP-TH/9901001", "not an arXiv id"),
        ("http://example.com/abs/2101.01234", "not an arXiv id"),
        ("doi:10.1103/PhysRevD.76.013009", "not an arXiv id"),
    ],
)
def test_garbage_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ArxivIdError, match=reason):
        parse_arxiv_id(text)
    assert not is_arxiv_id(text)


@pytest.mark.parametrize("value", [None, 2101.01234, 704, ["2101.01234"], b"2101.01234"])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(ArxivIdError):
        parse_arxiv_id(value)  # type: ignore[arg-type]


def test_four_digit_numbers_after_2014_are_refused() -> None:
    with pytest.raises(ArxivIdError):
        parse_arxiv_id("1501.1234")


def test_non_ascii_digits_are_refused() -> None:
    with pytest.raises(ArxivIdError):
        parse_arxiv_id("２１０１.０１２３４")


@given(
    yymm=st.integers(1501, 2912).filter(lambda n: 1 <= n % 100 <= 12),
    number=st.integers(0, 99_999),
    version=st.none() | st.integers(1, 999),
)
def test_new_style_ids_round_trip(yymm: int, number: int, version: int | None) -> None:
    text = f"{yymm}.{number:05d}" + (f"v{version}" if version else "")
    parsed = parse_arxiv_id(text)
    assert str(parsed) == text
    assert parsed.version == version
    assert parse_arxiv_id(abs_url(parsed.id, parsed.version)) == parsed


def test_links_point_at_the_version_when_known() -> None:
    assert abs_url("2101.01234") == "https://arxiv.org/abs/2101.01234"
    assert abs_url("hep-th/9901001", 2) == "https://arxiv.org/abs/hep-th/9901001v2"
    assert pdf_url("2101.01234", 3) == "https://arxiv.org/pdf/2101.01234v3"
