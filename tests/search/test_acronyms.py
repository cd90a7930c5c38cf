"""Acronyms learned from the corpus at index time: either form finds both."""

from __future__ import annotations

from recommend.acronyms import definitions, learn
from recommend.search import search
from recommend.search_query import parse_query
from tests.helpers.search import tiny_index

FILLER = "We report experiments on standard benchmarks."


def test_definitions_read_the_initials_before_the_bracket():
    text = ("We train graph neural networks (GNNs) with retrieval-augmented generation (RAG) "
            "and a mixture of experts (MoE). This is great (OK). We use (ABC) here.")
    assert definitions(text) == {("GNN", "graph neural networks"),
                                 ("RAG", "retrieval-augmented generation"),
                                 ("MoE", "mixture of experts")}


def test_a_definition_needs_enough_papers_and_a_clear_majority():
    three = ["Graph neural networks (GNNs) are used."] * 3
    assert [a.written for a in learn(three)] == ["GNN"]
    assert learn(three[:2]) == []                       # below the count threshold
    odd = ["Good new networks (GNNs) appear."] * 1
    assert learn(three + odd)[0].long_written == "graph neural networks"
    split = three + ["Great noisy nets (GNN) here."] * 4
    assert learn(split)[0].long_written == "great noisy nets"  # the majority wins
    assert learn(["Graph neural networks (GNNs) x."] * 3 + ["Great noisy nets (GNN)."] * 3) == []


def _index():
    defining = [(f"Paper {i}", f"Graph neural networks (GNNs) for molecules {i}. {FILLER}")
                for i in range(3)]
    acronym_only = [("GNN pretraining", f"We pretrain a GNN on proteins. {FILLER}")]
    long_only = [("Message passing", f"A graph neural network for traffic. {FILLER}")]
    other = [("Image models", f"Convolutional networks for images. {FILLER}")]
    return tiny_index(defining + acronym_only + long_only + other)


def test_the_acronym_finds_the_long_form_and_says_so():
    si = _index()
    result = search(si, parse_query("GNN"))
    found = {pid for pid, _ in result.hits}
    assert {"t3", "t4"} <= found and "t5" not in found
    assert result.also_searched == ("graph neural networks",)


def test_the_long_form_finds_the_acronym_and_says_so():
    si = _index()
    result = search(si, parse_query("graph neural network"))
    found = {pid for pid, _ in result.hits}
    assert {"t3", "t4"} <= found
    assert result.also_searched == ("GNN",)
    assert result.all_words == 5                # the acronym counts as the three words


def test_a_quoted_acronym_stays_exact():
    result = search(_index(), parse_query('"GNN"'))
    assert result.also_searched == ()
    assert "t4" not in {pid for pid, _ in result.hits}


def _nested_index():
    gnn = [(f"Paper {i}", f"Graph neural networks (GNNs) for molecules {i}. {FILLER}")
           for i in range(3)]
    nn = [(f"Nets {i}", f"Neural networks (NNs) approximate functions {i}. {FILLER}")
          for i in range(3)]
    potentials = [(f"Potentials {i}", f"Neural network potentials (NNPs) for atoms {i}. {FILLER}")
                  for i in range(3)]
    graph_and_nn = [("Graph colouring", f"A graph colouring heuristic tuned by an NN. {FILLER}")]
    return tiny_index(gnn + nn + potentials + graph_and_nn)


def test_an_acronym_for_part_of_the_typed_concept_is_not_added():
    si = _nested_index()
    result = search(si, parse_query("graph neural networks"))
    assert result.also_searched == ("GNN",)
    # "graph" and "NN" in one paper is not a graph neural network paper
    assert result.all_words == 3
    assert "t10" not in [pid for pid, _ in result.hits[:result.all_words]]
    assert search(si, parse_query("neural network potentials")).also_searched == ("NNP",)


def test_an_acronym_whose_long_form_is_the_whole_concept_is_added():
    si = _nested_index()
    assert search(si, parse_query("neural networks")).also_searched == ("NN",)
    assert search(si, parse_query("neural networks for function fitting")).also_searched == ("NN",)
    assert search(si, parse_query("GNN")).also_searched == ("graph neural networks",)
