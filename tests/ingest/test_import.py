"""`import_files` and `papersift import` on the real metadata files: counts, idempotence,
version ordering, rejected records with their line numbers, and exit codes."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

import config
from ingest.pipeline import MAX_EXAMPLES, ImportSummary, InputFileError, import_files
from store.db import open_store
from store.papers import get_paper
from store.runs import latest_runs
from store.schema import paper_categories, papers
from tests.helpers.paths import SAMPLE_CORPUS, TEST_DATA

METADATA = TEST_DATA / "metadata"
MAIN = SAMPLE_CORPUS       # 4,001 records of the daily-listings crawl, byte-identical lines
KAGGLE = METADATA / "kaggle_arxiv_oai_snapshot_head200.jsonl"
TOPICS = METADATA / "topic_collections_shared.jsonl.gz"
ATOM = TEST_DATA / "atom"
ATOM_FILES = sorted(ATOM.glob("*.xml"))
SAMPLE = SAMPLE_CORPUS


def listing(paper_id: str = "2503.11742", **overrides) -> dict:
    record = {
        "id": paper_id,
        "title": "Safe Vision-Language Models via Unsafe Weights Manipulation",
        "authors": ["Moreno D'Incà", "Elia Peruzzo"],
        "categories": ["cs.CV", "cs.AI"],
        "summary": "Vision-language models often inherit the biases of their training data.",
        "comment": None,
        "listing_date": "2025-03-18",
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, lines: list[dict | str]) -> Path:
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines))
    return path


def count_papers(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(papers)).scalar_one()


def stored(engine, paper_id: str):
    with engine.connect() as conn:
        return get_paper(conn, paper_id)


@pytest.fixture(scope="module")
def main_store(tmp_path_factory):
    """The main corpus imported twice into one store, with both summaries and timings."""
    data_dir = tmp_path_factory.mktemp("main")
    engine = open_store(config.load_settings({}, data_dir=str(data_dir), scheduler_enabled=False))
    started = time.perf_counter()
    first = import_files(engine, [MAIN], progress=False)
    seconds = time.perf_counter() - started
    second = import_files(engine, [MAIN], progress=False)
    yield engine, first, second, seconds
    engine.dispose()


def test_main_corpus_imports_every_paper(main_store) -> None:
    engine, first, _, _ = main_store
    assert (first.new, first.updated, first.unchanged, first.rejected) == (4_001, 0, 0, 0)
    assert count_papers(engine) == 4_001


def test_main_corpus_import_takes_seconds_not_minutes(main_store) -> None:
    *_, seconds = main_store
    assert seconds < 60


def test_reimport_changes_nothing(main_store) -> None:
    engine, _, second, _ = main_store
    assert (second.new, second.updated, second.unchanged, second.rejected) == (0, 0, 4_001, 0)
    assert count_papers(engine) == 4_001


def test_main_corpus_months_are_counted_by_listing_date(main_store) -> None:
    engine, *_ = main_store
    with engine.connect() as conn:
        dates = conn.execute(select(papers.c.published)).scalars().all()
    months = Counter(d.strftime("%Y-%m") for d in dates)
    assert months["2025-03"] == 155 and months["2025-11"] == 158 and months["2026-04"] == 438


def test_main_corpus_stores_only_arxiv_categories(main_store) -> None:
    engine, *_ = main_store
    with engine.connect() as conn:
        categories = conn.execute(select(paper_categories.c.category).distinct()).scalars().all()
        primary = Counter(conn.execute(select(papers.c.primary_category)).scalars())
    assert categories and all(re.fullmatch(r"[a-z][a-z-]*(\.[A-Za-z-]+)?", c) for c in categories)
    assert primary["cs.CV"] == 1_912 and primary["cs.CL"] == 1_150
    assert stored(engine, "2503.13896").categories == ("cs.RO", "cs.CV")    # listed with the ACM code I.2.9


def test_main_corpus_paper_reads_back(main_store) -> None:
    engine, *_ = main_store
    paper = stored(engine, "2503.12067")
    assert paper.title == "A Comprehensive Survey on Knowledge Distillation"
    assert paper.authors[:2] == ("Amir M. Mansourian", "Rozhan Ahmadi")
    assert paper.published == datetime(2025, 3, 18)
    assert paper.version == 1 and paper.comment == "47 pages, 10 figures, 13 tables"


def test_each_import_is_recorded_as_a_run(main_store) -> None:
    engine, *_ = main_store
    with engine.connect() as conn:
        second, first = latest_runs(conn, "import", limit=2)
    assert first.status == second.status == "ok"
    assert (first.new, second.new, second.errors) == (4_001, 0, 0)
    assert first.params == {"files": [str(MAIN)]}
    assert "unchanged: 4,001" in second.message


def test_kaggle_snapshot_imports(engine) -> None:
    summary = import_files(engine, [KAGGLE], progress=False)
    assert (summary.new, summary.rejected) == (200, 0)
    paper = stored(engine, "0704.0001")
    assert paper.version == 2
    assert paper.published == datetime(2007, 4, 2, 19, 18, 42)
    assert paper.updated == datetime(2007, 7, 24, 20, 10, 27)
    assert paper.authors[0] == "C. Balázs"


def test_atom_files_import_and_the_error_feed_is_rejected(engine) -> None:
    summary = import_files(engine, ATOM_FILES, progress=False)
    assert (summary.new, summary.rejected) == (31, 1)          # 10 + 1 + 10 + 10 entries; 0 in empty
    assert summary.rejected_examples == [
        "api2026_id_list_abc_error_http400.xml: arXiv API error: incorrect id format for abc"]
    paper = stored(engine, "1111.2011")
    assert (paper.version, paper.published, paper.updated) == (
        2, datetime(2011, 11, 8, 18, 48, 36), datetime(2012, 4, 2, 12, 38, 54))
    assert import_files(engine, ATOM_FILES, progress=False).unchanged == 31


def test_gzipped_atom_is_detected_by_content(engine, tmp_path: Path) -> None:
    packed = tmp_path / "page.bin"
    packed.write_bytes(gzip.compress((ATOM / "api2026_search_all_testing_start0_max10.xml").read_bytes()))
    assert import_files(engine, [packed], progress=False).new == 10


def test_sample_corpus_imports(engine) -> None:
    summary = import_files(engine, [SAMPLE], progress=False)
    assert (summary.new, summary.rejected) == (4_001, 0)


def test_topic_collections_are_rejected_line_by_line(engine) -> None:
    summary = import_files(engine, [TOPICS], progress=False)
    assert (summary.new, summary.rejected, summary.accepted) == (0, 2_179, 0)
    assert summary.rejected_examples[0].startswith("topic_collections_shared.jsonl.gz line 1: ")
    assert count_papers(engine) == 0


def test_newer_version_updates_the_paper(engine, tmp_path: Path) -> None:
    v1 = write_jsonl(tmp_path / "v1.jsonl", [listing("2503.11742v1", title="First title")])
    v2 = write_jsonl(tmp_path / "v2.jsonl", [listing("2503.11742v2", title="Revised title")])
    assert import_files(engine, [v1], progress=False).new == 1
    summary = import_files(engine, [v2], progress=False)
    assert (summary.new, summary.updated) == (0, 1)
    paper = stored(engine, "2503.11742")
    assert (paper.version, paper.title) == (2, "Revised title")
    assert count_papers(engine) == 1


def test_older_version_never_overwrites_a_newer_one(engine, tmp_path: Path) -> None:
    v2 = write_jsonl(tmp_path / "v2.jsonl", [listing("2503.11742v2", title="Revised title")])
    v1 = write_jsonl(tmp_path / "v1.jsonl", [listing("2503.11742v1", title="First title")])
    import_files(engine, [v2], progress=False)
    summary = import_files(engine, [v1], progress=False)
    assert (summary.new, summary.updated, summary.older) == (0, 0, 1)
    assert "older versions ignored: 1" in summary.summary()
    paper = stored(engine, "2503.11742")
    assert (paper.version, paper.title) == (2, "Revised title")


def test_bad_lines_are_reported_and_the_rest_imports(engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", [
        listing("2503.00001"),
        "{broken json",
        "",
        listing("garbage-id"),
        listing("2503.00002", categories=["I.2.7", "68T50"]),
        listing("2503.00003", categories=["I.2.7", "cs.CL", "68T50", "cs.AI"]),
        listing("2503.00004", listing_date=None),
    ])
    summary = import_files(engine, [path], progress=False, batch_size=2)
    assert (summary.new, summary.rejected) == (2, 4)
    assert [e.split(":")[0] for e in summary.rejected_examples] == [
        "mixed.jsonl line 2", "mixed.jsonl line 4", "mixed.jsonl line 5", "mixed.jsonl line 7"]
    assert "not valid JSON" in summary.rejected_examples[0]
    assert "no arXiv category" in summary.rejected_examples[2]
    assert stored(engine, "2503.00003").categories == ("cs.CL", "cs.AI")
    assert count_papers(engine) == 2


def test_rejected_examples_are_capped_but_counted(engine, tmp_path: Path) -> None:
    lines = [listing(f"2503.{n:05d}") if n % 3 == 0 else "not json" for n in range(300)]
    summary = import_files(engine, [write_jsonl(tmp_path / "many.jsonl", lines)], progress=False)
    assert (summary.new, summary.rejected) == (100, 200)
    assert len(summary.rejected_examples) == MAX_EXAMPLES
    bad_line_numbers = [n + 1 for n in range(300) if n % 3]
    assert summary.rejected_examples[-1].startswith(f"many.jsonl line {bad_line_numbers[MAX_EXAMPLES - 1]}:")


def test_small_batches_store_everything(engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [listing(f"2503.{n:05d}") for n in range(1, 24)])
    summary = import_files(engine, [path], progress=False, batch_size=5)
    assert summary.new == 23 and count_papers(engine) == 23


def test_a_truncated_gzip_keeps_what_was_read_and_says_so(engine, tmp_path: Path) -> None:
    cut = tmp_path / "cut.jsonl.gz"
    data = MAIN.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    summary = import_files(engine, [cut], progress=False, batch_size=500)
    assert 1_650 < summary.new < 2_350          # about half of 4,001
    assert summary.rejected == 1
    assert summary.rejected_examples[0].startswith("cut.jsonl.gz: file is truncated or corrupt")
    assert count_papers(engine) == summary.new


def test_a_missing_file_stops_before_anything_is_written(engine, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file") as info:
        import_files(engine, [KAGGLE, tmp_path / "nope.jsonl"], progress=False)
    assert info.value.path == str(tmp_path / "nope.jsonl")
    assert count_papers(engine) == 0


def test_a_directory_is_not_an_input_file(engine, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not a file"):
        import_files(engine, [tmp_path], progress=False)


def test_summary_lines() -> None:
    summary = ImportSummary(new=3, updated=1, unchanged=2, rejected=2, files=["a.jsonl"],
                            rejected_examples=["a.jsonl line 2: not valid JSON", "a.jsonl line 5: x"])
    assert summary.lines()[1:5] == ["new: 3", "updated: 1", "unchanged: 2", "rejected: 2"]
    assert summary.lines(examples=1)[-2:] == ["rejected records (first 1 of 2):",
                                              "  a.jsonl line 2: not valid JSON"]
    assert str(summary) == summary.summary()


# the command line, through the app's CLI runner


def test_cli_import_prints_the_summary(runner, app) -> None:
    result = runner.invoke(args=["import", str(KAGGLE)])
    assert result.exit_code == 0, result.output
    assert "new: 200" in result.output and "rejected: 0" in result.output
    again = runner.invoke(args=["import", str(KAGGLE)])
    assert again.exit_code == 0
    assert "new: 0" in again.output and "unchanged: 200" in again.output


def test_cli_lists_twenty_rejected_records_and_exits_0_when_some_imported(runner, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [listing("2503.00001")] + ["{oops"] * 30)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0
    assert "new: 1" in result.output and "rejected: 30" in result.output
    shown = [line for line in result.output.splitlines() if line.startswith("  bad.jsonl line ")]
    assert len(shown) == 20
    assert shown[0].startswith("  bad.jsonl line 2: not valid JSON")


def test_cli_exits_1_when_every_record_is_rejected(runner) -> None:
    result = runner.invoke(args=["import", str(TOPICS)])
    assert result.exit_code == 1
    assert "rejected: 2,179" in result.output
    assert "topic_collections_shared.jsonl.gz line 1:" in result.output


def test_cli_exits_0_for_an_empty_file(runner, tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    result = runner.invoke(args=["import", str(tmp_path / "empty.jsonl")])
    assert result.exit_code == 0
    assert "new: 0" in result.output


def test_cli_exits_2_for_a_missing_file(runner, tmp_path: Path) -> None:
    result = runner.invoke(args=["import", str(KAGGLE), str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2
    assert "missing.jsonl: no such file" in result.output
    assert "Traceback" not in result.output


def test_cli_reads_several_files_of_different_formats(runner, tmp_path: Path) -> None:
    atom = tmp_path / "page.xml"
    shutil.copy(ATOM / "legacy2016_id_list_1111.2011v2.xml", atom)
    result = runner.invoke(args=["import", str(KAGGLE), str(atom)])
    assert result.exit_code == 0
    assert "read 2 files" in result.output and "new: 201" in result.output
