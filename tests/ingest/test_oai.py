"""OAI-PMH harvest against the loopback server.

The ListRecords pages below are written by hand in the shape of arXiv's OAI-PMH responses
(http://export.arxiv.org/oai2 and oaipmh.arxiv.org: the OAI-PMH 2.0 envelope, `arXiv` and
`arXivRaw` metadata namespaces, `oai:arXiv.org:<id>` identifiers, `resumptionToken` with
cursor and completeListSize), filled with real arXiv metadata from the bundled sample.
"""

from __future__ import annotations

from datetime import date, datetime
from xml.sax.saxutils import escape

from sqlalchemy import select

from ingest.oai import harvest
from store import runs
from store.db import open_store
from store.schema import papers
from tests.ingest.fakearxiv import Entry, Fault, oai_error, real_entries


def arxiv_record(e: Entry) -> str:
    authors = "".join(
        f"<author><keyname>{escape(a.split()[-1])}</keyname>"
        f"<forenames>{escape(' '.join(a.split()[:-1]))}</forenames></author>" for a in e.authors)
    updated = f"<updated>{e.updated:%Y-%m-%d}</updated>" if e.updated.date() != e.published.date() else ""
    return f"""<record><header><identifier>oai:arXiv.org:{e.id}</identifier>
<datestamp>{e.updated:%Y-%m-%d}</datestamp><setSpec>cs</setSpec></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">
<id>{e.id}</id><created>{e.published:%Y-%m-%d}</created>{updated}<authors>{authors}</authors>
<title>{escape(e.title)}</title><categories>{" ".join(e.categories)}</categories>
<license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>
<abstract>{escape(e.abstract)}</abstract></arXiv></metadata></record>"""


def raw_record(e: Entry, versions: list[str]) -> str:
    vs = "".join(f'<version version="v{i}"><date>{d}</date><size>120kb</size>'
                 f"<source_type>D</source_type></version>" for i, d in enumerate(versions, start=1))
    return f"""<record><header><identifier>oai:arXiv.org:{e.id}</identifier>
<datestamp>2026-04-02</datestamp><setSpec>cs</setSpec></header>
<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{e.id}</id>
<submitter>{escape(e.authors[0])}</submitter>{vs}<title>{escape(e.title)}</title>
<authors>{escape(", ".join(e.authors[:-1]) + " and " + e.authors[-1])}</authors>
<categories>{" ".join(e.categories)}</categories><abstract>{escape(e.abstract)}</abstract>
</arXivRaw></metadata></record>"""


def list_records(records: list[str], token: str | None, cursor: int = 0, size: int = 0) -> bytes:
    tok = (f'<resumptionToken cursor="{cursor}" completeListSize="{size}">{token}</resumptionToken>'
           if token else f'<resumptionToken cursor="{cursor}" completeListSize="{size}"/>')
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2026-04-12T22:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv" set="cs" from="2026-04-01">http://export.arxiv.org/oai2</request>
<ListRecords>{"".join(records)}{tok}</ListRecords>
</OAI-PMH>""".encode()


def three_pages(fake) -> list[Entry]:
    entries = real_entries(30)
    chunks = [entries[0:10], entries[10:20], entries[20:30]]
    tokens = [None, "7361|1001", "7361|2001"]
    for i, chunk in enumerate(chunks):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        fake.oai_pages[tokens[i]] = list_records([arxiv_record(e) for e in chunk], nxt, i * 10, 30)
    return entries


def stored(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        return {r.id: r for r in conn.execute(select(papers))}


def test_harvest_follows_resumption_tokens_and_records_the_run(fetch_settings, fake, client):
    entries = three_pages(fake)
    engine = open_store(fetch_settings)
    summary = harvest(engine, fetch_settings, since=date(2026, 4, 1), client=client)

    assert summary.status == "ok", summary.text()
    got = stored(engine)
    assert set(got) == {e.id for e in entries}
    first = got[entries[0].id]
    assert first.title == " ".join(entries[0].title.split())
    assert first.published == datetime(2026, 4, 1)
    reqs = [r.params for r in fake.requests]
    assert reqs[0] == {"verb": "ListRecords", "metadataPrefix": "arXiv", "from": "2026-04-01", "set": "cs"}
    assert reqs[1:] == [{"verb": "ListRecords", "resumptionToken": t} for t in ("7361|1001", "7361|2001")]
    with engine.connect() as conn:
        run = runs.get_run(conn, summary.run_id)
    assert (run.kind, run.status, run.new, run.requests) == ("harvest", "ok", 30, 3)


def test_arxivraw_gives_the_latest_version_and_its_date(fetch_settings, fake, client):
    e = real_entries(1)[0]
    fake.oai_pages[None] = list_records(
        [raw_record(e, ["Tue, 1 Apr 2026 12:00:00 GMT", "Fri, 4 Apr 2026 09:30:00 GMT"])], None)
    engine = open_store(fetch_settings)
    summary = harvest(engine, fetch_settings, since=date(2026, 4, 1), metadata_prefix="arXivRaw",
                      client=client)
    row = stored(engine)[e.id]
    assert summary.status == "ok"
    assert (row.version, row.published) == (2, datetime(2026, 4, 1, 12))
    assert row.updated == datetime(2026, 4, 4, 9, 30)
    assert row.authors.startswith('["' + e.authors[0])


def test_flow_control_503_and_a_truncated_page_are_retried(fetch_settings, fake, client, sleeper):
    entries = three_pages(fake)
    fake.faults[2] = Fault("status", status=503, retry_after="30")
    fake.faults[3] = Fault("truncate")
    engine = open_store(fetch_settings)
    summary = harvest(engine, fetch_settings, since=date(2026, 4, 1), client=client)
    assert summary.status == "ok"
    assert set(stored(engine)) == {e.id for e in entries}
    assert 30 in sleeper.calls and summary.requests == 5


def test_a_failed_harvest_keeps_its_pages_and_resumes_from_the_token(fetch_settings, fake, client):
    entries = three_pages(fake)
    for n in range(2, 6):
        fake.faults[n] = Fault("status", status=503)
    engine = open_store(fetch_settings)
    failed = harvest(engine, fetch_settings, since=date(2026, 4, 1), client=client)
    assert failed.status == "failed" and "HTTP 503" in failed.message
    assert set(stored(engine)) == {e.id for e in entries[:10]}

    resumed = harvest(engine, fetch_settings, since=date(2026, 4, 1), client=client)
    assert resumed.status == "ok" and resumed.resumed_from == failed.run_id
    assert fake.requests[5].params == {"verb": "ListRecords", "resumptionToken": "7361|1001"}
    assert set(stored(engine)) == {e.id for e in entries}


def test_no_records_match_is_an_empty_successful_harvest(fetch_settings, fake, client):
    fake.oai_pages[None] = oai_error("noRecordsMatch", "No records match")
    engine = open_store(fetch_settings)
    summary = harvest(engine, fetch_settings, since=date(2026, 4, 1), client=client)
    assert (summary.status, summary.new) == ("ok", 0)


def test_an_oai_error_stops_with_its_code(fetch_settings, fake, client):
    fake.oai_pages[None] = oai_error("badArgument", "Illegal set cs.XX")
    engine = open_store(fetch_settings)
    summary = harvest(engine, fetch_settings, since=date(2026, 4, 1), set_spec="cs.XX", client=client)
    assert summary.status == "failed"
    assert "badArgument" in summary.message and "Illegal set" in summary.message
    assert summary.requests == 1


def test_deleted_and_broken_records_are_skipped_and_counted(fetch_settings, fake, client):
    good = real_entries(2)
    deleted = ('<record><header status="deleted"><identifier>oai:arXiv.org:2501.00001</identifier>'
               "<datestamp>2026-04-02</datestamp></header></record>")
    broken = arxiv_record(good[1]).replace(f"<id>{good[1].id}</id>", "<id>not-an-id</id>")
    fake.oai_pages[None] = list_records([arxiv_record(good[0]), deleted, broken], None)
    engine = open_store(fetch_settings)
    summary = harvest(engine, fetch_settings, since=date(2026, 4, 1), client=client)
    assert summary.status == "ok"
    assert set(stored(engine)) == {good[0].id}
    assert summary.errors == 1 and "record 3" in summary.error_examples[0]


def test_harvest_command_end_to_end(make_app, fake):
    entries = three_pages(fake)
    app = make_app(oai_url=fake.oai_url, arxiv_delay=0.0)
    result = app.test_cli_runner().invoke(args=["harvest", "--from", "2026-04-01", "--max", "15"])
    assert result.exit_code == 0, result.output
    assert "15 new" in result.output
    with app.app_context():
        assert len(stored(app.extensions["papersift.engine"])) == 15
    bad = app.test_cli_runner().invoke(args=["harvest", "--from", "April"])
    assert bad.exit_code == 2 and "April" in bad.output
    assert entries
