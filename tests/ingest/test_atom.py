"""Atom responses of the arXiv API, legacy (2016) and current (2026), recorded for real."""

from __future__ import annotations

from datetime import datetime

import pytest

from ingest.atom import AtomError, AtomPage, parse_atom
from tests.helpers.paths import TEST_DATA

ATOM = TEST_DATA / "atom"
LEGACY_SEARCH = ATOM / "legacy2016_search_au_del_maestro_10of31.xml"
LEGACY_ID = ATOM / "legacy2016_id_list_1111.2011v2.xml"
PAGE1 = ATOM / "api2026_search_all_testing_start0_max10.xml"
PAGE2 = ATOM / "api2026_search_all_testing_start10_max10.xml"
EMPTY = ATOM / "api2026_id_list_0000.0000_empty.xml"
ERROR = ATOM / "api2026_id_list_abc_error_http400.xml"


def parse(path) -> AtomPage:
    return parse_atom(path.read_bytes(), path.name)


def test_legacy_search_page() -> None:
    page = parse(LEGACY_SEARCH)
    assert (page.total_results, page.start_index, page.items_per_page) == (31, 0, 10)
    assert len(page.records) == 10 and page.errors == []
    first = page.records[0]
    assert (first.id, first.version) == ("1201.4869", 1)
    assert first.title == "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"
    assert first.authors == ("Adrian Del Maestro",)
    assert first.categories == ("cond-mat.mes-hall", "cond-mat.other")
    assert first.published == datetime(2012, 1, 23, 21, 15, 2)
    assert first.journal_ref == "Int. J. Mod. Phys. B, 26, 1244002 (2012)"
    assert first.doi == "10.1142/S021797921244002X"
    assert all(any(a.endswith("Del Maestro") for a in r.authors) for r in page.records)
    assert page.records[1].id == "cond-mat/0412498"                 # old-style ids too
    assert page.records[1].authors == ("Adrian Del Maestro", "Subir Sachdev")


def test_legacy_id_list_entry_has_every_field() -> None:
    (record,) = parse(LEGACY_ID).records
    assert (record.id, record.version) == ("1111.2011", 2)
    assert record.title == ("Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large "
                            "Connectivity Limit")
    assert record.authors == ("James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic")
    assert record.abstract.startswith("Theoretical description of anisotropic systems, such as layered "
                                      "superconductors")
    assert record.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert record.published == datetime(2011, 11, 8, 18, 48, 36)    # first version
    assert record.updated == datetime(2012, 4, 2, 12, 38, 54)       # latest version
    assert record.comment == "8 pages, 3 figures. Published version"
    assert record.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert record.doi == "10.1103/PhysRevB.85.115117"


def test_2026_pages_parse_with_paging_counters() -> None:
    one, two = parse(PAGE1), parse(PAGE2)
    assert (one.total_results, one.start_index, one.items_per_page) == (214_881, 0, 10)
    assert (two.total_results, two.start_index, two.items_per_page) == (214_881, 10, 10)
    assert len(one.records) == len(two.records) == 10
    assert one.errors == two.errors == []
    assert not {r.id for r in one.records} & {r.id for r in two.records}


def test_2026_entry_fields() -> None:
    first = parse(PAGE1).records[0]
    assert (first.id, first.version) == ("2202.12139", 1)
    assert first.title == ("Testing Deep Learning Models: A First Comparative Study of Multiple "
                           "Testing Techniques")
    assert first.authors == ("Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker")
    assert first.categories == ("cs.SE", "cs.LG")
    assert first.published == first.updated == datetime(2022, 2, 24, 15, 5, 19)
    assert first.comment == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert first.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022 IEEE")
    assert first.doi == "10.1109/ICSTW55395.2022.00035"


def test_revised_paper_has_first_and_latest_version_dates() -> None:
    revised = parse(PAGE2).records[0]
    assert (revised.id, revised.version) == ("2403.16981", 2)
    assert revised.published == datetime(2024, 3, 25, 17, 42, 32)
    assert revised.updated == datetime(2025, 5, 24, 5, 50, 33)
    assert revised.categories[0] == "math.ST"


def test_primary_category_comes_first_wherever_it_is_listed() -> None:
    data = PAGE1.read_bytes().replace(b'<arxiv:primary_category term="cs.SE"/>',
                                      b'<arxiv:primary_category term="cs.LG"/>', 1)
    assert parse_atom(data, "moved.xml").records[0].categories == ("cs.LG", "cs.SE")


def test_the_empty_feed_is_an_empty_page() -> None:
    page = parse(EMPTY)
    assert (page.total_results, page.start_index, page.items_per_page) == (0, 0, 100)
    assert page.records == [] and page.errors == []


def test_the_error_feed_raises_with_the_api_message() -> None:
    with pytest.raises(AtomError, match="incorrect id format for abc") as info:
        parse(ERROR)
    assert info.value.message.startswith(ERROR.name)


def test_the_legacy_http_error_id_is_recognised_too() -> None:
    data = ERROR.read_bytes().replace(b"https://arxiv.org/api/errors", b"http://arxiv.org/api/errors")
    with pytest.raises(AtomError, match="arXiv API error: incorrect id format for abc"):
        parse_atom(data, "error.xml")


@pytest.mark.parametrize("path", [LEGACY_SEARCH, PAGE1])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_truncated_xml_raises(path, keep: float) -> None:
    data = path.read_bytes()
    with pytest.raises(AtomError, match="malformed or truncated XML"):
        parse_atom(data[: int(len(data) * keep)], path.name)


@pytest.mark.parametrize(
    "body", [b"", b"<html><body><h1>503 Service Unavailable</h1></body></html>", b'{"error": 1}',
             b"<?xml version='1.0'?><rss version='2.0'><channel><title>x</title></channel></rss>"],
)
def test_a_body_that_is_not_an_atom_feed_raises(body: bytes) -> None:
    with pytest.raises(AtomError):
        parse_atom(body, "body.xml")


def test_a_bad_entry_is_reported_by_number_and_the_rest_kept() -> None:
    data = PAGE1.read_bytes()
    data = data.replace(b"<id>http://arxiv.org/abs/2405.13786v1</id>", b"<id>http://example.org/x</id>", 1)
    data = data.replace(b"<published>2022-02-24T15:05:19Z</published>", b"", 1)
    page = parse_atom(data, "p.xml")
    assert len(page.records) == 8
    assert [e.where for e in page.errors] == ["p.xml entry 1", "p.xml entry 2"]
    assert "missing first-version date" in page.errors[0].message
    assert "not an arXiv id" in page.errors[1].message
