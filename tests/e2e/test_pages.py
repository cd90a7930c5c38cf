"""A new visitor in a real browser: browse, filter by category, open a paper, search, trends.

Each step acts as a person does (select, click, type, press Enter) and checks what they
would see: headings, counts, cards, rendered math, marked snippets, a chart with points.
"""

from __future__ import annotations

import re

import pytest

from recommend.text import stem, words

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def card_ids(page) -> list[str]:
    return page.locator("article.paper-card").evaluate_all("els => els.map(e => e.dataset.paperId)")


def shown_total(page) -> int:
    """The "12,345 papers" count under the browse heading."""
    text = page.locator(".page-head .muted").first.inner_text()
    m = re.match(r"([\d,]+) papers?", text)
    assert m, f"no paper count in {text!r}"
    return int(m[1].replace(",", ""))


def test_visitor_browses_and_filters_by_category(visit) -> None:
    page = visit.page
    page.goto("/")
    assert page.locator("h1").inner_text() == "Latest papers"
    everything = shown_total(page)
    assert everything == 4001
    assert page.locator("article.paper-card").count() >= 10
    visit.shot("browse")

    page.select_option("form.filters select[name=cat]", "cs.CL")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    assert re.search(r"[?&]cat=cs\.CL", page.url)
    assert page.locator("h1").inner_text() == "cs.CL"
    in_cl = shown_total(page)
    assert 0 < in_cl < everything
    cards = page.locator("article.paper-card")
    assert cards.count() >= 10
    for i in range(cards.count()):
        badges = cards.nth(i).locator(".card-meta .badge").all_inner_texts()
        assert "cs.CL" in badges, f"card {i} of the cs.CL filter has categories {badges}"
    visit.shot("browse-cs.CL")

    # the next page keeps the filter
    with page.expect_navigation():
        page.locator("nav.pagination a[rel=next]").click()
    assert "cat=cs.CL" in page.url and "page=2" in page.url
    assert page.locator("h1").inner_text() == "cs.CL"
    visit.shot("browse-cs.CL-page2")


def test_visitor_opens_a_paper_from_its_card(visit) -> None:
    page = visit.page
    page.goto("/?cat=cs.CV")
    first = page.locator("article.paper-card").first
    title = first.locator(".card-title a").inner_text()
    paper_id = first.get_attribute("data-paper-id")
    with page.expect_navigation():
        first.locator(".card-title a").click()
    assert page.url.endswith(f"/paper/{paper_id}")
    assert page.locator("h1.paper-title").inner_text() == title
    assert paper_id in page.locator(".paper-facts").inner_text()
    similar = page.locator("#similar article.paper-card")
    assert similar.count() >= 5, "the paper page lists no similar papers"
    assert paper_id not in card_ids(page)
    visit.shot("paper")


def test_paper_page_renders_math_with_katex(visit, math_paper: dict) -> None:
    page = visit.page
    response = page.goto(f"/paper/{math_paper['id']}")
    assert "script-src 'self'" in response.headers["content-security-policy"]   # KaTeX runs under it
    abstract = page.locator("section.abstract")
    abstract.locator(".katex").first.wait_for(state="attached")
    assert abstract.locator(".katex").count() >= 1
    assert abstract.locator(".katex-error").count() == 0
    raw = re.search(r"\$\\[a-z]+[^$]*\$", math_paper["summary"])[0]
    assert raw not in abstract.inner_text(), f"{raw} is still shown as TeX source"
    visit.shot("paper-math")


def test_visitor_searches_from_the_header(visit) -> None:
    page = visit.page
    page.goto("/")
    box = page.locator("header form.header-search input[name=q]")
    box.fill("graph neural network")
    with page.expect_navigation():
        box.press("Enter")
    assert "/search?" in page.url and "q=graph+neural+network" in page.url
    count = page.locator(".search-count").inner_text()
    m = re.match(r"([\d,]+) papers? match", count)
    assert m and int(m[1].replace(",", "")) > 0, count
    hits = page.locator(".search-results article.paper-card")
    assert hits.count() >= 3
    marks = [t.lower() for t in page.locator(".search-snippet mark").all_inner_texts()]
    assert any(w in " ".join(marks) for w in ("graph", "neural", "network")), marks
    visit.shot("search")

    # a query that cannot be searched gets a message, not an error page
    page.goto("/search?q=year%3A20x")
    assert page.locator(".search-error").is_visible()
    assert "year:20x" in page.locator(".search-error").inner_text()
    visit.shot("search-bad-query")


def test_the_pages_run_under_the_csp_and_a_violation_would_show(visit) -> None:
    """The other browser tests fail on any console error; here a deliberate inline script
    proves that the CSP blocks it and that the violation reaches that check."""
    page = visit.page
    response = page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.inlineRan = true';
        document.body.appendChild(s);
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.inlineRan === undefined")
    assert any("Content Security Policy" in e for e in visit.errors), visit.errors
    visit.errors.clear()


def test_trends_page_draws_a_series_with_points(visit) -> None:
    page = visit.page
    response = page.goto("/trends")
    assert "script-src 'self'" in response.headers["content-security-policy"]   # Chart.js runs under it
    visit.shot("trends")
    box = page.locator("form.trend-form input[name=q]")
    box.fill("transformer, diffusion")
    with page.expect_navigation():
        page.locator("form.trend-form button[type=submit]").click()
    assert "q=transformer" in page.url
    page.wait_for_function("() => window.Chart && window.papersift && window.papersift.trendCharts"
                           " && window.papersift.trendCharts.series")
    chart = page.evaluate("""() => {
        const c = window.Chart.getChart(document.getElementById('trend-chart'));
        return {labels: c.data.labels.length,
                sets: c.data.datasets.map(d => ({label: d.label,
                    points: c.getDatasetMeta(c.data.datasets.indexOf(d)).data.length,
                    values: d.data.filter(v => v !== null && v > 0).length}))};
    }""")
    assert [s["label"] for s in chart["sets"]] == ["transformer", "diffusion"]
    assert chart["labels"] >= 6
    for s in chart["sets"]:
        assert s["points"] == chart["labels"], s
        assert s["values"] >= 6, f"{s['label']}: only {s['values']} months with papers"
    rows = page.locator("table.trend-table tbody tr")
    assert rows.count() == chart["labels"]
    box_size = page.locator("#trend-chart").bounding_box()
    assert box_size and box_size["width"] > 200 and box_size["height"] > 100
    visit.shot("trends-series")


def test_trends_page_lists_hot_cooling_and_emerging_terms_and_explains_one(visit) -> None:
    page = visit.page
    # the sample's newest month has no emerging topic (its one emerging word, "convex", is
    # in no title); the month before has a term in each list
    page.goto("/trends?month=2026-03")
    lists = page.locator(".hot-list")
    assert [h.strip() for h in page.locator(".hot-list h3").all_inner_texts()] == [
        "Hot", "Cooling", "Emerging"]
    for i in range(3):
        assert lists.nth(i).locator("li .hot-term").count() > 0, f"list {i} is empty"
        assert lists.nth(i).is_visible()
    windows = page.locator(".hot-windows").inner_text()
    assert re.search(r"The last \d+ months? \(\d{4}-\d\d to \d{4}-\d\d", windows), windows
    visit.shot("trends-lists")
    first = page.locator(".hot-hot li .hot-term").first
    term = first.inner_text().strip()
    with page.expect_navigation():
        first.click()
    assert "q=" in page.url
    panel = page.locator(".term-papers")
    assert term in panel.locator("> h2").inner_text()
    cards = panel.locator("article.paper-card")
    assert cards.count() >= 1
    for text in cards.evaluate_all("els => els.map(e => e.textContent.toLowerCase())"):
        held = {stem(w) for w in words(text) if w}            # any form of each word counts
        assert all(stem(w) in held for w in term.split(" ")), f"a card without {term!r}"  # abstracts too
    page.wait_for_function("() => window.papersift && window.papersift.trendCharts"
                           " && window.papersift.trendCharts.series")
    visit.shot("trends-term-papers")


def test_a_first_visit_loads_the_site_icon_without_errors(visit) -> None:
    page = visit.page
    icons: list[tuple[str, int]] = []
    page.on("response", lambda r: icons.append((r.url, r.status)) if "favicon" in r.url else None)
    page.goto("/")
    status = page.evaluate("""async () => {
        const link = document.querySelector('link[rel="icon"]');
        return link ? (await fetch(link.href)).status : 0; }""")
    assert status == 200
    page.wait_for_load_state("networkidle")
    assert all(code == 200 for _, code in icons), icons
    assert visit.errors == []
