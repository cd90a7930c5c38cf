"""Snippets mark the query's words without building HTML; did-you-mean finds close words."""

from __future__ import annotations

from recommend import snippets
from recommend.search_query import parse_query
from recommend.snippets import apply_suggestion, close_words, snippet, suggest
from tests.helpers.search import tiny_index


def text_of(segments) -> str:
    return "".join(s.text for s in segments)


def test_hits_are_marked_case_insensitively():
    segs = snippet("Batch Normalization helps.\nWe use batch sizes of 8.", ["batch", "normalization"])
    assert [s.text for s in segs if s.hit] == ["Batch", "Normalization", "batch"]
    assert text_of(segs) == "Batch Normalization helps. We use batch sizes of 8."


def test_window_moves_to_the_matches_in_a_long_text():
    text = " ".join(["filler words here"] * 60) + " the transformer model " + " ".join(["more"] * 80)
    segs = snippet(text, ["transformer"], width=120)
    assert segs[0].text == "… " and segs[-1].text == " …"
    assert any(s.hit and s.text == "transformer" for s in segs)
    assert len(text_of(segs)) <= 130


def test_no_hits_gives_the_start():
    segs = snippet("Short abstract.", ["absent"])
    assert segs == [("Short abstract.", False)]


def test_markup_stays_text():
    segs = snippet("<b>bold</b> & <script>x</script> model", ["model", "script"])
    assert text_of(segs) == "<b>bold</b> & <script>x</script> model"
    assert [s.text for s in segs if s.hit] == ["script", "script", "model"]


def test_words_inside_words_are_not_hits():
    assert [s.text for s in snippet("pretraining trains", ["train"]) if s.hit] == ["trains"]


def test_did_you_mean():
    texts = [(f"Transformer segmentation {i}", "Transformer models for image segmentation.")
             for i in range(3)]
    si = tiny_index(texts)
    assert close_words(si, "tranformer")[0] == "transformer"
    q = parse_query("Tranformer segmentaton")
    options = suggest(si, q.forms)
    assert options[0] == {"tranformer": "transformer", "segmentaton": "segmentation"}
    assert apply_suggestion(q.raw, options[0]) == "transformer segmentation"
    assert suggest(si, parse_query("transformer").words) == []
    assert suggest(si, parse_query("qqqqqq").words) == []


def test_apply_suggestion_keeps_the_rest_of_the_query():
    assert apply_suggestion('cat:cs.CV "tranformer" year:2024', {"tranformer": "transformer"}) == \
        'cat:cs.CV "transformer" year:2024'


def test_thousands_of_hits_stay_fast_and_pick_the_densest_window():
    text = "learning " * 20_000 + "deep reinforcement learning agents " + "learning " * 20_000
    segs = snippet(text, ["learning", "deep", "reinforcement"], width=200)
    assert {"deep", "reinforcement", "learning"} <= {s.text for s in segs if s.hit}


def test_did_you_mean_reads_a_letters_words_in_batches_as_in_one(monkeypatch):
    words = ["tansformer", "trainsformer", "transformar", "transformer", "transformers",
             "transform", "tranformers", "translator"]
    texts = [(f"{w} study {i}", f"A {w} for {w} tasks.") for w in words for i in range(2)]
    si = tiny_index(texts)
    whole = [close_words(si, w) for w in ("tranformer", "transformr", "tanslator")]
    assert whole[0] and whole[2]
    monkeypatch.setattr(snippets, "CLOSE_WORDS_BATCH", 3)
    assert [close_words(si, w) for w in ("tranformer", "transformr", "tanslator")] == whole
