"""Exports cannot carry a formula into a spreadsheet or a command into LaTeX (issue 15, item 4)."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

import bibtexparser
import pytest

from recommend.trend_hot import spreadsheet_safe
from services.library_io import SAFE_COMMANDS, bib_value
from tests.factories import add_papers, record
from tests.helpers.accounts import post

FORMULAS = ['=HYPERLINK("http://evil.example")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\tcmd", "\rcmd"]


@pytest.fixture
def indexed(app):
    from ingest import indexing

    engine = app.extensions["papersift.engine"]
    add_papers(engine, *[record() for _ in range(4)])
    indexing.build(engine, app.config["SETTINGS"], force=True)
    return app


def _csv_cells(response) -> list[str]:
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    return [cell for row in rows[1:] for cell in row[:2]]


def test_the_reported_payload_is_written_as_text(indexed, client):
    response = client.get("/trends.csv?q=" + quote(FORMULAS[0]))
    assert response.status_code == 200
    cells = _csv_cells(response)
    assert cells and cells[0].startswith("'=")


@pytest.mark.parametrize("payload", FORMULAS)
def test_trends_csv_neutralises_formulas_in_the_query(indexed, client, payload):
    """Every payload is refused with a clear 400 or written with no cell starting a formula."""
    response = client.get("/trends.csv?q=" + quote(payload))
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        return
    cells = _csv_cells(response)
    assert cells, "no rows"
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_spreadsheet_safe_leaves_plain_text_alone():
    assert spreadsheet_safe("graph neural networks") == "graph neural networks"
    assert spreadsheet_safe("2024-01") == "2024-01"
    assert spreadsheet_safe("=1+1") == "'=1+1"


HOSTILE = r"\input/etc/passwd \immediate\write18{rm -rf ~} \csname input\endcsname ^^5cinput{x} \def\x{y}"
ALLOWED = r"Erd\H{o}s meets Sch\"{o}lkopf: $\alpha$-divergences in $O(n^2)$ \& more"


def _commands(value: str) -> set[str]:
    """Control words LaTeX would run in a value."""
    return set(re.findall(r"\\([A-Za-z]+)", value))


def test_bib_value_escapes_commands_outside_the_safe_subset():
    value = bib_value(HOSTILE)
    assert _commands(value) <= SAFE_COMMANDS, _commands(value) - SAFE_COMMANDS
    assert "^^" not in value
    assert "input/etc/passwd" in value                                 # shown as text, not dropped
    assert bib_value(r"$\input{x}$") == r"$\backslash{}input{x}$"      # in math too
    assert bib_value("trailing backslash \\").endswith(r"\textbackslash{}")


def test_bib_value_keeps_accents_and_math():
    assert bib_value(ALLOWED) == ALLOWED


def test_bibtex_export_neutralises_hostile_values_in_every_field(app, logged_in):
    add_papers(app.extensions["papersift.engine"], record(
        id="2401.00042", title=HOSTILE + " }, note = {\\input{/etc/shadow}",
        authors=[r"\input{/etc/passwd} Smith", r"Erd\H{o}s \write18{id}"],
        doi=r"10.1000/\input{x}", categories=["cs.LG"]))
    post(logged_in, "/library/papers/2401.00042/tag", {"tag": r"\input{/etc/hosts}"})
    text = logged_in.get("/library/export.bib").get_data(as_text=True)
    parsed = bibtexparser.parse_string(text)
    assert not parsed.failed_blocks
    [entry] = parsed.entries
    assert set(entry.fields_dict) == {"title", "author", "year", "eprint", "archivePrefix",
                                      "primaryClass", "url", "doi", "keywords"}   # nothing injected
    for field in entry.fields:
        assert _commands(field.value) <= SAFE_COMMANDS, (field.key, field.value)
        assert "^^" not in field.value
    assert "/etc/passwd" in entry.fields_dict["title"].value                # kept as text
    assert r"\H{o}" in entry.fields_dict["author"].value                   # the accent survives
