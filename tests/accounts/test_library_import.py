"""Importing reference-manager exports (BibTeX, RIS, CSL-JSON) into a library: matching by
arXiv id, DOI and title, fetching missing papers from the loopback fake arXiv, tags,
idempotence, the report, bad files, and the CLI and upload entry points."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from ingest import indexing
from ingest.library_import import LibraryFileError, import_library
from recommend.index import load_index
from store import library as lib
from store.schema import library, paper_tags, papers
from tests.factories import add_papers, record
from tests.helpers.accounts import login, make_user
from tests.helpers.paths import TEST_DATA
from tests.ingest.fakearxiv import FakeArxiv, Fault, real_entries

FILES = TEST_DATA / "library"
STORED = {
    "2401.10001": "Attention Is All You Need",
    "2401.10002": "Schrödinger Bridges for Generative Modelling",
    "2401.10003": "Graph Neural Networks: A Review of Methods and Applications",
    "2401.10004": "Deep Residual Learning for Image Recognition",
    "2401.10005": "Masked Autoencoders Are Scalable Vision Learners",
    "2401.10006": "Denoising Diffusion Probabilistic Models",
    "2401.10007": "Language Models are Few-Shot Learners",
    "2401.10008": "Quantum Gravity and the Holographic Principle Revisited",
}


@pytest.fixture
def fake():
    with FakeArxiv(real_entries(8)) as server:
        yield server


@pytest.fixture
def app(make_app, fake):
    application = make_app(arxiv_api_url=fake.api_url, arxiv_delay=0.0, arxiv_retries=2, arxiv_timeout=2.0)
    engine = application.extensions["papersift.engine"]
    add_papers(engine, *[record(id=i, title=t, published=datetime(2024, 1, 2),
                                doi="10.1016/j.aiopen.2021.01.001" if i == "2401.10003" else None)
                         for i, t in STORED.items()])
    indexing.build(engine, application.config["SETTINGS"], force=True)
    yield application
    engine.dispose()


def _engine(app):
    return app.extensions["papersift.engine"]


def _import(app, user_id, name, data=None, **kw):
    settings = app.config["SETTINGS"]
    data = (FILES / name).read_bytes() if data is None else data
    return import_library(_engine(app), settings, user_id, data, name,
                          index=load_index(settings.index_dir), **kw)


def _library(app, user_id) -> set[str]:
    with _engine(app).connect() as conn:
        return lib.library_ids(conn, user_id)


def _tags(app, user_id) -> dict[str, set[str]]:
    with _engine(app).connect() as conn:
        return {t.name: lib.tagged_ids(conn, user_id, [t.name]) for t in lib.user_tags(conn, user_id)}


def _counts(app) -> tuple[int, int, int]:
    with _engine(app).connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (papers, library, paper_tags))


def test_bibtex_export_matches_every_way_fetches_and_tags(app, fake):
    ada = make_user(app, "ada")
    report = _import(app, ada.id, "zotero_export.bib")
    how = {m.label: (m.paper_id, m.how) for m in report.matched}
    assert how["vaswani2017attention"] == ("2401.10001", "arXiv id")
    assert how["schrodinger2024"] == ("2401.10002", "title")           # LaTeX accents and braces
    assert how["zhou2020gnn"] == ("2401.10003", "DOI")                 # journal DOI, any case, doi.org URL
    assert how["he2016resnet"][0] == "2401.10004" and how["he2016resnet"][1].startswith("title ~")
    assert how["arxivdoi2024"] == ("2401.10005", "arXiv DOI")
    assert how["noteonly"] == ("2401.10006", "arXiv id")
    assert how["urlonly"] == ("2401.10007", "arXiv id")
    assert how["zhao2025rethinking"] == ("2503.11780", "arXiv id (fetched)")
    assert report.fetched == ["2503.11780"]
    # one batched id_list request for the two missing ids
    [request] = [r for r in fake.api_requests() if "id_list" in r.params]
    assert sorted(request.params["id_list"].split(",")) == ["2501.99999", "2503.11780"]
    unmatched = {u.label: u.reason for u in report.unmatched}
    assert unmatched["ghostpaper"] == "arXiv id 2501.99999: arXiv has no such paper"
    assert "teapots" in unmatched and "nofields" in unmatched
    assert "no arXiv id, arXiv DOI or title" in unmatched["nofields"]
    # the repeated key and the second entry for 2401.10001 are reported, stored once
    assert report.duplicates == ["vaswani2017attention", "attention_again"]
    assert _library(app, ada.id) == {"2401.10001", "2401.10002", "2401.10003", "2401.10004",
                                     "2401.10005", "2401.10006", "2401.10007", "2503.11780"}
    assert sorted(report.added) == sorted(_library(app, ada.id)) and report.already == []
    tags = _tags(app, ada.id)
    assert tags["transformers"] == {"2401.10001"} and tags["reading group"] == {"2401.10001"}
    assert tags["surveys"] == {"2401.10003"} and tags["detection"] == {"2503.11780"}
    with _engine(app).connect() as conn:
        fetched = conn.execute(select(papers.c.title).where(papers.c.id == "2503.11780")).scalar_one()
    assert fetched.startswith("Rethinking Multi-modal Object Detection")


def test_reimport_adds_nothing_and_reports_already_in_library(app, fake):
    ada = make_user(app, "ada")
    first = _import(app, ada.id, "zotero_export.bib")
    counts = _counts(app)
    again = _import(app, ada.id, "zotero_export.bib")
    assert _counts(app) == counts
    assert again.added == [] and sorted(again.already) == sorted(first.added)
    assert again.fetched == []        # the fetched paper is in the store now


def test_ris_and_csl_json_exports(app, fake):
    ada = make_user(app, "ada")
    ris = _import(app, ada.id, "mendeley_export.ris")
    assert ris.format == "ris"
    assert {m.paper_id for m in ris.matched} == {"2401.10001", "2401.10002", "2503.12067", "2401.10003"}
    assert [u.label for u in ris.unmatched] == ["entry 5"]
    assert _tags(app, ada.id)["nlp"] == {"2401.10001"}
    bob = make_user(app, "bob")
    csl = _import(app, bob.id, "zotero_export.json")
    assert csl.format == "csl-json"
    assert {m.label: m.paper_id for m in csl.matched} == {
        "http://zotero.org/users/1/items/AAAA": "2401.10001",
        "http://zotero.org/users/1/items/BBBB": "2401.10002",
        "http://zotero.org/users/1/items/CCCC": "2503.11780"}
    assert {u.label for u in csl.unmatched} == {"42", "no-title"}
    assert "transformers" in _tags(app, bob.id)
    # the other user's library is untouched by bob's import
    assert "2503.11780" not in _library(app, ada.id)


def test_zotero_rdf_collections_become_tags(app):
    ada = make_user(app, "ada")
    report = _import(app, ada.id, "zotero_export.rdf")
    assert report.format == "zotero-rdf"
    assert {m.label: (m.paper_id, m.how) for m in report.matched} == {
        "http://arxiv.org/abs/2401.10001": ("2401.10001", "arXiv id"), "#item_20": ("2401.10002", "title")}
    assert [u.label for u in report.unmatched] == ["#item_21"]       # the attachment and note are no items
    assert _tags(app, ada.id)["Reading group"] == {"2401.10001", "2401.10002"}


def test_fuzzy_threshold_decides_and_the_reason_shows_the_score(app):
    ada = make_user(app, "ada")
    bib = b"@article{near, title = {Deep Residual Learning for Image Recognition Tasks}}"
    strict = import_library(_engine(app), app.config["SETTINGS"].__class__(
        **{**app.config["SETTINGS"].__dict__, "library_import_title_threshold": 99.0}),
        ada.id, bib, "near.bib", index=load_index(app.config["SETTINGS"].index_dir))
    [miss] = strict.unmatched
    assert "2401.10004" in miss.reason and "below the threshold 99" in miss.reason
    assert _library(app, ada.id) == set()
    loose = _import(app, ada.id, "near.bib", data=bib)
    assert [m.paper_id for m in loose.matched] == ["2401.10004"] and loose.threshold == 90


def test_without_fetching_or_when_arxiv_is_down_missing_ids_are_explained(app, fake):
    ada = make_user(app, "ada")
    offline = _import(app, ada.id, "zotero_export.bib", fetch=False)
    assert not [r for r in fake.api_requests() if "id_list" in r.params]
    reasons = {u.label: u.reason for u in offline.unmatched}
    assert reasons["zhao2025rethinking"] == ("arXiv id 2503.11780 is not in this papersift "
                                             "(not fetched from arXiv)")
    assert "2503.11780" not in _library(app, ada.id)
    fake.faults.update({n: Fault("status", 503) for n in range(1, 20)})
    bob = make_user(app, "bob")
    down = _import(app, bob.id, "zotero_export.bib")
    assert "gave up" in down.fetch_error and "HTTP 503" in down.fetch_error
    reason = {u.label: u.reason for u in down.unmatched}["zhao2025rethinking"]
    assert reason.startswith("arXiv id 2503.11780 is not in this papersift and arXiv could not be asked")
    # what the store had is imported all the same
    assert "2401.10001" in _library(app, bob.id)


def test_web_upload_fetches_at_most_the_configured_number(app, fake):
    ada = make_user(app, "ada")
    report = _import(app, ada.id, "zotero_export.bib", fetch_max=1)
    requested = [r.params["id_list"] for r in fake.api_requests() if "id_list" in r.params]
    assert requested == ["2503.11780"]
    reason = {u.label: u.reason for u in report.unmatched}["ghostpaper"]
    assert "over this import's fetch limit of 1" in reason


@pytest.mark.parametrize("name,data,message", [
    ("not_bibtex.bib", None, "No BibTeX entries found"),
    ("latin1_encoding.bib", None, "not UTF-8 text: byte 29 is 0xe9"),
    ("broken.json", b"[{\"title\": \"x\",]", "not valid JSON"),
    ("object.json", b"{\"title\": \"x\"}", "not CSL-JSON"),
    ("binary.bib", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ("empty.ris", b"", "No RIS entries found"),
    ("laughs.rdf", b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
                   b'"&lol;&lol;&lol;">]><rdf:RDF>&lol2;</rdf:RDF>', "declares entities"),
    ("broken.rdf", b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><oops>",
     "not well-formed XML"),
    ("feed.xml", b"<feed xmlns='http://www.w3.org/2005/Atom'></feed>", "not Zotero RDF"),
])
def test_bad_files_are_refused_with_a_clear_error_and_change_nothing(app, name, data, message):
    ada = make_user(app, "ada")
    before = _counts(app)
    with pytest.raises(LibraryFileError, match=message):
        _import(app, ada.id, name, data=data)
    assert _counts(app) == before


def test_huge_files_are_refused_before_parsing(app):
    ada = make_user(app, "ada")
    before = _counts(app)
    big = b"@misc{k, title={" + b"x" * (50 * 1024 * 1024) + b"}}"
    with pytest.raises(LibraryFileError, match=r"50\.0 MB; at most 10 MB"):
        _import(app, ada.id, "big.bib", data=big)
    many = "".join(f"@misc{{k{i}, eprint={{2401.10001}}}}\n" for i in range(100_000)).encode()
    with pytest.raises(LibraryFileError, match="100,000 entries; at most 20,000"):
        _import(app, ada.id, "many.bib", data=many)
    assert _counts(app) == before


# -- entry points: the upload on the import page, the JSON answer, the CLI


def _upload(client, name, data=None, accept=None, **fields):
    from tests.helpers.accounts import csrf_token

    data = (FILES / name).read_bytes() if data is None else data
    headers = {"Accept": accept} if accept else {}
    # the builder spools a big body to a temporary file: close it even when the app refuses it
    builder = EnvironBuilder(path="/library/import/file", method="POST", headers=headers,
                             content_type="multipart/form-data",
                             data={"csrf_token": csrf_token(client), "file": (io.BytesIO(data), name),
                                   **fields})
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def _soup(response):
    return BeautifulSoup(response.data, "html.parser")


def test_upload_shows_the_report_and_fills_only_this_library(app, client, fake):
    ada, bob = make_user(app, "ada"), make_user(app, "bob")
    login(client, "ada")
    page = _soup(client.get("/library/import"))
    assert page.select_one("form[enctype='multipart/form-data'] input[type=file][name=file]")
    response = _upload(client, "zotero_export.bib", tag="from zotero")
    assert response.status_code == 200
    report = _soup(response).select_one(".import-report")
    counts = {c["data-count"]: int(c.get_text()) for c in report.select(".count")}
    assert counts == {"matched": 10, "fetched": 1, "already": 0, "unmatched": 3, "duplicates": 2}
    assert report.select_one(".threshold").get_text() == "90"
    rows = {r.select("td")[0].get_text(): r.select("td")[2].get_text()
            for r in report.select(".import-unmatched tbody tr")}
    assert rows["ghostpaper"] == "arXiv id 2501.99999: arXiv has no such paper"
    assert len(_library(app, ada.id)) == 8 and _library(app, bob.id) == set()
    assert _tags(app, ada.id)["from zotero"] == _library(app, ada.id)
    again = _soup(_upload(client, "zotero_export.bib"))
    counts = {c["data-count"]: int(c.get_text()) for c in again.select(".import-report .count")}
    assert counts["already"] == 8 and "0 papers added" in again.select_one(".import-report").get_text()


def test_upload_answers_json_and_refuses_bad_files(app, client):
    ada = make_user(app, "ada")
    login(client, "ada")
    body = _upload(client, "mendeley_export.ris", accept="application/json").get_json()
    assert body["format"] == "ris" and len(body["matched"]) == 4
    assert body["unmatched"][0]["label"] == "entry 5"
    before = _counts(app)
    bad = _upload(client, "latin1_encoding.bib")
    assert bad.status_code == 400
    assert "not UTF-8 text" in _soup(bad).select_one(".field-error").get_text()
    assert "Nothing was imported" in _soup(bad).select_one(".field-error").get_text()
    bad_json = _upload(client, "not_bibtex.bib", accept="application/json")
    assert bad_json.status_code == 400 and "No BibTeX entries found" in bad_json.get_json()["error"]
    huge = _upload(client, "huge.bib", data=b"%" * (17 * 1024 * 1024))
    assert huge.status_code == 413
    assert "larger than this site accepts (16 MB)" in _soup(huge).select_one(".field-error").get_text()
    assert _counts(app) == before and len(_library(app, ada.id)) == 4


def test_upload_needs_login_and_csrf(app, client):
    make_user(app, "ada")
    anonymous = _upload(client, "zotero_export.bib")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    login(client, "ada")
    forged = client.post("/library/import/file", content_type="multipart/form-data",
                         data={"csrf_token": "forged", "file": (io.BytesIO(
                             (FILES / "zotero_export.bib").read_bytes()), "z.bib")})
    assert forged.status_code == 400 and _counts(app)[1] == 0


def test_cli_import_and_list(app, fake, tmp_path):
    runner = app.test_cli_runner()
    make_user(app, "ada")
    result = runner.invoke(args=["library", "import", "--user", "ada", str(FILES / "zotero_export.bib")])
    assert result.exit_code == 0, result.output
    assert "13 entries (bibtex): 10 matched, 8 added, 0 already in the library, 1 fetched" in result.output
    assert "UNMATCHED ghostpaper: arXiv id 2501.99999: arXiv has no such paper" in result.output
    assert "at least 90" in result.output
    listed = runner.invoke(args=["library", "list", "--user", "ada", "--json"])
    data = json.loads(listed.output)
    assert data["count"] == 8 and {p["id"] for p in data["papers"]} >= {"2401.10001", "2503.11780"}
    plain = runner.invoke(args=["library", "list", "--user", "ada", "--tag", "transformers"])
    assert plain.exit_code == 0 and plain.output.startswith("2401.10001\t")
    again = runner.invoke(args=["library", "import", "--user", "ada", "--json",
                                str(FILES / "zotero_export.bib")])
    assert len(json.loads(again.output)["already"]) == 8
    bad = tmp_path / "notes.bib"
    bad.write_text("just words")
    refused = runner.invoke(args=["library", "import", "--user", "ada", str(bad)])
    assert refused.exit_code == 1 and "notes.bib: No BibTeX entries found" in refused.output
    assert "Nothing was imported" in refused.output
    nobody = runner.invoke(args=["library", "list", "--user", "nobody"])
    assert nobody.exit_code == 1 and "No account 'nobody'" in nobody.output


def test_before_the_first_index_titles_match_exactly_against_the_store(app):
    ada = make_user(app, "ada")
    bib = (b"@article{exact, title = {Schr{\\\"o}dinger {B}ridges for Generative Modelling}}\n"
           b"@article{near, title = {Deep Residual Learning for Image Recognition Tasks}}\n")
    report = import_library(_engine(app), app.config["SETTINGS"], ada.id, bib, "noindex.bib", index=None)
    assert [(m.label, m.paper_id, m.how) for m in report.matched] == [("exact", "2401.10002", "title")]
    [near] = report.unmatched
    assert near.reason == "no paper with this title (no search index yet, so no fuzzy match)"
