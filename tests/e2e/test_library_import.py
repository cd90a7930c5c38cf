"""A new user uploads a .bib, reads the import report, gets recommendations, follows an
author, marks the recommendations page as seen and watches those papers leave it.
"""

from __future__ import annotations

import gzip
import json
import secrets

import pytest

from tests.helpers.e2e import register, trained_recommendations
from tests.helpers.paths import SAMPLE_CORPUS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _bib(tmp_path) -> tuple:
    with gzip.open(SAMPLE_CORPUS, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line, _ in zip(fh, range(400), strict=False)]
    cv = [r for r in rows if r["categories"][0] == "cs.CV"][:6]
    entries = [f"@misc{{by_id{i},\n  title = {{{r['title']}}},\n  eprint = {{{r['id']}}},\n"
               f"  archivePrefix = {{arXiv}},\n  keywords = {{vision}}\n}}\n" for i, r in enumerate(cv[:5])]
    entries.append(f"@article{{by_title,\n  title = {{{cv[5]['title']}}}\n}}\n")
    entries.append("@book{nowhere,\n  title = {A Cookbook of Imaginary Teapots}\n}\n")
    path = tmp_path / "my library.bib"
    path.write_text("\n".join(entries), encoding="utf-8")
    return path, cv


def _ids(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("els => els.map(e => e.dataset.paperId)")


def test_import_a_bib_get_recommendations_follow_and_mark_seen(visit, tmp_path):
    page = visit.page
    register(visit, "bib" + secrets.token_hex(3))
    bib, papers = _bib(tmp_path)
    page.goto("/library")
    with page.expect_navigation():
        page.locator("a", has_text="Import a library").click()
    page.set_input_files("input[type=file][name=file]", str(bib))
    with page.expect_navigation():
        page.locator("button", has_text="Import file").click()
    visit.shot("import-report")
    report = page.locator(".import-report")
    assert report.locator("[data-count=matched]").inner_text() == "6"
    assert report.locator("[data-count=unmatched]").inner_text() == "1"
    assert report.locator("[data-count=fetched]").inner_text() == "0"
    assert "nowhere" in report.locator(".import-unmatched").inner_text()
    assert report.locator(".threshold").inner_text() == "90"

    before = trained_recommendations(visit, "/recommend", "recommendations")
    assert before and not set(before) & {p["id"] for p in papers}

    author = papers[0]["authors"][0]
    page.goto(f"/paper/{papers[0]['id']}")
    with page.expect_navigation():
        page.locator(".paper-authors a", has_text=author).first.click()
    visit.shot("author")
    with page.expect_navigation():
        page.locator("button.follow-button").click()
    assert page.locator("button.follow-button").get_attribute("aria-pressed") == "true"
    page.goto("/following")
    visit.shot("following")
    assert page.locator(".follows li > a").first.inner_text()
    # the library paper opened above is seen, so Following shows it only with "all"
    page.goto("/following?seen=show")
    assert papers[0]["id"] in _ids(page, ".paper-card")

    page.goto("/recommend")
    shown = _ids(page, ".reco-cards article.paper-card")
    with page.expect_navigation():
        page.locator("form.mark-page-seen button").click()
    visit.shot("after-mark-seen")
    after = _ids(page, ".reco-cards article.paper-card")
    assert after and not set(after) & set(shown)
