"""The query language: words, phrases, fields, ids, and clear errors."""

from __future__ import annotations

import pytest

from recommend.search_query import MAX_QUERY_CHARS, QueryError, arxiv_id, author_tokens, parse_query


def test_words_and_bigrams_come_from_the_shared_analyser():
    q = parse_query("Reinforcement Learning for robots")
    assert q.words == ("reinforc", "learn", "robot")       # stems: every form is one term
    assert q.forms == ("reinforcement", "learning", "robots")
    assert "reinforc learn" in q.terms
    assert "learn robot" not in q.terms  # "for" is a stop word: a gap, not a join


def test_word_forms_give_the_same_terms():
    assert parse_query("graph neural networks").terms == parse_query("graph neural network").terms
    assert parse_query("robots learning").words == parse_query("robot learns").words


def test_question_words_are_ignored():
    q = parse_query("how do robots learn to grasp objects")
    assert q.words == ("robot", "learn", "grasp", "object")
    assert {"how", "do", "to"} <= set(q.stopped)
    assert parse_query("papers using transformers").words == ("transform",)


def test_quoted_phrase_requires_its_bigrams_and_stays_exact():
    q = parse_query('"graph neural network" training')
    assert q.phrases == (("graph neural", "neural network"),)
    assert q.words == ("graph", "neural", "network", "train")
    assert q.exact == (("graph", "neural", "network"),)   # checked as written in the text


def test_phrase_of_words_split_by_a_stop_word_requires_the_words():
    assert parse_query('"bag of words"').phrases == (("bag", "word"),)


def test_unbalanced_quote_runs_to_the_end():
    q = parse_query('vision "batch normalization')
    assert q.phrases == (("batch normaliz",),)
    assert q.exact == (("batch", "normalization"),)


def test_fields():
    q = parse_query('author:"Geoffrey Hinton" au:LeCun cat:cs.CV id:2101.01234v2 year:2020-2023 x')
    assert q.authors == (("geoffrey", "hinton"), ("lecun",))
    assert q.categories == ("cs.cv",)
    assert q.ids == ("2101.01234",)
    assert q.years == (2020, 2023)
    assert q.words == ()  # "x": one-letter words are not terms


@pytest.mark.parametrize(("value", "years"), [("2021", (2021, 2021)), ("2019-2021", (2019, 2021)),
                                               ("2020-", (2020, 2100)), ("-2018", (1990, 2018))])
def test_year_forms(value, years):
    assert parse_query(f"year:{value}").years == years


@pytest.mark.parametrize("bad", ["year:20", "year:abcd", "year:2023-2020", "year:1200",
                                 "cat:???", "cat:cs.CV;drop", "id:12345", "id:notanid",
                                 "author:..."])
def test_malformed_fields_raise_a_query_error_with_a_message(bad):
    with pytest.raises(QueryError) as err:
        parse_query(bad)
    assert str(err.value)


def test_unknown_field_is_searched_as_words():
    assert parse_query("foo:bar").words == ("foo", "bar")


@pytest.mark.parametrize("text", ["2101.01234", "2101.01234v3", "arXiv:2101.01234",
                                  "https://arxiv.org/abs/2101.01234v2", "arxiv.org/pdf/2101.01234.pdf",
                                  "http://export.arxiv.org/abs/2101.01234", "hep-th/9901001v1"])
def test_bare_ids_and_urls_jump(text):
    q = parse_query(f"  {text} ")
    assert q.jump == arxiv_id(text)
    assert q.jump in {"2101.01234", "hep-th/9901001"}
    assert arxiv_id("HEP-TH/9901001") == "hep-th/9901001"


def test_too_long_and_long_texts():
    with pytest.raises(QueryError, match="too long"):
        parse_query("a" * (MAX_QUERY_CHARS + 1))
    many = " ".join(f"word{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(40))
    q = parse_query(f"{many} cat:cs.LG")     # over 30 words: papers like the text, in cs.LG
    assert q.like and q.categories == ("cs.lg",) and not q.words


def test_a_long_plain_query_asks_for_papers_like_it():
    text = ("We propose a graph neural network that learns molecular representations from "
            "atoms and bonds, trained with a contrastive objective on large unlabelled sets "
            "of molecules, and show gains on property prediction benchmarks over strong "
            "baselines with fewer labels.")
    q = parse_query(text)
    assert q.like == text and not q.is_empty
    quoted = parse_query(f'{text} "graph neural"')      # a quote in pasted text is no phrase
    assert quoted.like and not quoted.phrases
    assert not parse_query('"graph neural networks" for molecules').like   # short: keywords


@pytest.mark.parametrize("text", ["", "   ", "the of and", "!!! ??? ...", "\x00"])
def test_queries_with_nothing_to_search_are_empty(text):
    assert parse_query(text).is_empty


@pytest.mark.parametrize("text", ["(.*)+[a-z]{2,}\\", "'; DROP TABLE papers; --",
                                  "<script>alert(1)</script>", "naïve Bayes 深度学习 😀", '"""'])
def test_hostile_text_parses(text):
    parse_query(text)


def test_author_tokens_fold_accents_and_drop_initials():
    assert author_tokens("José M. Álvarez") == ["jose", "alvarez"]


@pytest.mark.parametrize("text", ["٢١٠١.٠١٢٣٤", "id:٢١٠١.٠١٢٣٤", "year:٢٠٢٠"])
def test_ids_and_years_take_ascii_digits_only(text):
    try:
        q = parse_query(text)
    except QueryError:
        return
    assert q.jump is None and q.ids == () and q.years is None
