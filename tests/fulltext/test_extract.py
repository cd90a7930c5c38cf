"""Extraction of the real PDFs in isolated processes: text, statuses, timeouts, crashes."""

from __future__ import annotations

import shutil

import pytest

from ingest.extract import ExtractJob, glued_ratio, normalise
from ingest.extract_pool import ExtractionPool, extract_isolated
from tests.helpers.fulltext import BROKEN, BROKEN_OUTCOMES, GOOD, PAGES, PDFS, flat


@pytest.mark.parametrize("engine", [pytest.param("pdfminer", marks=pytest.mark.slow), "pdfium"])
def test_good_and_broken_pdfs_in_one_batch(engine, not_a_pdf, truncated_pdf, tmp_path):
    jobs = [ExtractJob(name, str(PDFS / name), str(tmp_path / f"{name}.png")) for name in GOOD]
    jobs += [ExtractJob(name, str(BROKEN / name)) for name in BROKEN_OUTCOMES]
    jobs += [ExtractJob("html", str(not_a_pdf)), ExtractJob("truncated", str(truncated_pdf))]
    pool = ExtractionPool(engine=engine, timeout=60, memory_mb=1024, workers=2)

    results = {job.key: result for job, result in pool.run(jobs)}

    assert set(results) == {job.key for job in jobs}
    for name, phrase in GOOD.items():
        r = results[name]
        assert r.status == "ok", (name, r.reason)
        assert phrase in flat(r.text), name
        assert r.pages == PAGES[name]
        fallback = engine == "pdfminer" and name.startswith("eacl")
        assert r.engine == ("pdfminer+pdfium" if fallback else engine)
        assert r.chars == len(r.text) > 1000
        assert r.thumbnail and (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name, (status, expected) in BROKEN_OUTCOMES.items():
        r = results[name]
        assert r.status == status, (name, r.reason)
        assert expected in (flat(r.text) if status == "ok" else r.reason)
    assert results["html"].status == "failed"
    assert "not a PDF" in results["html"].reason
    assert results["truncated"].status == "failed"
    assert results["truncated"].reason


def test_a_hanging_extraction_is_killed_at_the_timeout_and_the_batch_goes_on(tmp_path):
    hanging = tmp_path / "will-hang.pdf"
    shutil.copy(PDFS / "arxiv_2304.02623v1.pdf", hanging)
    jobs = [ExtractJob("hang", str(hanging)),
            ExtractJob("good", str(PDFS / "arxiv_1111.2011v2.pdf"))]
    pool = ExtractionPool(engine="tests.fulltext.engines:hang_on_marker", timeout=1.0, workers=2)

    results = {job.key: result for job, result in pool.run(jobs)}

    assert results["hang"].status == "failed"
    assert results["hang"].reason == "timed out after 1 s (process killed)"
    assert results["hang"].seconds >= 1.0
    assert results["good"].status == "ok"
    assert GOOD["arxiv_1111.2011v2.pdf"] in flat(results["good"].text)


@pytest.mark.parametrize("jobs_per_process", [1, 25])
def test_one_worker_survives_crashes_and_hangs_in_between_good_documents(tmp_path, jobs_per_process):
    good = PDFS / "arxiv_2305.03393v1_page9_only.pdf"
    for name in ("will-crash.pdf", "will-hang.pdf"):
        shutil.copy(good, tmp_path / name)
    order = [good, tmp_path / "will-crash.pdf", good, tmp_path / "will-hang.pdf", good]
    pool = ExtractionPool(engine="tests.fulltext.engines:hang_on_marker", timeout=1.0, workers=1,
                          jobs_per_process=jobs_per_process)

    results = {job.key: r for job, r in pool.run(ExtractJob(i, str(p)) for i, p in enumerate(order))}

    assert [results[i].status for i in range(5)] == ["ok", "failed", "ok", "failed", "ok"]
    assert results[1].reason == "extraction process crashed (SIGSEGV)"
    assert results[3].reason.startswith("timed out")
    assert len({results[i].text for i in (0, 2, 4)}) == 1


def test_a_real_slow_pdf_is_stopped_by_a_small_timeout():
    # pdfminer needs far more than 50 ms for 37 pages of layout analysis
    result = extract_isolated(PDFS / "arxiv_2206.10883v3.pdf", engine="pdfminer", timeout=0.05)
    assert result.status == "failed"
    assert result.reason.startswith("timed out after 0.05 s")


def test_a_crashing_engine_becomes_a_failure_with_the_signal_named():
    result = extract_isolated(PDFS / "arxiv_1111.2011v2.pdf", engine="tests.fulltext.engines:crash")
    assert result.status == "failed"
    assert result.reason == "extraction process crashed (SIGSEGV)"


def test_the_memory_cap_stops_a_greedy_extraction():
    result = extract_isolated(PDFS / "arxiv_1111.2011v2.pdf", engine="tests.fulltext.engines:hog",
                              memory_mb=512)
    assert result.status == "failed"
    assert "memory" in result.reason


def test_a_missing_file_is_a_failure_not_an_exception(tmp_path):
    result = extract_isolated(tmp_path / "gone.pdf", engine="pdfium")
    assert result.status == "failed"
    assert result.reason == "PDF file missing"


def test_an_unknown_engine_is_refused_up_front():
    with pytest.raises(ValueError, match="unknown PDF engine 'ocr'"):
        ExtractionPool(engine="ocr")


def test_more_documents_than_workers_all_come_back():
    names = ["arxiv_2305.03393v1_page9_only.pdf", "naacl2006_shinyama_preemptive_ie.pdf"] * 3
    jobs = [ExtractJob(i, str(PDFS / name)) for i, name in enumerate(names)]
    results = dict(ExtractionPool(engine="pdfium", workers=2).run(jobs))
    assert sorted(job.key for job in results) == list(range(len(names)))
    assert all(r.ok for r in results.values())


def test_glued_words_are_measured():
    assert glued_ratio("normal words in a sentence") == 0
    assert glued_ratio("AbstractWhilehumanevaluationremainsbest practice") == 0.5


class TestNormalise:
    def test_ligatures_become_letters(self):
        assert normalise("e\ufb03cient \ufb01ne-tuning of \ufb02ows") == "efficient fine-tuning of flows"

    def test_words_broken_at_line_ends_are_joined(self):
        assert normalise("a hyphen-\nated word and an exam-\n  ple") == "a hyphenated word and an example"

    def test_hyphens_before_capitals_and_digits_stay(self):
        assert normalise("GPT-\n4 and Transformer-\nXL") == "GPT-\n4 and Transformer-\nXL"

    def test_whitespace_is_tidied(self):
        raw = "Title  \t here\r\n\r\n\r\n\r\nBody\u00a0text\x00 with soft\u00adhyphen\fNext page"
        assert normalise(raw) == "Title here\n\nBody text with softhyphen\n\nNext page"
