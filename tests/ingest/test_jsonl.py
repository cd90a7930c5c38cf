"""JSON-lines parsing on the real metadata files, and bad lines reported by number."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from domain.records import PaperRecord, RecordError
from ingest.jsonl import MAX_LINE_BYTES, decode_latex, read_jsonl
from tests.helpers.paths import SAMPLE_CORPUS, TEST_DATA

METADATA = TEST_DATA / "metadata"
MAIN = SAMPLE_CORPUS       # 4,001 records of the daily-listings crawl, byte-identical lines
KAGGLE = METADATA / "kaggle_arxiv_oai_snapshot_head200.jsonl"
TOPICS = METADATA / "topic_collections_shared.jsonl.gz"

LISTING = {
    "id": "2503.11742",
    "title": "Safe Vision-Language Models via Unsafe Weights Manipulation",
    "authors": ["Moreno D'Incà", "Elia Peruzzo"],
    "categories": ["cs.CV", "cs.AI"],
    "summary": "Vision-language models (VLMs) often inherit the biases\nand unsafe associations.",
    "comment": "Work in progress",
    "listing_date": "2025-03-18",
}


def split(items) -> tuple[list[PaperRecord], list[RecordError]]:
    items = list(items)
    return ([i for i in items if isinstance(i, PaperRecord)],
            [i for i in items if isinstance(i, RecordError)])


def write_lines(path: Path, lines: list[str | bytes | dict]) -> Path:
    encoded = [json.dumps(x).encode() if isinstance(x, dict) else
               x.encode() if isinstance(x, str) else x for x in lines]
    path.write_bytes(b"\n".join(encoded) + b"\n")
    return path


@pytest.fixture(scope="module")
def main_corpus() -> list[PaperRecord]:
    records, errors = split(read_jsonl(MAIN))
    assert errors == []
    return records


def test_main_corpus_parses_whole(main_corpus: list[PaperRecord]) -> None:
    assert len(main_corpus) == 4_001
    assert len({r.id for r in main_corpus}) == 4_001
    assert all(r.version == 1 and r.updated is None for r in main_corpus)


def test_main_corpus_listing_date_is_the_first_version_date(main_corpus: list[PaperRecord]) -> None:
    months = Counter(r.published.strftime("%Y-%m") for r in main_corpus)
    assert months == {
        "2025-03": 155, "2025-04": 280, "2025-05": 391, "2025-06": 341, "2025-07": 334,
        "2025-08": 300, "2025-09": 260, "2025-10": 304, "2025-11": 158, "2025-12": 189,
        "2026-01": 222, "2026-02": 253, "2026-03": 376, "2026-04": 438,
    }
    assert min(r.published for r in main_corpus) == datetime(2025, 3, 18)
    assert max(r.published for r in main_corpus) == datetime(2026, 4, 30)
    assert len({r.published.date() for r in main_corpus}) == 270


def test_main_corpus_categories_match_the_readme(main_corpus: list[PaperRecord]) -> None:
    primary = Counter(r.primary_category for r in main_corpus)
    assert primary["cs.CV"] == 1_912 and primary["cs.CL"] == 1_150 and primary["cs.AI"] == 544
    anywhere = Counter(c for r in main_corpus for c in r.categories)
    assert anywhere["cs.CV"] == 2_091 and anywhere["cs.AI"] == 1_554 and anywhere["stat.ML"] == 25


def test_main_corpus_acm_codes_are_dropped(main_corpus: list[PaperRecord]) -> None:
    by_id = {r.id: r for r in main_corpus}
    assert by_id["2504.07100"].categories == ("cs.CL",)        # listed as ["cs.CL", "I.2.7"]
    assert not any(c[0].isupper() or c[0].isdigit() for r in main_corpus for c in r.categories)


def test_main_corpus_record_fields(main_corpus: list[PaperRecord]) -> None:
    first = main_corpus[0]
    assert first.id == "2503.11780"
    assert first.title.startswith("Rethinking Multi-modal Object Detection from the Perspective")
    assert first.authors[:2] == ("Tianyi Zhao", "Boyang Liu") and len(first.authors) == 6
    assert first.abstract.startswith("Multi-Modal Object Detection (MMOD), due to its stronger "
                                     "adaptability")
    assert first.comment == "10 pages, 6 figures"
    assert main_corpus[1].comment is None


def test_kaggle_snapshot_parses_whole() -> None:
    records, errors = split(read_jsonl(KAGGLE))
    assert errors == []
    assert [r.id for r in records] == [f"0704.{n:04d}" for n in range(1, 201)]
    assert sum(any(c.startswith("cs.") for c in r.categories) for r in records) == 8


def test_kaggle_snapshot_versions_dates_and_names() -> None:
    first = next(read_jsonl(KAGGLE))
    assert isinstance(first, PaperRecord)
    assert first.version == 2
    assert first.published == datetime(2007, 4, 2, 19, 18, 42)     # versions[0].created
    assert first.updated == datetime(2007, 7, 24, 20, 10, 27)      # versions[-1].created
    assert first.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan")
    assert first.title == ("Calculation of prompt diphoton production cross sections at Tevatron "
                           "and LHC energies")
    assert first.categories == ("hep-ph",)
    assert first.comment == "37 pages, 15 figures; published version"
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.doi == "10.1103/PhysRevD.76.013009"


def test_kaggle_space_separated_categories_keep_primary_first() -> None:
    records = {r.id: r for r in read_jsonl(KAGGLE) if isinstance(r, PaperRecord)}
    raw = {o["id"]: o for o in map(json.loads, KAGGLE.read_text().splitlines())}
    for paper_id, record in records.items():
        assert record.categories == tuple(raw[paper_id]["categories"].split())


def test_kaggle_authors_string_is_used_without_authors_parsed(tmp_path: Path) -> None:
    line = json.loads(KAGGLE.read_text().splitlines()[0])
    del line["authors_parsed"]
    (record,) = read_jsonl(write_lines(tmp_path / "k.jsonl", [line]))
    assert record.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan")


def test_topic_collection_rows_are_rejected_with_the_reason() -> None:
    records, errors = split(read_jsonl(TOPICS))
    assert records == []
    assert len(errors) == 2_179
    assert errors[0].where == "topic_collections_shared.jsonl.gz line 1"
    assert "no arXiv categories and no first-version date" in errors[0].message


def test_gzip_is_detected_by_content_not_name(tmp_path: Path) -> None:
    gz_named_plain = write_lines(tmp_path / "plain.jsonl.gz", [LISTING])
    plain_named_gz = tmp_path / "packed.jsonl"
    plain_named_gz.write_bytes(gzip.compress(gz_named_plain.read_bytes()))
    for path in (gz_named_plain, plain_named_gz):
        (record,) = read_jsonl(path)
        assert record.id == "2503.11742"


def test_listing_shape_version_from_id(tmp_path: Path) -> None:
    (record,) = read_jsonl(write_lines(tmp_path / "v.jsonl", [{**LISTING, "id": "2503.11742v3"}]))
    assert (record.id, record.version) == ("2503.11742", 3)
    assert record.published == datetime(2025, 3, 18)
    assert record.abstract == ("Vision-language models (VLMs) often inherit the biases and unsafe "
                               "associations.")


BAD_LINES: list[tuple[str | bytes | dict, str]] = [
    ("{not json", "not valid JSON"),
    ('{"id": "2503.11742", "title": "cut off', "not valid JSON"),
    ("[1, 2, 3]", "expected a JSON object, got list"),
    ('"a string"', "expected a JSON object, got str"),
    ("42", "expected a JSON object, got int"),
    ("null", "expected a JSON object, got NoneType"),
    (b'{"id": "2503.11742", "title": "\xff\xfe"}', "not valid UTF-8"),
    ({k: v for k, v in LISTING.items() if k != "id"}, "missing id"),
    ({**LISTING, "id": 2503.11742}, "id must be a string"),
    ({**LISTING, "id": "garbage"}, "not an arXiv id"),
    ({**LISTING, "title": ""}, "missing title"),
    ({**LISTING, "title": ["a", "list"]}, "title must be a string"),
    ({**LISTING, "authors": "Moreno D'Incà, Elia Peruzzo"}, "authors must be a list"),
    ({**LISTING, "categories": "cs.CV cs.AI"}, "categories must be a list"),
    ({**LISTING, "categories": ["I.2.7", "68T50"]}, "no arXiv category"),
    ({k: v for k, v in LISTING.items() if k != "listing_date"}, "missing listing_date"),
    ({**LISTING, "listing_date": "18/03/2025"}, "listing_date is not YYYY-MM-DD"),
    ({**LISTING, "summary": "x" * 30_000}, "abstract longer than"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_a_bad_line_is_reported_with_its_number_and_the_rest_parses(
        tmp_path: Path, line: str | bytes | dict, message: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", [LISTING, "", line, {**LISTING, "id": "2503.11743"}])
    records, errors = split(read_jsonl(path))
    assert [r.id for r in records] == ["2503.11742", "2503.11743"]
    assert len(errors) == 1
    assert errors[0].where == "bad.jsonl line 3"           # the blank line 2 still counts
    assert message in errors[0].message


KAGGLE_BAD: list[tuple[dict, str]] = [
    ({"versions": []}, "versions must be a non-empty list"),
    ({"versions": "v1"}, "versions must be a non-empty list"),
    ({"versions": [{"version": "v1", "created": "yesterday"}]}, "bad version date"),
    ({"versions": [{"version": "v1"}]}, "version without a created date"),
    ({"versions": [{"version": "one", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]}, "bad version label"),
    ({"versions": ["v1"]}, "each version must be an object"),
    ({"categories": ["hep-ph"]}, "categories must be a space-separated string"),
    ({"authors_parsed": None, "authors": None}, "authors must be a string"),
    ({"abstract": 12}, "abstract must be a string"),
]


@pytest.mark.parametrize(("change", "message"), KAGGLE_BAD)
def test_bad_kaggle_records_are_reported(tmp_path: Path, change: dict, message: str) -> None:
    good = json.loads(KAGGLE.read_text().splitlines()[0])
    path = write_lines(tmp_path / "k.jsonl", [{**good, **change}, good])
    records, errors = split(read_jsonl(path))
    assert [r.id for r in records] == ["0704.0001"]
    assert [e.where for e in errors] == ["k.jsonl line 1"]
    assert message in errors[0].message


def test_an_over_long_line_is_skipped_unparsed(tmp_path: Path) -> None:
    huge = json.dumps({**LISTING, "summary": "x" * (MAX_LINE_BYTES + 10)})
    path = write_lines(tmp_path / "huge.jsonl", [huge, {**LISTING, "id": "2503.11743"}])
    records, errors = split(read_jsonl(path))
    assert [r.id for r in records] == ["2503.11743"]
    assert [e.where for e in errors] == ["huge.jsonl line 1"]
    assert "longer than" in errors[0].message


def test_empty_and_blank_files_yield_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n  \n\r\n")
    assert list(read_jsonl(tmp_path / "empty.jsonl")) == []
    assert list(read_jsonl(tmp_path / "blank.jsonl")) == []


def test_last_line_without_newline_and_crlf_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    second = json.dumps({**LISTING, "id": "2503.11743"}).encode()
    path.write_bytes(json.dumps(LISTING).encode() + b"\r\n" + second)
    assert [r.id for r in read_jsonl(path)] == ["2503.11742", "2503.11743"]


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        ("C. Bal\\'azs", "C. Balázs"),
        ("Jos\\'{e} Garc\\'ia", "José García"),
        ("S\\'{\\i}lvia", "Sílvia"),
        ('M\\"uller', "Müller"),
        ("\\v{S}koda", "Škoda"),
        ("Erd\\H{o}s", "Erdős"),
        ("Fran\\c{c}ois", "François"),
        ("Gr\\o nbech", "Grønbech"),
        ("{\\L}ukasz", "Łukasz"),
        ("Plain Name", "Plain Name"),
        ("\\alpha-team", "\\alpha-team"),       # other TeX is left alone
    ],
)
def test_tex_accents_in_names_are_decoded(tex: str, text: str) -> None:
    assert decode_latex(tex) == text
