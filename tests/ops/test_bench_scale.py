"""bench/scale.py's --full-texts: the papers given a full text hold it in the store, as an
extraction leaves it, and the build indexes it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from config import load_settings
from recommend.text import analyze
from store.db import make_engine
from store.fulltext import get_text, with_text_count
from store.index_docs import index_doc_ids, index_docs_by_id
from tests.helpers.paths import ROOT

PAPERS, FULL_TEXTS = 200, 20


def _load_scale(monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))     # the bench adds its own folders
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_scale", module)
    spec.loader.exec_module(module)
    return module


def _word_only_in(text: str, others: list[str]) -> str:
    """A word of `text` none of whose analysed terms occurs in any of `others`."""
    elsewhere = set().union(*(analyze(t) for t in others))
    for word in sorted(set(text.lower().split())):
        terms = set(analyze(word))      # none for a stop word
        if word.isalpha() and terms and not terms & elsewhere:
            return word
    raise AssertionError("every word of the full text occurs elsewhere")


def test_full_texts_are_stored_as_extracted_and_indexed(tmp_path: Path, monkeypatch) -> None:
    scale = _load_scale(monkeypatch)
    where = tmp_path / "scale"
    assert scale.cache_dir(PAPERS, tmp_path, FULL_TEXTS).name == "scale-200-ft20"
    figures, ran = scale.build(PAPERS, where, ("import", "fulltext", "index"), FULL_TEXTS)
    assert ran == {"import", "fulltext", "index"}
    assert figures["fulltext"]["output"][0].startswith("20 full texts")
    settings = load_settings({}, data_dir=str(where / "data"))
    engine = make_engine(settings)
    with engine.connect() as conn:
        assert with_text_count(conn) == FULL_TEXTS
        docs = index_docs_by_id(conn, index_doc_ids(conn))
        with_text = [d for d in docs if d.fulltext is not None]
        assert len(with_text) == FULL_TEXTS
        assert all(30_000 <= len(get_text(conn, d.id)) <= 65_000 for d in with_text)
    engine.dispose()
    meta = json.loads((settings.index_dir / "current" / "meta.json").read_text())
    assert meta["n_docs"] == PAPERS and meta["n_fulltext"] == FULL_TEXTS

    paper = with_text[0]
    others = [f"{d.title} {d.abstract}" for d in docs] + [d.fulltext for d in with_text[1:]]
    word = _word_only_in(paper.fulltext, others)
    found = subprocess.run([str(ROOT / ".venv" / "bin" / "papersift"), "search", "--json", word],
                           env={"PATH": "/usr/bin:/bin", "PAPERSIFT_DATA_DIR": str(where / "data")},
                           capture_output=True, text=True, check=True)
    assert [r["id"] for r in json.loads(found.stdout)["results"]] == [paper.id]
