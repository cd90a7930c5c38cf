"""The trends page, its CSV download and the JSON API, over the small synthetic corpus."""

from __future__ import annotations

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup

MONTHS = ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def table_rows(soup: BeautifulSoup) -> list[list[str]]:
    return [[td.get_text(strip=True) for td in tr.select("td")]
            for tr in soup.select(".trend-table tbody tr")]


def test_page_without_keywords_shows_hot_lists_and_category_totals(small_client):
    response = small_client.get("/trends")
    assert response.status_code == 200
    soup = soup_of(response)
    assert soup.select_one(".site-nav a[aria-current=page]").get_text() == "Trends"
    assert soup.select_one("#trend-chart") is None
    assert soup.select_one(".hot-hot h3").get_text() == "Hot"
    totals = json.loads(soup.select_one("#category-data").string)
    assert totals["months"] == MONTHS and totals["total"] == [2, 3, 3, 0, 1]
    assert [th.get_text() for th in soup.select(".cat-table thead th")][:2] == ["Month", "All"]
    scripts = [s["src"] for s in soup.select("script[src]")]
    assert "/static/vendor/chartjs-4.6.1/chart.umd.min.js" in scripts
    assert all(s.startswith("/static/") for s in scripts)


def test_page_with_keywords_has_chart_data_table_and_links(small_client):
    response = small_client.get("/trends?q=Transformer,+batch+normalization&smooth=1")
    assert response.status_code == 200
    soup = soup_of(response)
    data = json.loads(soup.select_one("#trend-data").string)
    assert list(data["terms"]) == ["transformer", "batch normalization"]
    assert [r["count"] for r in data["terms"]["transformer"]] == [1, 2, 3, 0, 0]
    assert soup.select_one("canvas#trend-chart") is not None
    head = [th.get_text() for th in soup.select(".trend-table thead th")]
    assert head == ["Month", "Papers", "transformer", "batch normalization"]
    rows = table_rows(soup)
    assert [r[0] for r in rows] == MONTHS
    assert rows[0] == ["2023-11", "2", "50.00%", "50.00%"]
    assert rows[3] == ["2024-02", "0", "–", "–"]  # no papers that month
    share = soup.select_one("a.trend-share")["href"]
    assert share.startswith("http://") and "q=Transformer" in share and "smooth" not in share
    assert small_client.get(share).status_code == 200
    assert soup.select_one("a[download]")["href"].startswith("/trends.csv?q=")


def test_category_and_range_in_the_page_and_its_share_link(small_client):
    soup = soup_of(small_client.get("/trends?q=transformer&cat=cs.CV&since=2023-12&until=2024-01"))
    rows = table_rows(soup)
    assert rows == [["2023-12", "1", "0.00%"], ["2024-01", "2", "100.00%"]]
    share = soup.select_one("a.trend-share")["href"]
    assert "cat=cs.CV" in share and "since=2023-12" in share and "until=2024-01" in share
    assert soup.select_one("select[name=cat] option[selected]")["value"] == "cs.CV"


def test_unknown_term_gets_a_did_you_mean_link(small_client):
    soup = soup_of(small_client.get("/trends?q=batch+normalization,+transfomer"))
    link = soup.select_one(".did-you-mean a")
    assert link.get_text() == "transformer"
    assert "q=batch+normalization,+transformer" in link["href"].replace("%2C", ",")


def test_phrase_is_scanned_with_a_notice(small_client):
    soup = soup_of(small_client.get("/trends?q=graph+neural+network"))
    data = json.loads(soup.select_one("#trend-data").string)
    assert [r["count"] for r in data["terms"]["graph neural network"]] == [1, 0, 1, 0, 0]
    assert "scanning" in soup.select_one(".trend-notice").get_text()


def test_keywords_are_escaped(small_client):
    response = small_client.get("/trends?q=<script>alert(1)</script>")
    assert b"<script>alert(1)" not in response.data
    soup = soup_of(response)
    assert soup.select_one(".trend-form input[name=q]")["value"] == "<script>alert(1)</script>"


def test_bad_keywords_are_a_400_page_with_the_reason(small_client):
    response = small_client.get("/trends?q=of+the")
    assert response.status_code == 400
    assert "no searchable words" in soup_of(response).select_one(".trend-error").get_text()


@pytest.mark.parametrize("query, message", [
    ("since=2024-13", "YYYY-MM"), ("smooth=0", "smooth"), ("cat=%3Cb%3E", "category"),
])
def test_bad_parameters_are_a_400(small_client, query, message):
    response = small_client.get(f"/trends?q=transformer&{query}")
    assert response.status_code == 400 and message.encode() in response.data


def test_csv_download(small_client):
    response = small_client.get("/trends.csv?q=transformer,batch+normalization&cat=cs.CV")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2 * len(MONTHS)
    assert rows[0] == {"term": "transformer", "month": "2023-11", "papers": "1", "count": "1",
                       "fraction": "1.000000"}
    assert rows[3]["fraction"] == ""  # February 2024 has no papers


def test_api_trends_shape(small_client):
    body = small_client.get("/api/trends?q=transformer,transfomer").get_json()
    assert body["terms"]["transformer"][1] == {"month": "2023-12", "papers": 3, "count": 2,
                                               "fraction": pytest.approx(0.666667)}
    assert body["suggestions"] == {"transfomer": ["transformer"]}
    assert all(r["count"] == 0 for r in body["terms"]["transfomer"])


@pytest.mark.parametrize("query, message", [
    ("", "q"), ("q=transformer&until=2024", "YYYY-MM"), ("q=transformer&smooth=x", "smooth"),
    ("q=" + ",".join(f"w{i}x" for i in range(11)), "at most 10"),
])
def test_api_trends_errors_are_json_400(small_client, query, message):
    response = small_client.get(f"/api/trends?{query}")
    assert response.status_code == 400 and response.is_json
    assert message in response.get_json()["message"]


def test_api_hot_shape_and_month(small_client):
    body = small_client.get("/api/hot?month=2024-01&min_support=1&n=5").get_json()
    assert body["month"] == "2024-01" and isinstance(body["hot"], list)
    assert body["windows"]["recent"] == {"start": "2024-01", "end": "2024-01", "months": 1, "papers": 3}
    for item in body["hot"] + body["cooling"] + body["emerging"]:
        assert {"term", "variants", "score", "llr", "ratio", "series"} <= set(item)
    response = small_client.get("/api/hot?month=2031-01")
    assert response.status_code == 400 and "no papers in 2031-01" in response.get_json()["message"]


def test_no_index_yet(client):
    response = client.get("/trends")
    assert response.status_code == 200
    assert "papersift index" in soup_of(response).select_one(".empty").get_text()
    api = client.get("/api/trends?q=transformer")
    assert api.status_code == 503 and "papersift index" in api.get_json()["message"]
    assert client.get("/api/hot").status_code == 503


def test_vendored_chart_library_and_licence_are_served(small_client):
    for name in ("chart.umd.min.js", "LICENSE.md"):
        response = small_client.get(f"/static/vendor/chartjs-4.6.1/{name}")
        assert response.status_code == 200, name
        response.close()
    response = small_client.get("/static/js/trends.js")
    assert response.status_code == 200 and b"trend-data" in response.data
    response.close()


def test_page_keeps_a_custom_smoothing_window(small_client):
    soup = soup_of(small_client.get("/trends?q=transformer&smooth=2"))
    assert soup.select_one("select[name=smooth] option[selected]")["value"] == "2"
    data = json.loads(soup.select_one("#trend-data").string)
    assert data["smooth"] == 2 and data["terms"]["transformer"][1]["fraction"] == 0.6


def test_page_hot_month_outside_the_index_is_a_400_with_the_reason(small_client):
    response = small_client.get("/trends?month=2030-01")
    assert response.status_code == 400
    assert "no papers in 2030-01" in soup_of(response).select_one(".trend-error").get_text()


def test_a_phrase_report_is_scanned_once_then_served_from_the_cache(small_app, monkeypatch):
    import ingest.indexing
    import services.trends

    scans: list[int] = []
    real = ingest.indexing.document_texts

    def counting(conn, ids):
        scans.append(len(ids))
        return real(conn, ids)

    monkeypatch.setattr(services.trends, "document_texts", counting)
    client = small_app.test_client()
    url = "/api/trends?q=graph+neural+network&smooth=2"
    first = client.get(url).get_json()
    assert scans                                                    # the phrase was checked
    done = len(scans)
    assert client.get(url).get_json() == first                      # same answer, no new scan
    assert client.get(url.replace("/api/trends", "/trends.csv")).status_code == 200
    assert len(scans) == done
    client.get("/api/trends?q=graph+neural+network&smooth=3")        # another question: scanned
    assert len(scans) > done


def test_page_shows_the_three_lists_and_the_windows_compared(small_client):
    soup = soup_of(small_client.get("/trends?min_support=1"))
    assert [h.get_text() for h in soup.select(".hot-list h3")] == ["Hot", "Cooling", "Emerging"]
    windows = soup.select_one(".hot-windows").get_text(" ", strip=True)
    assert "2024-03 to 2024-03" in windows and "2023-11 to 2024-02" in windows
    assert "judged within its papers' primary categories" in windows
    assert small_client.get("/api/hot?min_support=1").get_json()["within_categories"] is True


def test_hot_lists_follow_the_category(small_client):
    body = small_client.get("/api/hot?cat=cs.CL&min_support=1").get_json()
    assert body["category"] == "cs.CL"
    assert body["windows"]["baseline"]["papers"] == 3  # b3, c2 and c3 list cs.CL
    assert body["windows"]["recent"]["papers"] == 0 and "No papers in one" in body["notice"]
    january = small_client.get("/api/hot?cat=cs.CL&month=2024-01&min_support=1").get_json()
    assert january["windows"]["recent"]["papers"] == 2 and january["windows"]["baseline"]["papers"] == 1
    soup = soup_of(small_client.get("/trends?cat=cs.CL&min_support=1"))
    assert "in cs.CL" in soup.select_one("#hot-title").get_text()


def test_papers_panel_shows_the_papers_mentioning_the_term(small_client):
    soup = soup_of(small_client.get("/trends?q=transformer"))
    panel = soup.select_one(".term-papers")
    assert "transformer" in panel.select_one("h2").get_text()
    ids = [card["data-paper-id"] for card in panel.select(".paper-card")]
    with_term = {"2311.00001", "2312.00001", "2312.00003", "2401.00001", "2401.00002", "2401.00003"}
    assert len(ids) == 5 and set(ids) <= with_term
    assert set(ids[:3]) == {"2401.00001", "2401.00002", "2401.00003"}  # the newest first
    cl = soup_of(small_client.get("/trends?q=transformer&cat=cs.CL")).select(".term-papers .paper-card")
    assert {c["data-paper-id"] for c in cl} == {"2312.00003", "2401.00002", "2401.00003"}


def test_api_trends_carries_the_papers(small_client):
    body = small_client.get("/api/trends?q=batch+normalization,graph+neural+network").get_json()
    papers = body["papers"]["batch normalization"]
    assert [p["id"] for p in papers] == ["2403.00001", "2312.00001", "2311.00001"]
    assert papers[0]["title"] == "Batch normalization theory." and papers[0]["url"].startswith("https://arxiv.org/abs/")
    assert "graph neural network" not in body["papers"]  # a phrase: its series only


def test_empty_lists_say_what_did_not_happen(small_client):
    soup = soup_of(small_client.get("/trends"))
    said = {key: soup.select_one(f".hot-{key} p.muted") for key in ("hot", "cooling", "emerging")}
    assert said["hot"].get_text() == "No topic rose with evidence in these windows."
    assert said["cooling"].get_text() == "No topic fell with evidence in these windows."
    assert said["emerging"].get_text() == "No new term in these windows."
