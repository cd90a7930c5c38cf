"""PaperRecord validation: normalised fields, arXiv categories only, errors that say where."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.records import MAX_ABSTRACT, MAX_TITLE, RecordError, make_record

WHERE = "papers.jsonl line 7"


def fields(**overrides) -> dict:
    base = {
        "id": "2503.11731",
        "title": "Industrial-Grade Sensor Simulation via\n  Gaussian Splatting",
        "authors": ["Xianming Zeng", " Sicong  Du "],
        "abstract": "Sensor simulation is pivotal for scalable validation of autonomous\ndriving systems.",
        "categories": ["cs.CV", "cs.RO"],
        "published": datetime(2025, 3, 18),
    }
    base.update(overrides)
    return base


def test_fields_are_normalised() -> None:
    record = make_record(WHERE, **fields(comment="  10 pages,\n 6 figures ", doi=""))
    assert record.id == "2503.11731"
    assert record.version == 1
    assert record.title == "Industrial-Grade Sensor Simulation via Gaussian Splatting"
    assert record.authors == ("Xianming Zeng", "Sicong Du")
    assert record.abstract.startswith("Sensor simulation is pivotal for scalable validation of "
                                      "autonomous driving")
    assert record.categories == ("cs.CV", "cs.RO")
    assert record.primary_category == "cs.CV"
    assert record.comment == "10 pages, 6 figures"
    assert record.doi is None


def test_version_comes_from_the_id_unless_given() -> None:
    assert make_record(WHERE, **fields(id="2503.11731v3")).version == 3
    assert make_record(WHERE, **fields(id="arXiv:2503.11731v3")).id == "2503.11731"
    assert make_record(WHERE, **fields(id="2503.11731", version=4)).version == 4


def test_old_style_ids_are_kept_whole() -> None:
    record = make_record(WHERE, **fields(id="hep-th/9901001v2", categories=["hep-th"]))
    assert (record.id, record.version) == ("hep-th/9901001", 2)


def test_acm_and_msc_codes_are_dropped_but_arxiv_categories_kept_in_order() -> None:
    record = make_record(WHERE, **fields(
        categories=["I.2.7", "cs.CL", "68T50", "I.2.7; I.2.6", "cs.AI", "cs.CL", "math-ph",
                    "cond-mat.str-el"],
    ))
    assert record.categories == ("cs.CL", "cs.AI", "math-ph", "cond-mat.str-el")
    assert record.primary_category == "cs.CL"


def test_a_record_with_only_acm_codes_is_refused() -> None:
    with pytest.raises(RecordError, match="no arXiv category"):
        make_record(WHERE, **fields(categories=["I.2.7", "68T50"]))


def test_dates_are_stored_naive_to_the_second() -> None:
    record = make_record(WHERE, **fields(
        published=datetime(2007, 4, 2, 19, 18, 42, 123, tzinfo=UTC),
        updated=datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC),
    ))
    assert record.published == datetime(2007, 4, 2, 19, 18, 42)
    assert record.updated == datetime(2007, 7, 24, 20, 10, 27)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": "not-an-id"}, "not an arXiv id"),
        ({"title": "  \n "}, "missing title"),
        ({"title": None}, "missing title"),
        ({"title": "x" * (MAX_TITLE + 1)}, f"title longer than {MAX_TITLE}"),
        ({"abstract": "x" * (MAX_ABSTRACT + 1)}, f"abstract longer than {MAX_ABSTRACT}"),
        ({"authors": "Ada Lovelace, Alan Turing"}, "authors must be a list"),
        ({"authors": None}, "authors must be a list"),
        ({"categories": "cs.CV cs.RO"}, "categories must be a list"),
        ({"categories": []}, "no arXiv category"),
        ({"published": None}, "missing first-version date"),
    ],
)
def test_invalid_records_are_refused_saying_where_and_why(overrides: dict, message: str) -> None:
    with pytest.raises(RecordError, match=message) as info:
        make_record(WHERE, **fields(**overrides))
    assert info.value.where == WHERE
    assert str(info.value).startswith(f"{WHERE}: ")
