"""Past a corpus size, similar papers are looked for among the papers sharing a paper's
heavier terms: an approximation that finds nearly all the papers scoring every one finds,
each with its exact score."""

from __future__ import annotations

import numpy as np

import services.papers
from recommend.row_reads import FileSlices
from recommend.search_postings import FeaturePostings, posting, rows_with, search_index
from recommend.search_terms import TermTable
from recommend.similar import shared_term_rows
from services.papers import similar_papers
from web.services import current_index


def test_similar_papers_among_shared_terms_are_nearly_those_of_scoring_every_paper(sample_app,
                                                                             monkeypatch):
    with sample_app.app_context():
        index = current_index()
        conn = sample_app.extensions["papersift.engine"].connect()
        ids = [str(index.ids[r]) for r in np.random.default_rng(3).choice(len(index), 40)]
        everyone = {pid: similar_papers(conn, index, pid) for pid in ids}
        monkeypatch.setattr(services.papers, "SIMILAR_SCAN_ALL", 0)
        monkeypatch.setattr(services.papers, "SIMILAR_CANDIDATES", 800)
        found = wanted = 0
        for pid in ids:
            shared = similar_papers(conn, index, pid)
            truth = {s.paper.id: s.score for s in everyone[pid]}
            assert shared[0].paper.id == everyone[pid][0].paper.id, pid
            assert all(abs(s.score - truth[s.paper.id]) < 1e-6
                       for s in shared if s.paper.id in truth)
            found += len(truth.keys() & {s.paper.id for s in shared})
            wanted += len(truth)
        assert found >= 0.95 * wanted, (found, wanted)
        conn.close()


def test_the_candidates_stay_within_the_budget(sample_app):
    with sample_app.app_context():
        index = current_index()
        si = search_index(index)
        for row in range(0, len(index), 97):
            rows = shared_term_rows(index.matrix, row, si.feature_postings.rows, 300)
            assert row in rows and len(rows) <= 300
            assert np.all(np.diff(rows) > 0)


def test_a_loaded_index_reads_the_candidates_from_files_as_through_the_mappings(sample_app):
    """The paper page's look-ups (each feature term's search column, found in the term
    table, and its rows) read from the parts' files give the candidates the mappings give,
    the first time a term is looked up and once its column is kept."""
    with sample_app.app_context():
        index = current_index()
        si = search_index(index)
        for table in (si.terms, si.words, si.author_terms, si.cat_terms):
            assert table.read_files and isinstance(table._lookup.offsets, FileSlices)
        assert isinstance(si.text_reads.indptr, FileSlices)
        assert isinstance(si.text_reads.indices, FileSlices)
        through_maps = TermTable(si.terms.blob, si.terms.offsets, si.terms.hashes,
                                 si.terms.hash_pos)

        def mapped_rows(j: int, at_most: int) -> np.ndarray:
            return rows_with(si.text, through_maps, str(index.vocabulary[j]))

        postings = FeaturePostings(si, index.vocabulary)
        for budget in (300, 5000):
            for row in range(0, len(index), 37):
                want = shared_term_rows(index.matrix, row, mapped_rows, budget)
                np.testing.assert_array_equal(
                    shared_term_rows(index.matrix, row, postings.rows, budget), want)
        for j in range(0, si.text.shape[1], 101):
            np.testing.assert_array_equal(si.text_reads.rows(j), posting(si.text, j)[0])
            n = len(posting(si.text, j)[0])
            assert si.text_reads.rows(j, n) is not None
            assert n == 0 or si.text_reads.rows(j, n - 1) is None
        for j in range(0, len(index.vocabulary), 13):
            assert postings.search_column(j) == through_maps.find(str(index.vocabulary[j]))
