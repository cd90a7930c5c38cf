"""A visitor registers, saves two papers with the card button, tags one, and watches the
recommendations change: from "nothing to learn from" to a ranking of the whole library,
and to a different ranking when asked for the tag alone.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import pytest

from tests.helpers.e2e import register, trained_recommendations

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def save_first_result(visit, query: str) -> tuple[str, str]:
    """Search, press the first card's Save button; the page must update in place."""
    page = visit.page
    page.goto("/search?q=" + query.replace(" ", "+"))
    card = page.locator(".search-results article.paper-card").first
    paper_id = card.get_attribute("data-paper-id")
    title = card.locator(".card-title a").inner_text()
    button = card.locator("form.lib-toggle button")
    assert button.inner_text() == "Save"
    assert button.get_attribute("aria-pressed") == "false"
    page.evaluate("window.__sameDocument = true")       # gone if the click reloads the page
    with page.expect_response(lambda r: r.url.endswith(f"/papers/{paper_id}/add")) as answer:
        button.click()
    assert answer.value.status == 200
    assert answer.value.json()["saved"] is True
    page.wait_for_function("b => b.getAttribute('aria-pressed') === 'true'", arg=button.element_handle())
    assert button.inner_text() == "Saved"
    assert page.evaluate("window.__sameDocument === true"), "saving reloaded the page"
    visit.shot("saved-" + query.replace(" ", "-"))
    return paper_id, title


def tag_from_card(visit, paper_id: str, tag: str, *, untagged_id: str) -> None:
    """Tag a paper from its library card; only that card shows the tag, the list counts it once."""
    page = visit.page
    card = page.locator(f"article.paper-card[data-paper-id='{paper_id}']")
    card.locator("details.lib-tag-add summary").click()
    card.locator("details.lib-tag-add input[name=tag]").fill(tag)
    with page.expect_navigation():
        card.locator("details.lib-tag-add button[type=submit]").click()
    card = page.locator(f"article.paper-card[data-paper-id='{paper_id}']")
    assert card.locator(".tag-chip").all_inner_texts() == [tag]
    assert page.locator(f"article.paper-card[data-paper-id='{untagged_id}'] .tag-chip").count() == 0
    tag_row = page.locator(".tag-list li[data-tag-id]")
    assert tag_row.count() == 1
    assert re.fullmatch(rf"{tag}\s+1", tag_row.inner_text().strip())
    visit.shot("library-tagged")


def test_register_save_tag_and_recommendations_change(visit) -> None:
    page = visit.page
    username = "reader" + secrets.token_hex(4)
    register(visit, username)

    page.goto("/recommend")
    assert "Nothing to learn from yet" in page.locator(".reco-empty").inner_text()
    assert page.locator(".reco-cards article").count() == 0
    visit.shot("recommend-empty")

    first_id, first_title = save_first_result(visit, "graph neural network")
    second_id, second_title = save_first_result(visit, "speech recognition")
    assert first_id != second_id

    # the library page lists both, newest first
    page.goto("/library")
    assert page.locator(".library-count").inner_text().startswith("2 papers")
    library_ids = page.locator("article.paper-card").evaluate_all("els => els.map(e => e.dataset.paperId)")
    assert library_ids == [second_id, first_id]
    visit.shot("library")

    tag_from_card(visit, second_id, "speech", untagged_id=first_id)

    whole = trained_recommendations(visit, "/recommend", "recommend-library")
    assert len(whole) >= 10
    assert first_id not in whole and second_id not in whole
    summary = page.locator(".reco-summary").inner_text()
    assert "trained on 2 papers" in summary, summary

    # train on the tag alone through the form on the page
    page.locator("fieldset.tag-picker input[name=tag][value=speech]").check()
    with page.expect_navigation():
        page.locator("form.reco-filters button[type=submit]").click()
    assert "tag=speech" in page.url
    tagged = trained_recommendations(visit, page.url, "recommend-tag")
    assert "trained on 1 paper" in page.locator(".reco-summary").inner_text()
    assert second_id not in tagged and first_id not in tagged
    assert tagged[:10] != whole[:10], "recommendations for the tag equal those for the whole library"
    reasons = " ".join(page.locator(".reco-cards .card-reasons").all_inner_texts()).lower()
    assert "speech" in reasons, "no recommended paper is explained by the tag paper's terms"


def test_saving_in_place_hides_not_interested(visit) -> None:
    register(visit, "saver" + secrets.token_hex(4))
    save_first_result(visit, "object detection")
    card = visit.page.locator(".search-results article.paper-card").first
    assert not card.locator("form.lib-dismiss").is_visible(), \
        "'Not interested' is still shown beside 'Saved' after saving in place"


def test_saving_works_without_javascript(nojs_visit) -> None:
    page = nojs_visit.page
    register(nojs_visit, "plain" + secrets.token_hex(4))
    page.goto("/?cat=cs.CL")
    card = page.locator("article.paper-card").first
    paper_id = card.get_attribute("data-paper-id")
    with page.expect_navigation():
        card.locator("form.lib-toggle button").click()
    assert urlsplit(page.url).path == "/" and "cat=cs.CL" in page.url, "not sent back to the same page"
    card = page.locator(f"article.paper-card[data-paper-id='{paper_id}']")
    assert card.locator("form.lib-toggle button").inner_text() == "Saved"
    nojs_visit.shot("saved-without-js")
    page.goto("/library")
    assert page.locator("article.paper-card").evaluate_all("els => els.map(e => e.dataset.paperId)") \
        == [paper_id]
