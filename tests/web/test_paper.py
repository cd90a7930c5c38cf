from datetime import datetime

from bs4 import BeautifulSoup

from tests.factories import add_papers, record


def test_paper_page_shows_the_paper(client, app):
    add_papers(app.extensions["papersift.engine"], record(
        id="2404.01234v2", title="Attention with $O(n)$ memory", authors=["Grace Hopper"],
        abstract="We show $x^2$ is enough.", categories=["cs.LG", "stat.ML"],
        published=datetime(2024, 4, 2), updated=datetime(2024, 5, 1), comment="10 pages"))
    response = client.get("/paper/2404.01234")
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.select_one("h1.paper-title").get_text() == "Attention with $O(n)$ memory"
    assert "Grace Hopper" in soup.select_one(".paper-authors").get_text()
    assert [a.get_text() for a in soup.select(".paper .badge")] == ["cs.LG", "stat.ML"]
    links = {a.get_text(): a["href"] for a in soup.select(".paper-links a")}
    assert links["arXiv page"] == "https://arxiv.org/abs/2404.01234v2"
    assert links["PDF"] == "https://arxiv.org/pdf/2404.01234v2"
    assert "10 pages" in soup.select_one(".paper-facts").get_text()
    # math is rendered in the browser by the vendored KaTeX, never a CDN
    scripts = [s["src"] for s in soup.select("script[src]")]
    assert any("vendor/katex" in s for s in scripts)
    assert all(s.startswith("/static/") for s in scripts)


def test_unknown_paper_is_a_404_page(client):
    response = client.get("/paper/2101.99999")
    assert response.status_code == 404
    assert b"No paper" in response.data and b"Traceback" not in response.data


def test_vendored_katex_is_served(client):
    for name in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "LICENSE"):
        response = client.get(f"/static/vendor/katex-0.19.1/{name}")
        assert response.status_code == 200, name
        response.close()
