"""Search quality on the bundled sample corpus (4,001 real arXiv papers), through the API."""

from __future__ import annotations

import pytest

from recommend.search_query import author_tokens
from recommend.text import analyze, document, stem


def api(client, **params) -> dict:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def result_ids(body: dict) -> list[str]:
    return [r["paper"]["id"] for r in body["results"]]


@pytest.mark.parametrize("n", [0, 7, 123, 1000, 2500, 3999])
def test_exact_title_returns_that_paper_first(sample_client, sample_records, n):
    record = sample_records[n]
    assert result_ids(api(sample_client, q=record["title"]))[0] == record["id"]


@pytest.mark.parametrize("surname", ["tiwari", "neumann", "yamada", "schmidt"])
def test_author_surname_returns_their_papers_first(sample_client, sample_records, surname):
    theirs = {r["id"] for r in sample_records
              if any(surname in author_tokens(a) for a in r["authors"])}
    body = api(sample_client, q=surname.capitalize(), per_page=50)
    assert set(result_ids(body)[:len(theirs)]) == theirs


def test_bigram_ranks_papers_with_the_phrase_above_words_apart(sample_client, sample_records):
    def has_phrase(r):
        return "reinforc learn" in analyze(document(r["title"], r["summary"]))

    by_id = {r["id"]: r for r in sample_records}
    body = api(sample_client, q="reinforcement learning", per_page=200)
    ranked = [has_phrase(by_id[i]) for i in result_ids(body)]
    both = [{"reinforc", "learn"} <= set(analyze(r["title"] + " " + r["summary"]))
            for r in sample_records]
    apart = sum(1 for r, b in zip(sample_records, both, strict=True) if b and not has_phrase(r))
    # "RL" is learned from the sample as this phrase's acronym: it counts as both words
    acronym_only = sum(1 for r, b in zip(sample_records, both, strict=True)
                       if not b and "rl" in analyze(r["title"] + " " + r["summary"]))
    assert body["also_searched"] == ["RL"]
    assert apart > 0 and body["all_words"] == sum(map(has_phrase, sample_records)) + apart + \
        acronym_only
    assert body["total"] > body["all_words"]   # papers with one of the words follow
    first_apart = ranked.index(False) if False in ranked else len(ranked)
    assert all(ranked[:first_apart]) and not any(ranked[first_apart:])
    assert first_apart == min(len(ranked), sum(map(has_phrase, sample_records)))
    assert first_apart >= 150


def test_filters_narrow_and_hold(sample_client):
    everything = api(sample_client, q="segmentation", per_page=200)
    in_cl = api(sample_client, q="segmentation cat:cs.CL", per_page=200)
    via_param = api(sample_client, q="segmentation", cat="cs.CL", per_page=200)
    assert 0 < in_cl["total"] < everything["total"]
    assert result_ids(in_cl) == result_ids(via_param)
    assert all("cs.CL" in r["paper"]["categories"] for r in in_cl["results"])
    year = api(sample_client, q="segmentation year:2026", per_page=200)
    assert 0 < year["total"] < everything["total"]
    assert all(r["paper"]["published"].startswith("2026") for r in year["results"])
    month = api(sample_client, q="segmentation", window="month", per_page=200)
    assert 0 < month["total"] < everything["total"]


def test_sort_by_date_is_newest_first(sample_client):
    body = api(sample_client, q="diffusion", sort="date", per_page=100)
    dates = [r["paper"]["published"] for r in body["results"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 100


def test_paging_walks_the_ranking(sample_client):
    one = result_ids(api(sample_client, q="language model", per_page=10))
    two = result_ids(api(sample_client, q="language model", per_page=10, page=2))
    both = result_ids(api(sample_client, q="language model", per_page=20))
    assert one + two == both and not set(one) & set(two)


def test_snippets_contain_the_query_words(sample_client):
    body = api(sample_client, q="contrastive learning", per_page=30)
    for result in body["results"]:
        marked = {stem(s["text"].lower()) for s in result["snippet"] if s["hit"]}
        in_abstract = {"contrast", "learn"} & set(analyze(result["paper"]["abstract"]))
        assert marked <= {"contrast", "learn"}
        assert bool(marked) == bool(in_abstract)  # a title-only match has nothing to mark
    assert sum(1 for r in body["results"] if any(s["hit"] for s in r["snippet"])) >= 25


def test_misspelling_suggests_the_word(sample_client):
    body = api(sample_client, q="tranformer")
    assert body["total"] == 0 and body["missing"] == ["tranformer"]
    assert "transformer" in body["suggestions"]


@pytest.mark.parametrize(("a", "b"), [("graph neural networks", "graph neural network"),
                                      ("transformers", "transformer"),
                                      ("diffusion models", "diffusion model")])
def test_word_forms_share_their_top_50(sample_client, a, b):
    top_a = result_ids(api(sample_client, q=a, per_page=50))
    top_b = result_ids(api(sample_client, q=b, per_page=50))
    assert len(set(top_a) & set(top_b)) >= 0.8 * 50


def test_a_question_in_plain_words_finds_papers(sample_client):
    body = api(sample_client, q="how do robots learn to grasp objects", per_page=10)
    assert body["total"] > 0 and len(body["results"]) == 10
    assert {"how", "do", "to"} <= set(body["ignored_words"])
    top = " ".join(r["paper"]["title"] + " " + r["paper"]["abstract"] for r in body["results"][:3])
    assert {"robot", "grasp"} <= set(analyze(top))


def test_an_acronym_finds_papers_that_write_it_in_full(sample_client, sample_records):
    body = api(sample_client, q="GNN", per_page=100)
    assert body["also_searched"] == ["graph neural networks"]
    full_only = {r["id"] for r in sample_records
                 if "graph neural" in analyze(r["title"] + " " + r["summary"])
                 and "gnn" not in analyze(r["title"] + " " + r["summary"])}
    assert full_only and full_only <= set(result_ids(body))
    page = sample_client.get("/search?q=GNN").get_data(as_text=True)
    assert "Also searched" in page and "graph neural networks" in page


def test_plain_words_never_find_nothing_when_one_word_is_known(sample_client):
    body = api(sample_client, q="zzyzxq quantum")
    assert body["total"] > 0 and body["missing"] == ["zzyzxq"]


@pytest.mark.parametrize("n", [5, 321, 2048])
def test_a_pasted_abstract_finds_papers_like_it(sample_client, sample_records, n):
    record = sample_records[n]
    abstract = " ".join(record["summary"].split())[:3000]
    assert len(abstract.split()) > 30
    body = api(sample_client, q=abstract, per_page=10)
    assert body["mode"] == "like" and body["total"] > 10
    assert result_ids(body)[0] == record["id"]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] < scores[0] <= 1.0001
    page = sample_client.get("/search", query_string={"q": abstract}).get_data(as_text=True)
    assert "like the text you pasted" in page


def test_the_cli_takes_a_pasted_abstract_too(sample_app, sample_records):
    record = sample_records[77]
    result = sample_app.test_cli_runner().invoke(args=["search", record["summary"], "-n", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "like the text given" in lines[0] and lines[1].split()[1] == record["id"]
