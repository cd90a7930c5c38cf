"""A common quoted phrase reads only the texts that can reach the page, and the page is the
one that checking every candidate's text gives."""

from __future__ import annotations

import random

import pytest

import recommend.search as engine
from recommend.search import search
from recommend.search_query import parse_query
from recommend.text import document
from recommend.trend_query import text_holds
from tests.helpers.search import tiny_index

WORDS = ["graph", "neural", "network", "model", "language", "retrieval", "policy", "image"]


@pytest.fixture(scope="module")
def corpus():
    rng = random.Random(11)
    texts = [(" ".join(rng.choices(WORDS, k=3)), " ".join(rng.choices(WORDS, k=20)) + ".")
             for _ in range(600)]
    return tiny_index(texts), {f"t{i}": document(*t) for i, t in enumerate(texts)}


def _reader(texts: dict[str, str], phrases, read: list[int]):
    def verify(ids: list[str]) -> set[str]:
        read.append(len(ids))
        return {pid for pid in ids if all(text_holds(texts[pid], seq) for seq in phrases)}
    return verify


@pytest.mark.parametrize("query", ['"neural network"', '"graph neural network" model',
                                   '"language model"'])
@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_a_common_phrase_gives_the_page_of_checking_every_text(corpus, monkeypatch, query, sort):
    si, texts = corpus
    q = parse_query(query)
    for offset, limit in ((0, 10), (20, 25), (100, 30)):
        read_all: list[int] = []
        monkeypatch.setattr(engine, "VERIFY_ALL", 100_000)
        whole = search(si, q, sort=sort, offset=offset, limit=limit,
                       verify=_reader(texts, q.exact, read_all))
        read_page: list[int] = []
        monkeypatch.setattr(engine, "VERIFY_ALL", 5)
        monkeypatch.setattr(engine, "VERIFY_BATCH", 7)
        lazy = search(si, q, sort=sort, offset=offset, limit=limit,
                      verify=_reader(texts, q.exact, read_page))
        assert lazy.hits == whole.hits, (query, sort, offset)
        assert all(text_holds(texts[pid], seq) for pid, _ in lazy.hits for seq in q.exact)
        if sum(read_page) < sum(read_all):   # not every text read: the total is an estimate
            assert lazy.estimated and not whole.estimated
            assert abs(lazy.total - whole.total) <= 0.5 * whole.total
        else:
            assert lazy.total == whole.total


def test_a_common_phrase_reads_a_page_of_texts_not_every_candidate(corpus, monkeypatch):
    si, texts = corpus
    q = parse_query('"neural network"')
    monkeypatch.setattr(engine, "VERIFY_ALL", 5)
    monkeypatch.setattr(engine, "VERIFY_BATCH", 10)
    read: list[int] = []
    result = search(si, q, limit=10, verify=_reader(texts, q.exact, read))
    assert len(result.hits) == 10
    assert sum(read) < result.total / 2
    assert result.estimated


def test_few_candidates_are_all_read_and_counted_exactly(corpus):
    si, texts = corpus
    q = parse_query('"retrieval policy image"')
    read: list[int] = []
    result = search(si, q, limit=10, verify=_reader(texts, q.exact, read))
    assert not result.estimated
    assert result.total == sum(all(text_holds(t, seq) for seq in q.exact)
                               for t in texts.values())
