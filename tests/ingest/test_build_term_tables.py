"""The full build's term tables made the fast way (numpy merge rounds, hashes from worker
processes, titles looked up all at once) give the index the term-at-a-time code gave,
byte for byte."""

from __future__ import annotations

from pathlib import Path

from ingest import indexing
from recommend import search_build, search_runs, term_hashes, term_union
from recommend.search_terms import TermTable
from tests.helpers import term_reference

from .test_one_pass_build import _assert_same_version, _version, docs  # noqa: F401


def test_fast_term_tables_build_the_version_the_reference_builds(docs, tmp_path: Path,  # noqa: F811
                                                                  monkeypatch) -> None:
    builders = indexing.extra_builders()
    # small rounds and keys, tasks and a pool for any table: every path runs on this corpus
    with monkeypatch.context() as patch:
        patch.setattr(term_union, "MERGE_HELD", 1)
        patch.setattr(term_union, "KEY_BYTES", 8)
        patch.setattr(term_hashes, "PARALLEL_MIN_TERMS", 1)
        patch.setattr(term_hashes, "HASH_TASK_TERMS", 997)
        patch.setattr(search_runs, "RUN_BUDGET_BYTES", 1)   # every chunk spilled
        patch.setattr(search_runs, "CHUNK_DOCS", 13)
        fast = _version(tmp_path / "fast", docs, builders)
    with monkeypatch.context() as patch:
        for module in (search_build, search_runs):
            patch.setattr(module, "merge_terms", term_reference.merge_terms)
        patch.setattr(search_build, "hashing", term_reference.hashing)
        patch.setattr(TermTable, "positions_of", term_reference.positions_of)
        patch.setattr(search_runs, "RUN_BUDGET_BYTES", 1)
        patch.setattr(search_runs, "CHUNK_DOCS", 13)
        reference = _version(tmp_path / "reference", docs, builders)
    _assert_same_version(fast, reference)
