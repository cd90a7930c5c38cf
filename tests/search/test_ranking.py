"""Ranking on small synthetic corpora: phrases, boosts, filters, paging, sorting."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from recommend.search import Filters, full_scores, search
from recommend.search_query import parse_query
from recommend.search_terms import TermTable
from tests.helpers.search import tiny_index

FILLER = "We report experiments on standard benchmarks and discuss limitations."


def ids(result) -> list[str]:
    return [pid for pid, _ in result.hits]


@pytest.fixture(scope="module")
def rl_index():
    texts = [
        ("Robots that plan", f"Learning to act well. Reinforcement signals from humans help. {FILLER}"),
        ("Agents in games", f"We apply reinforcement learning to board games. {FILLER}"),
        ("Language model alignment", f"Learning from feedback; reinforcement is sparse. {FILLER}"),
        ("Offline reinforcement learning", f"Policies trained from logged data. {FILLER}"),
        ("Image classification", f"Convolutional networks for images. {FILLER}"),
    ]
    return tiny_index(texts)


def test_adjacent_words_rank_above_words_apart(rl_index):
    result = search(rl_index, parse_query("reinforcement learning"))
    order = ids(result)
    assert result.total == 4
    assert set(order[:2]) == {"t1", "t3"}          # the two with the phrase
    assert set(order[2:]) == {"t0", "t2"}


def test_title_match_ranks_first_among_phrase_papers(rl_index):
    assert ids(search(rl_index, parse_query("reinforcement learning")))[0] == "t3"


def test_quoted_phrase_excludes_words_apart(rl_index):
    result = search(rl_index, parse_query('"reinforcement learning"'))
    assert sorted(ids(result)) == ["t1", "t3"]


def test_papers_with_every_word_rank_first_then_partial_matches(rl_index):
    result = search(rl_index, parse_query("convolutional images"))
    assert ids(result) == ["t4"] and result.all_words == 1
    result = search(rl_index, parse_query("reinforcement images"))   # no paper has both
    assert result.all_words == 0
    assert set(ids(result)) == {"t0", "t1", "t2", "t3", "t4"}


def test_a_question_finds_papers_holding_enough_of_its_words(rl_index):
    result = search(rl_index, parse_query("how do robots plan with images of board games"))
    # robots, plan, images, board, games: no paper holds all five; t0 and t1 hold two each
    assert result.all_words == 0 and result.total > 0
    assert set(ids(result)[:2]) == {"t0", "t1"}


def test_word_forms_find_the_same_papers(rl_index):
    a = search(rl_index, parse_query("robot planning"))
    b = search(rl_index, parse_query("robots that plan"))
    assert ids(a) == ids(b) and ids(a)[0] == "t0"


def test_words_found_nowhere_are_reported(rl_index):
    result = search(rl_index, parse_query("reinforcement zzyzx"))
    assert result.missing == ("zzyzx",)
    assert sorted(ids(result)) == ["t0", "t1", "t2", "t3"]   # the known word still finds papers
    assert result.all_words == 0


@pytest.fixture(scope="module")
def people_index():
    texts = [(f"Paper {i} on graphs", f"Graph methods number {i}. {FILLER}") for i in range(6)]
    authors = [("Geoffrey Hinton",), ("Yann LeCun",), ("Ada Lovelace", "Geoffrey Hinton"),
               ("Alan Turing",), ("José Álvarez",), ("Graph Person",)]
    cats = [("cs.LG",), ("cs.CV", "cs.LG"), ("cs.AI",), ("cs.LG",), ("cs.CV",), ("stat.ML",)]
    dates = [date(2019, 5, 1), date(2020, 5, 1), date(2021, 5, 1), date(2022, 5, 1),
             date(2023, 5, 1), date(2024, 5, 1)]
    return tiny_index(texts, authors=authors, categories=cats, dates=dates)


def test_author_surname_finds_their_papers_even_without_the_word_in_the_text(people_index):
    assert sorted(ids(search(people_index, parse_query("hinton")))) == ["t0", "t2"]
    assert ids(search(people_index, parse_query("alvarez"))) == ["t4"]


def test_author_names_boost(people_index):
    # every paper has "graph" in its text; the one by "Graph Person" ranks first
    assert ids(search(people_index, parse_query("graph")))[0] == "t5"


def test_author_filter(people_index):
    assert sorted(ids(search(people_index, parse_query('author:"geoffrey hinton" graphs')))) == ["t0", "t2"]
    assert ids(search(people_index, parse_query("author:lecun"))) == ["t1"]
    assert ids(search(people_index, parse_query("author:nobody graphs"))) == []


def test_category_and_year_filters_narrow(people_index):
    everything = search(people_index, parse_query("graphs"))
    assert everything.total == 6
    assert sorted(ids(search(people_index, parse_query("graphs cat:cs.LG")))) == ["t0", "t1", "t3"]
    assert sorted(ids(search(people_index, parse_query("graphs cat:cs.lg year:2020-2022")))) == ["t1", "t3"]
    assert ids(search(people_index, parse_query("graphs year:2023"))) == ["t4"]
    assert ids(search(people_index, parse_query("graphs year:2023 year:2019"))) == []
    assert ids(search(people_index, parse_query("id:0000.00001"))) == []


def test_page_filters_combine_with_the_query(people_index):
    q = parse_query("graphs")
    cv = search(people_index, q, Filters(categories=("cs.CV",)))
    assert sorted(ids(cv)) == ["t1", "t4"]
    recent = search(people_index, q, Filters(since=date(2022, 1, 1)))
    assert sorted(ids(recent)) == ["t3", "t4", "t5"]
    assert ids(search(people_index, q, Filters(since=date(2022, 1, 1), until=date(2023, 1, 1)))) == ["t3"]


def test_sort_by_date_and_paging(people_index):
    q = parse_query("graphs")
    newest = search(people_index, q, sort="date")
    assert ids(newest) == ["t5", "t4", "t3", "t2", "t1", "t0"]
    pages = [ids(search(people_index, q, sort="date", offset=o, limit=2)) for o in (0, 2, 4, 6)]
    assert pages == [["t5", "t4"], ["t3", "t2"], ["t1", "t0"], []]
    by_score = [ids(search(people_index, q, offset=o, limit=2)) for o in (0, 2, 4)]
    assert sum(by_score, []) == ids(search(people_index, q))
    with pytest.raises(ValueError):
        search(people_index, q, sort="random")


def test_exact_title_wins():
    texts = [("Attention is all you need", "Transformers everywhere. " + FILLER),
             ("Attention needs more", "Attention you need is all attention here. Needs. " + FILLER),
             ("All you need is attention and love", "Attention. " + FILLER)]
    si = tiny_index(texts)
    assert ids(search(si, parse_query("attention is all you need")))[0] == "t0"
    assert ids(search(si, parse_query("ATTENTION, is all you need!")))[0] == "t0"


def test_scores_agree_with_the_full_matrix_baseline(rl_index):
    q = parse_query("reinforcement learning")
    full = full_scores(rl_index, q)
    text_only = np.argsort(-full, kind="stable")[:2]
    assert {f"t{i}" for i in text_only} == {"t1", "t3"}


def test_term_table_lookup_and_prefix_range():
    packed = TermTable.pack(sorted(["alpha", "alphabet", "beta", "béta", "gamma ray", "zeta"]))
    unhashed = TermTable(packed.blob, packed.offsets)
    for table in (packed, unhashed):
        assert table.find("beta") == 2 and table.find("béta") == 3 and table.find("delta") is None
        assert table.find("gamma ray") == 4 and table.find("zzz") is None and table.find("") is None
        lo, hi = table.prefix_range("alpha")
        assert table[lo:hi] == ["alpha", "alphabet"]
    assert len(TermTable.pack([])) == 0 and TermTable.pack([]).find("x") is None


def test_sparse_and_dense_paths_agree(rl_index):
    from recommend import search_postings, search_score

    q = parse_query("reinforcement learning policies")
    columns = [j for j in (rl_index.terms.find(t) for t in q.terms) if j is not None]
    weights = [rl_index.idf(j) for j in columns]
    rows = np.array([0, 1, 3])
    sparse_sums = search_score._term_sums_sparse(rl_index, columns, weights, rows)
    dense_sums = search_score._term_sums_dense(rl_index, columns, weights, rows)
    for a, b in zip(sparse_sums, dense_sums, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    sets = [np.array([0, 1, 3]), np.array([1, 2, 3, 4]), np.array([3, 1])[::-1].copy()]
    assert search_postings.intersect(sets, 5).tolist() == [1, 3]          # counting (dense)
    assert search_postings.intersect(sets, 10_000).tolist() == [1, 3]     # binary search (sparse)
    assert search_postings.intersect([], 3).tolist() == [0, 1, 2]


def test_all_words_only_leaves_out_partial_matches(rl_index):
    ranked = search(rl_index, parse_query("reinforcement images"))
    strict = search(rl_index, parse_query("reinforcement images"), all_words=True)
    assert ranked.total == 5 and strict.total == 0
    assert ids(search(rl_index, parse_query("convolutional images"), all_words=True)) == ["t4"]


def test_pages_inside_and_across_the_every_word_papers_agree_with_the_whole_ranking(rl_index):
    q = parse_query("reinforcement learning signals")
    whole = search(rl_index, q, limit=10)
    assert 0 < whole.all_words < whole.total
    for offset, limit in ((0, 1), (0, whole.all_words), (whole.all_words - 1, 2), (1, 3)):
        page = search(rl_index, q, offset=offset, limit=limit)
        assert ids(page) == ids(whole)[offset:offset + limit]
        assert (page.total, page.all_words) == (whole.total, whole.all_words)


def test_generalization_is_not_drowned_by_general():
    general = [(f"A general model {i}", f"A general model that generally works. {FILLER}")
               for i in range(8)]
    wanted = [("On the Generalization of Diffusion Model",
               f"We study how diffusion models generalize beyond training data. {FILLER}")]
    si = tiny_index(general + wanted)
    assert ids(search(si, parse_query("model generalization")))[0] == "t8"
    assert ids(search(si, parse_query("models that generalize")))[0] == "t8"
