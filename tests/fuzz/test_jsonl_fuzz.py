"""JSON-lines records under fuzzing: any line gives a PaperRecord or a RecordError saying
where, a stream never stops on a bad line, and well-formed records round-trip."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from domain.records import MAX_ABSTRACT, MAX_TITLE, PaperRecord, RecordError
from ingest.jsonl import iter_jsonl, parse_line
from tests.helpers.fuzz import FUZZ

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
KEYS = ["id", "title", "authors", "categories", "summary", "abstract", "listing_date", "comment",
        "versions", "authors_parsed", "journal-ref", "doi", "arxiv_id", "update_date"]
plausible = {
    "id": st.sampled_from(["2101.01234", "2101.01234v2", "hep-th/9901001", "0704.0001", "abc", "",
                           "2113.00001"]),
    "categories": st.sampled_from([["cs.CV"], ["cs.CL", "I.2.7"], "cs.AI cs.LG", ["68T50"], []]),
    "listing_date": st.sampled_from(["2025-03-18", "2025-13-01", "18/03/2025", "0001-01-01", ""]),
    "versions": st.sampled_from([[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
                                 [{"version": "v0", "created": "x"}], [], [None]]),
    "authors": st.sampled_from([["Ada Lovelace"], "Ada Lovelace and Alan Turing", [], [None, 3]]),
}
objects = st.fixed_dictionaries(
    {}, optional={k: plausible.get(k, json_values) | json_values for k in KEYS})


def check_item(item: object, where: str) -> None:
    assert isinstance(item, PaperRecord | RecordError)
    if isinstance(item, RecordError):
        assert item.where == where and item.message
    else:
        assert item.title and item.categories and item.id


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_any_line_gives_a_record_or_a_record_error(line: bytes | str) -> None:
    try:
        item: object = parse_line(line, "f.jsonl line 1")
    except RecordError as exc:
        item = exc
    check_item(item, "f.jsonl line 1")


@FUZZ
@given(objects)
def test_any_json_object_gives_a_record_or_a_record_error(obj: dict) -> None:
    try:
        item: object = parse_line(json.dumps(obj), "f.jsonl line 7")
    except RecordError as exc:
        item = exc
    check_item(item, "f.jsonl line 7")


@FUZZ
@given(st.lists(objects.map(json.dumps).map(str.encode)
                | st.binary(max_size=80).filter(lambda b: b"\n" not in b)
                | st.just(b"") | st.just(b"   "), max_size=12))
def test_a_stream_yields_one_item_per_non_blank_line(lines: list[bytes]) -> None:
    items = list(iter_jsonl(io.BytesIO(b"\n".join(lines)), "f.jsonl"))
    expected = [n for n, line in enumerate(lines, start=1) if line.strip()]
    assert len(items) == len(expected)
    for item, number in zip(items, expected, strict=True):
        check_item(item, f"f.jsonl line {number}")


clean_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=80)


@FUZZ
@given(yymm=st.integers(1501, 2912).filter(lambda v: 1 <= v % 100 <= 12), number=st.integers(0, 99_999),
       title=clean_text.filter(lambda t: t.split() and len(t) <= MAX_TITLE),
       authors=st.lists(clean_text, max_size=5), abstract=st.text(max_size=300),
       categories=st.lists(st.sampled_from(["cs.CV", "cs.CL", "cs.AI", "stat.ML", "hep-th", "math.GT"]),
                           min_size=1, max_size=4),
       day=st.dates(date(1991, 1, 1), date(2030, 12, 31)))
def test_listing_records_round_trip(yymm: int, number: int, title: str, authors: list[str], abstract: str,
                                    categories: list[str], day: date) -> None:
    obj = {"id": f"{yymm}.{number:05d}", "title": title, "authors": authors, "summary": abstract,
           "categories": categories, "listing_date": day.isoformat()}
    record = parse_line(json.dumps(obj, ensure_ascii=False).encode(), "f.jsonl line 1")
    assert record.id == obj["id"] and record.version == 1
    assert record.title == " ".join(title.split())
    assert record.authors == tuple(" ".join(a.split()) for a in authors if a.split())
    assert record.abstract == " ".join(abstract.split())[:MAX_ABSTRACT]
    assert record.categories == tuple(dict.fromkeys(categories))
    assert record.published == datetime(day.year, day.month, day.day)
