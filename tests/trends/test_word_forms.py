"""Latin and Greek plurals are one term with their singular, in the analyser shared by
search, recommendations and trends, so a trend list shows "equilibria" once."""

from __future__ import annotations

from datetime import date

import pytest

from recommend.index import Doc
from recommend.text import analyze, stem
from tests.trends.corpus import table_of


@pytest.mark.parametrize("plural, singular", [
    ("equilibria", "equilibrium"), ("criteria", "criterion"), ("phenomena", "phenomenon"),
    ("matrices", "matrix"), ("indices", "index"), ("vertices", "vertex"),
    ("hypotheses", "hypothesis"), ("spectra", "spectrum"), ("nuclei", "nucleus"),
    ("formulae", "formula"), ("corpora", "corpus"), ("automata", "automaton"),
])
def test_a_classical_plural_is_its_singulars_term(plural, singular):
    assert stem(plural) == stem(singular)
    assert analyze(f"Nash {plural}") == analyze(f"Nash {singular}")


@pytest.mark.parametrize("word, other", [
    ("devices", "devex"), ("prices", "prix"), ("services", "servex"), ("ideas", "ideum"),
    ("cameras", "camerum"),
])
def test_words_that_only_look_like_classical_plurals_stay_themselves(word, other):
    assert stem(word) != stem(other)
    assert stem(word) == stem(word[:-1])        # device / devices, as Snowball has it


def test_the_trend_table_counts_both_forms_as_one_term_shown_as_people_write_it():
    rows = [("Mixed Nash equilibria of games.", date(2024, 1, 3)),
            ("Computing equilibria fast.", date(2024, 1, 9)),
            ("A unique Nash equilibrium.", date(2024, 2, 2))]
    table = table_of([Doc(f"p{i}", when, ("cs.GT",), text) for i, (text, when) in enumerate(rows)])
    row = table.row(stem("equilibrium"))
    assert row is not None and table.row("equilibria") is None
    assert table.df[row] == 3
    assert table.label(row) == "equilibria"                    # the more common form
    assert table.label(table.row(f"nash {stem('equilibria')}")) == "nash equilibria"


def test_a_two_word_term_is_labelled_as_the_phrase_is_most_often_written():
    """"model" alone is mostly singular here, but the phrase is "language models": the label
    is the phrase people write, not its words chosen one by one."""
    rows = ["Large language models reason.", "Language models as agents.",
            "Language models at scale.", "A model of the cell.", "One model, one data set.",
            "The model of choice.", "A simple model.", "The model fits."]
    docs = [Doc(f"p{i}", date(2024, 1, 1 + i), ("cs.CL",), text) for i, text in enumerate(rows)]
    table = table_of(docs)
    assert table.label(table.row(stem("model"))) == "model"
    assert table.label(table.row(f"{stem('language')} {stem('models')}")) == "language models"
