"""Scoring only the papers that can reach the page changes no page and no count."""

from __future__ import annotations

import random

import pytest

from recommend import search_postings, search_topk
from recommend.search import search
from recommend.search_query import parse_query
from tests.helpers.search import tiny_index

VOCABULARY = ["graph", "neural", "network", "message", "passing", "molecule", "protein",
              "language", "model", "retrieval", "generation", "robot", "grasp", "policy",
              "image", "segmentation", "diffusion"]
QUERIES = ["graph neural network", "neural network", "language model retrieval",
           "robot grasp policy image", "diffusion", "message passing molecule protein graph",
           "segmentation network model"]


@pytest.fixture(scope="module")
def random_index():
    rng = random.Random(7)
    texts = [(" ".join(rng.choices(VOCABULARY, k=rng.randint(2, 5))),
              " ".join(rng.choices(VOCABULARY, k=rng.randint(8, 30))) + ".")
             for _ in range(400)]
    return tiny_index(texts)


@pytest.mark.parametrize("dense_fraction", [8, 10_000])   # per-paper flags, binary searches
def test_pages_and_counts_are_those_of_scoring_every_paper(random_index, monkeypatch,
                                                           dense_fraction):
    monkeypatch.setattr(search_postings, "DENSE_FRACTION", dense_fraction)
    import recommend.search as engine
    monkeypatch.setattr(engine, "DENSE_FRACTION", dense_fraction)
    for text in QUERIES:
        q = parse_query(text)
        for sort in ("relevance", "date"):
            for offset, limit in ((0, 10), (0, 25), (30, 20), (100, 50)):
                monkeypatch.setattr(search_topk, "PRUNE", True)
                cut = search(random_index, q, sort=sort, offset=offset, limit=limit)
                monkeypatch.setattr(search_topk, "PRUNE", False)
                whole = search(random_index, q, sort=sort, offset=offset, limit=limit)
                assert cut == whole, (text, sort, offset)
                assert cut.hits or offset >= cut.total


def test_a_short_query_scores_only_the_papers_with_its_words_side_by_side(random_index,
                                                                         monkeypatch):
    scored = []
    original = search_topk.score_rows

    def counting(si, q, rows):
        scored.append(len(rows))
        return original(si, q, rows)

    monkeypatch.setattr(search_topk, "score_rows", counting)
    result = search(random_index, parse_query("neural network"), limit=10)
    assert result.all_words > 10 and result.total > result.all_words
    assert len(result.hits) == 10
    assert scored and scored[0] < result.all_words     # only the side-by-side tier
