"""`papersift index` after the store changed: an incremental update of the current version,
or a full refit when the drift or the vocabulary's age passes its limit (or when asked);
what it says; and that no change in the store is ever lost between updates."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, update

from domain.index_files import current_version
from ingest import indexing
from ingest.pipeline import import_files
from recommend.index import load_index
from recommend.index_update import NeedsFullBuild
from recommend.search import build_search_parts
from recommend.text import analyze
from recommend.trend_update import update_trend_parts
from recommend.trends import TrendTable, trend_builder
from store.fulltext import record_result
from store.index_delta import stored_paper_ids
from store.papers import upsert_papers
from store.schema import papers
from tests.factories import add_papers, record
from tests.helpers.paths import trimmed_sample

N_PAPERS = 200

# every part with an updater (the search postings' updater is registered separately)
UPDATABLE = [("trends", trend_builder, update_trend_parts)]


@pytest.fixture(autouse=True)
def updatable_parts(monkeypatch) -> None:
    monkeypatch.setattr(indexing, "EXTRA_BUILDERS", list(UPDATABLE))


@pytest.fixture
def make_store(make_app, tmp_path: Path):
    """An app over the first N_PAPERS sample papers, indexed once (a full build)."""
    trimmed = trimmed_sample(tmp_path, N_PAPERS)

    def make(**settings):
        app = make_app(**settings)
        engine = app.extensions["papersift.engine"]
        import_files(engine, [trimmed], progress=False)
        first = indexing.build(engine, app.config["SETTINGS"])
        assert first.built and not first.updated
        assert "(full refit: no current index)" in first.summary()
        return app, engine, app.config["SETTINGS"]
    return make


def _new_papers(n: int, month: int = 6) -> list:
    return [record(id=f"2606.{i:05d}", title=f"Sparse attention for long documents, part {i}",
                   abstract="We study sparse attention and state space models for long inputs.",
                   categories=["cs.CL", "cs.LG"], published=datetime(2026, month, 1 + i))
            for i in range(n)]


def test_new_papers_update_the_current_version(make_store) -> None:
    app, engine, settings = make_store()
    base = load_index(settings.index_dir)
    add_papers(engine, *_new_papers(4))
    result = indexing.build(engine, settings)
    assert result.built and result.updated
    text = result.summary()
    assert text.startswith(f"Updated {result.info.version}: +4 new, 0 revised, 0 removed in ")
    assert f"({N_PAPERS + 4:,} papers); vocabulary fitted less than an hour ago" in text
    assert text.endswith("drift 2.0% of 5%")
    index = load_index(settings.index_dir)
    assert [str(i) for i in index.ids] == [str(i) for i in base.ids] + [
        f"2606.{i:05d}" for i in range(4)]
    assert index.meta["base_version"] == base.version == index.meta["refit_version"]
    table = TrendTable.from_index(index)
    row = table.row(analyze("attention")[0])
    assert row is not None, "the sample papers hold 'attention'"
    assert table.months[-1] == np.datetime64("2026-06") and table.totals[-1] == 4
    assert table.counts[row, len(table.months) - 1] == 4
    again = indexing.build(engine, settings)
    assert not again.built and "not rebuilt" in again.summary()


def test_revised_and_deleted_papers(make_store) -> None:
    app, engine, settings = make_store()
    base = load_index(settings.index_dir)
    revised_id, deleted_id = str(base.ids[3]), str(base.ids[7])
    with engine.begin() as conn:
        conn.execute(update(papers).where(papers.c.id == revised_id).values(
            abstract="A revised abstract about quantum annealing.", version=9,
            modified=datetime.now() + timedelta(seconds=1)))
        conn.execute(delete(papers).where(papers.c.id == deleted_id))
    result = indexing.build(engine, settings)
    assert result.updated, result.summary()
    assert "+0 new, 1 revised, 1 removed" in result.summary()
    index = load_index(settings.index_dir)
    assert len(index) == N_PAPERS - 1
    assert index.row(deleted_id) is None
    assert index.row(revised_id) == len(index) - 1          # re-added at the end
    _assert_generic_flags_of_a_full_build(engine, settings, index)


def _assert_generic_flags_of_a_full_build(engine, settings, updated) -> None:
    """The update stored generic flags, and each of its terms has the flag a full build
    over the same papers gives it (a full build refits the term set: the shared terms)."""
    table = TrendTable.from_index(updated)
    assert table is not None and table.generic_flags is not None
    assert indexing.build(engine, settings, full=True).built
    full = TrendTable.from_index(load_index(settings.index_dir))
    assert full is not None and full.generic_flags is not None
    assert [str(i) for i in full.ids] != [str(i) for i in table.ids]    # rows differ: by term
    shared = [(i, full.row(table.term(i))) for i in range(table.n_terms)]
    shared = [(i, r) for i, r in shared if r is not None]
    assert len(shared) > table.n_terms // 2
    assert [bool(table.generic[i]) for i, _ in shared] == [bool(full.generic[r]) for _, r in shared]
    assert any(table.generic[i] for i, _ in shared) and not all(table.generic[i] for i, _ in shared)


def test_a_full_text_becoming_ok_revises_the_paper(make_store) -> None:
    app, engine, settings = make_store()
    pid = str(load_index(settings.index_dir).ids[0])
    with engine.begin() as conn:
        record_result(conn, pid, 1, status="ok", text="Section one. Sparse attention for long documents.")
    result = indexing.build(engine, settings)
    assert "+0 new, 1 revised, 0 removed" in result.summary()
    assert load_index(settings.index_dir).meta["n_fulltext"] == 1


def test_drift_over_the_limit_refits(make_store) -> None:
    app, engine, settings = make_store(index_refit_drift=0.01)
    add_papers(engine, *_new_papers(3))
    result = indexing.build(engine, settings)
    assert result.built and not result.updated
    assert result.summary().endswith("(full refit: drift 1.5% over 1.0%)")
    index = load_index(settings.index_dir)
    assert "base_version" not in index.meta and index.meta["refit_docs"] == N_PAPERS + 3


def test_drift_adds_up_over_updates_until_a_refit(make_store) -> None:
    app, engine, settings = make_store(index_refit_drift=0.03)
    add_papers(engine, *_new_papers(4))
    assert indexing.build(engine, settings).updated                      # 2.0%
    add_papers(engine, *[record(id=f"2607.{i:05d}", published=datetime(2026, 7, 1))
                         for i in range(4)])
    result = indexing.build(engine, settings)                            # 4.0% > 3%
    assert not result.updated and "drift 4.0% over 3.0%" in result.summary()


def test_an_old_vocabulary_refits(make_store) -> None:
    app, engine, settings = make_store(index_refit_days=0)
    add_papers(engine, *_new_papers(2))
    result = indexing.build(engine, settings)
    assert not result.updated
    assert "(full refit: vocabulary fitted 0.0 days ago, refit every 0 days)" in result.summary()


def test_a_part_without_updater_means_a_full_build(make_store, monkeypatch) -> None:
    app, engine, settings = make_store()
    monkeypatch.setattr(indexing, "EXTRA_BUILDERS",
                        [("search", build_search_parts, None), *UPDATABLE])
    add_papers(engine, *_new_papers(2))
    result = indexing.build(engine, settings)
    assert not result.updated
    assert "(full refit: an index part has no incremental updater)" in result.summary()


def test_a_part_that_cannot_be_carried_forward_means_a_full_build(make_store, monkeypatch
                                                                  ) -> None:
    """An updater that finds the current version lacks what it reads (NeedsFullBuild) makes
    `build` refit in full and say why, instead of failing."""
    app, engine, settings = make_store()

    def lacks_state(base, keep, new_docs, new_index):
        raise NeedsFullBuild(f"{base.version} was built without the state this part reads")

    monkeypatch.setattr(indexing, "EXTRA_BUILDERS",
                        [*UPDATABLE, ("search", build_search_parts, lacks_state)])
    base = current_version(settings.index_dir)
    add_papers(engine, *_new_papers(2))
    result = indexing.build(engine, settings)
    assert result.built and not result.updated
    assert (f"(full refit: {base} was built without the state this part reads)"
            in result.summary())
    index = load_index(settings.index_dir)
    with engine.connect() as conn:
        stored = set(stored_paper_ids(conn))
    # every stored paper, each with its own text: the refit reads nothing the update left
    assert set(index.ids) == stored and index.row("2606.00001") is not None
    indexing.build(engine, settings, force=True)
    again = load_index(settings.index_dir)
    assert list(again.ids) == list(index.ids)
    assert (again.matrix != index.matrix).nnz == 0


def test_index_full_and_force_refit(make_store) -> None:
    app, engine, settings = make_store()
    runner = app.test_cli_runner()
    add_papers(engine, *_new_papers(2))
    out = runner.invoke(args=["index", "--full"])
    assert out.exit_code == 0, out.output
    assert "Built v" in out.output and "(full refit: asked for (--full))" in out.output
    out = runner.invoke(args=["index"])
    assert "not rebuilt" in out.output
    out = runner.invoke(args=["index", "--force"])
    assert "(full refit: asked for (--force))" in out.output


def test_status_says_when_the_vocabulary_was_fitted(make_store) -> None:
    app, engine, settings = make_store()
    add_papers(engine, *_new_papers(2))
    indexing.build(engine, settings)
    out = app.test_cli_runner().invoke(args=["status"])
    line = next(x for x in out.output.splitlines() if "vocabulary fitted" in x)
    index = load_index(settings.index_dir)
    assert f"({index.meta['refit_version']}; refit every 7 days), drift 1.0% of 5%" in line
    assert f"updated incrementally from {index.meta['base_version']}" in line


def test_a_change_during_the_update_is_picked_up_by_the_next(make_store, monkeypatch) -> None:
    """The update reads one snapshot; a paper stored while it runs comes after its
    high-water mark, so the next update reads it."""
    app, engine, settings = make_store()
    late = record(id="2606.09999", title="Stored while the index was being updated",
                  published=datetime(2026, 6, 30))

    def store_late_paper(base, keep, new_docs, new_index):
        if current_version(settings.index_dir) == base.version and late.id not in new_index.row_of:
            add_papers(engine, late)
        return update_trend_parts(base, keep, new_docs, new_index)

    monkeypatch.setattr(indexing, "EXTRA_BUILDERS", [("trends", trend_builder, store_late_paper)])
    add_papers(engine, *_new_papers(2))
    first = indexing.build(engine, settings)
    assert first.updated and load_index(settings.index_dir).row(late.id) is None
    second = indexing.build(engine, settings)
    assert second.updated, second.summary()
    assert load_index(settings.index_dir).row(late.id) is not None


def test_papers_stamped_at_the_high_water_mark_are_not_missed(make_store) -> None:
    """Writers stamp a batch with one time: a second batch with the same stamp, committed
    after the index read the first, is read by the next update (ties are re-read)."""
    app, engine, settings = make_store()
    stamp = datetime.now() + timedelta(minutes=1)
    first_batch, second_batch = _new_papers(2), _new_papers(4)[2:]
    with engine.begin() as conn:
        upsert_papers(conn, first_batch, now=stamp)
    assert indexing.build(engine, settings).updated
    with engine.begin() as conn:
        upsert_papers(conn, second_batch, now=stamp)
    result = indexing.build(engine, settings)
    assert result.updated
    index = load_index(settings.index_dir)
    assert all(index.row(r.id) is not None for r in first_batch + second_batch)
    assert len(index) == N_PAPERS + 4
