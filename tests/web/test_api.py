from datetime import datetime

from tests.factories import add_papers, record


def test_api_papers_has_total_and_papers(client, app):
    add_papers(app.extensions["papersift.engine"],
               record(id="2404.00001", categories=["cs.CV"], published=datetime(2024, 4, 2)),
               record(id="2404.00002", categories=["cs.CL"], published=datetime(2024, 4, 1)))
    body = client.get("/api/papers").get_json()
    assert body["total"] == 2
    assert [p["id"] for p in body["papers"]] == ["2404.00001", "2404.00002"]
    paper = body["papers"][0]
    assert paper["categories"] == ["cs.CV"]
    assert paper["published"].startswith("2024-04-02")
    assert paper["abs_url"] == "https://arxiv.org/abs/2404.00001v1"
    only_cl = client.get("/api/papers?cat=cs.CL").get_json()
    assert only_cl["total"] == 1 and only_cl["papers"][0]["id"] == "2404.00002"


def test_api_bad_parameter_is_a_json_400(client):
    response = client.get("/api/papers?window=forever")
    assert response.status_code == 400
    assert response.is_json and "window" in response.get_json()["message"]


def test_api_unknown_paper_is_a_json_404(client):
    response = client.get("/api/papers/2101.99999")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_api_paper_old_style_id(client, app):
    add_papers(app.extensions["papersift.engine"],
               record(id="hep-th/9901001v2", categories=["hep-th"]))
    body = client.get("/api/papers/hep-th/9901001").get_json()
    assert body["paper"]["id"] == "hep-th/9901001" and body["paper"]["version"] == 2
    assert body["similar"] == []


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_is_503_without_an_index(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["store"] == "ok"
