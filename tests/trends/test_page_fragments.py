"""The trends page's parts that only change with the index version (the hot lists and the
papers per month and category) are rendered once and kept in the shared cache, and a new
index version renders them anew."""

from __future__ import annotations

import json
from datetime import datetime

from bs4 import BeautifulSoup
from flask import template_rendered

from tests.factories import add_papers, record
from tests.trends.conftest import SMALL_IDS, _app, _as_datetime
from tests.trends.corpus import small_docs


def _renders(app, name: str) -> list[str]:
    """The names of the templates `app` renders (while the list is referenced)."""
    seen: list[str] = []

    def note(sender, template, context, **extra):
        if template.name == name:
            seen.append(template.name)

    template_rendered.connect(note, app, weak=False)
    return seen


def test_a_new_index_version_shows_new_lists_and_totals(tmp_path):
    from ingest import indexing

    app = _app(tmp_path)
    engine = app.extensions["papersift.engine"]
    add_papers(engine, *[record(id=SMALL_IDS[d.id], title=d.text, abstract="-",
                                categories=list(d.categories), published=_as_datetime(d.published))
                         for d in small_docs()])
    indexing.build(engine, app.config["SETTINGS"], force=True)
    client = app.test_client()

    def page() -> tuple[dict, list[str]]:
        soup = BeautifulSoup(client.get("/trends?min_support=1").data, "html.parser")
        hot = [a.get_text() for a in soup.select(".hot-list a.hot-term")]
        return json.loads(soup.select_one("#category-data").string), hot

    hot_renders = _renders(app, "trends/_hot_lists.html")
    totals, hot = page()
    assert totals["total"] == [2, 3, 3, 0, 1] and len(hot_renders) == 1
    assert page() == (totals, hot) and len(hot_renders) == 1          # served from the cache
    add_papers(engine, *[record(id=f"2404.0000{i}", title="quantum annealing schedules for sparse solvers",
                                abstract="-", categories=["cs.LG"], published=datetime(2024, 4, 2 + i))
                         for i in range(1, 4)])
    indexing.build(engine, app.config["SETTINGS"], force=True)
    app.extensions["papersift.index"].reload()       # as a worker does within seconds
    new_totals, new_hot = page()
    assert new_totals["months"][-1] == "2024-04" and new_totals["total"][-1] == 3
    assert len(hot_renders) == 2                                      # the new version's lists
    api = client.get("/api/hot?min_support=1").get_json()
    assert new_hot == [item["term"] for key in ("hot", "cooling", "emerging") for item in api[key]]
    engine.dispose()
