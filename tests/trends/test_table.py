"""Trend table: exact monthly counts, fractions, categories, smoothing, phrases, unknown terms."""

from __future__ import annotations

import numpy as np
import pytest

from recommend.index import build_index, load_index
from recommend.trend_query import TrendQueryError, parse_month, parse_terms
from recommend.trends import TrendTable, trend_builder
from tests.trends.corpus import small_docs, table_of

MONTHS = ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]


@pytest.fixture(scope="module")
def table() -> TrendTable:
    return table_of(small_docs())


def fetcher(asked: list[str] | None = None):
    texts = {d.id: d.text for d in small_docs()}

    def fetch(ids):
        if asked is not None:
            asked.extend(ids)
        return {i: texts[i] for i in ids}
    return fetch


def series(table, raw, **kw):
    return table.series(parse_terms(raw)[0], **kw)


def test_months_are_bucketed_by_first_version_date_across_the_year_boundary(table):
    assert [str(m) for m in table.months] == MONTHS
    assert list(table.totals) == [2, 3, 3, 0, 1]
    # b3 was published 2023-12-31 23:59, c1 on 2024-01-01
    assert table.doc_month[4] == 1 and table.doc_month[5] == 2


def test_fraction_is_papers_containing_the_term_over_papers_that_month(table):
    rows = series(table, "Transformer").rows()
    assert [r["month"] for r in rows] == MONTHS
    assert [r["count"] for r in rows] == [1, 2, 3, 0, 0]
    assert [r["papers"] for r in rows] == [2, 3, 3, 0, 1]
    assert [r["fraction"] for r in rows] == [0.5, pytest.approx(2 / 3, abs=1e-6), 1.0, None, 0.0]


def test_a_paper_counts_once_however_often_it_says_the_term():
    docs = small_docs()
    docs[0] = docs[0]._replace(text="Transformer transformer TRANSFORMER.")
    assert series(table_of(docs), "transformer").rows()[0]["count"] == 1


def test_batch_of_normalization_is_no_mention_of_batch_normalization(table):
    counts = [r["count"] for r in series(table, "batch normalization").rows()]
    assert counts == [1, 1, 0, 0, 1]  # b2 says "a batch of normalization tricks"


def test_category_restriction_counts_papers_listing_it_anywhere(table):
    rows = series(table, "transformer", category="cs.CV").rows()
    assert [r["papers"] for r in rows] == [1, 1, 2, 0, 0]  # b2 and c2 are cross-lists
    assert [r["count"] for r in rows] == [1, 0, 2, 0, 0]
    assert [r["fraction"] for r in rows] == [1.0, 0.0, 1.0, None, None]


def test_unknown_category_gives_no_papers(table):
    rows = series(table, "transformer", category="math.AG").rows()
    assert all(r["papers"] == 0 and r["fraction"] is None for r in rows)


def test_date_range_cuts_months(table):
    rows = series(table, "transformer", since=parse_month("2023-12"), until=parse_month("2024-01")).rows()
    assert [(r["month"], r["count"]) for r in rows] == [("2023-12", 2), ("2024-01", 3)]


def test_smoothing_is_a_trailing_papers_weighted_average(table):
    rows = series(table, "transformer", smooth=2).rows()
    assert [r["fraction"] for r in rows] == [0.5, 0.6, pytest.approx(5 / 6, abs=1e-6), 1.0, 0.0]
    assert [r["count"] for r in rows] == [1, 2, 3, 0, 0]  # raw counts stay raw
    cut = series(table, "transformer", smooth=2, since=parse_month("2023-12")).rows()
    assert cut[0]["fraction"] == 0.6  # smoothing still sees November


def test_unknown_term_is_a_zero_series_with_a_suggestion(table):
    s = series(table, "transfomer")
    assert not s.known
    assert all(r["count"] == 0 for r in s.rows())
    assert s.suggestions[0] == "transformer"


def test_phrase_scan_checks_adjacency_in_candidate_texts(table):
    asked: list[str] = []
    s = series(table, "graph neural network", fetch=fetcher(asked))
    assert [r["count"] for r in s.rows()] == [1, 0, 1, 0, 0]  # a2, c1; c3 says "graph neural nets"
    assert s.scanned == 2 and sorted(asked) == ["a2", "c1"]


def test_phrase_scan_with_a_stop_word_inside(table):
    assert [r["count"] for r in series(table, "batch of normalization", fetch=fetcher()).rows()] \
        == [0, 1, 0, 0, 0]
    assert [r["count"] for r in series(table, "bag of words", fetch=fetcher()).rows()] \
        == [0, 0, 1, 0, 0]


def test_phrase_scan_respects_the_category(table):
    s = series(table, "graph neural network", category="cs.CV", fetch=fetcher())
    assert [r["count"] for r in s.rows()] == [0, 0, 1, 0, 0]


def test_phrase_without_texts_is_an_error(table):
    with pytest.raises(TrendQueryError, match="phrase"):
        series(table, "graph neural network")


def test_parse_terms_splits_commas_and_trims_stop_words():
    queries = parse_terms(["ResNet, the transformer", "batch  normalization", "resnet"])
    assert [(q.label, q.term, q.is_phrase) for q in queries] == [
        ("resnet", "resnet", False), ("the transformer", "transform", False),
        ("batch normalization", "batch normaliz", False)]


def test_a_series_counts_every_form_under_the_label_typed():
    table = table_of(small_docs())
    one, many = parse_terms("transformer, transformers")
    assert one.label == "transformer" and many.label == "transformers"
    assert list(table.series(one).counts) == list(table.series(many).counts)


@pytest.mark.parametrize("raw, message", [
    ("", "at least one"), (" , ", "at least one"), ("of the", "no searchable words"),
    (",".join(f"t{i}x" for i in range(11)), "at most 10"), (" ".join(["word"] * 13), "longer than"),
])
def test_parse_terms_rejects_bad_input(raw, message):
    with pytest.raises(TrendQueryError, match=message):
        parse_terms(raw)


@pytest.mark.parametrize("raw", ["2024", "2024-13", "24-01", "2024/01", "2024-1x"])
def test_parse_month_rejects_other_forms(raw):
    with pytest.raises(TrendQueryError, match="YYYY-MM"):
        parse_month(raw)


def test_min_df_keeps_the_table_small():
    table = table_of(small_docs(), min_df=3)
    assert table.row("transform") is not None and table.row("batch normaliz") is not None
    assert table.row("vision transform") is None  # one paper only
    assert int(table.df[table.row("transform")]) == 6
    assert table.label(table.row("batch normaliz")) == "batch normalization"   # as written


def test_builder_parts_survive_an_index_round_trip(tmp_path):
    docs = small_docs()
    build_index(tmp_path, docs, fingerprint="fp", extra=[trend_builder], min_df=1, max_df=1.0)
    index = load_index(tmp_path)
    table = TrendTable.from_index(index)
    assert table is not None
    assert [str(m) for m in table.months] == MONTHS
    assert [r["count"] for r in series(table, "transformer").rows()] == [1, 2, 3, 0, 0]
    assert isinstance(table.counts.data, np.memmap) or not table.counts.data.flags.writeable


def test_index_without_trend_parts_has_no_table(tmp_path):
    build_index(tmp_path, small_docs(), fingerprint="fp", min_df=1, max_df=1.0)
    assert TrendTable.from_index(load_index(tmp_path)) is None


def test_suggestions_prefer_common_terms_spelled_alike():
    table = table_of(small_docs())
    # a query's stems are compared; the suggestion is the term as people write it
    assert table.suggest(parse_terms("batch normalisation")[0].term) == ["batch normalization"]
    assert table.suggest("zzz") == [] and table.suggest("") == []


@pytest.mark.parametrize("phrase, text, expected", [
    ("large language models", "Large-Language_Models", True),  # "_" separates words
    ("large language models", "Large-Language Models!", True),
    ("large language models", "large language modelsx", False),
    ("large language models", "xlarge language models", False),
    ("large language models", "large, language models", False),  # a comma is a gap
    ("state of the art", "State-of-the-Art", True),
    ("state of the art", "state of art", False),
    ("state of the art", "state of graph art", False),  # "graph" is a term, not a gap
    ("state of the art", "state 2 the art", True),  # a number is a gap too
    ("état de l'art", "L'État de l'art", True),
])
def test_phrase_match_agrees_with_the_tokeniser(phrase, text, expected):
    from recommend.text import words
    from recommend.trend_query import _joined, holds_phrase

    query = parse_terms(phrase)[0]
    assert holds_phrase(text, query) is expected
    assert (_joined(query.words) in _joined(words(text))) is expected


@pytest.mark.parametrize("buckets", [7, 1024, 1 << 20])
def test_the_hashed_first_pass_keeps_exactly_the_same_terms_and_postings(buckets):
    """Large corpora admit terms through hash buckets first; collisions (many with 7
    buckets) may admit extra candidates, but the exact count must drop them all."""
    import gzip
    import json
    from datetime import date

    from recommend.index import Doc
    from recommend.text import document
    from recommend.trend_build import _postings
    from tests.helpers.paths import SAMPLE_DIR

    with gzip.open(SAMPLE_DIR / "arxiv_cs_sample.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for _, line in zip(range(600), fh, strict=False)]
    docs = [Doc(r["id"], date(2025, 1, 1), tuple(r["categories"]), document(r["title"], r["summary"]),
                False, r["title"], tuple(r["authors"])) for r in rows]
    one_terms, one = _postings(docs, 3, two_pass=False)
    two_terms, two = _postings(docs, 3, two_pass=True, buckets=buckets)
    assert len(one_terms) > 1000 and two_terms == one_terms
    assert (one != two).nnz == 0 and one.shape == two.shape


def test_index_terms_are_shown_as_people_write_them(tmp_path):
    from recommend.trends import written_forms

    build_index(tmp_path, small_docs(), fingerprint="t", extra=[trend_builder], min_df=1,
                max_df=1.0, n_jobs=1)
    index = load_index(tmp_path)
    assert written_forms(index, ["batch normaliz", "transform", "zzz"]) == [
        "batch normalization", "transformer", "zzz"]
