"""A chunk counted at once (recommend/chunk_analysis.py) equals the chunk counted one
document and one token at a time (tests/helpers/chunk_reference.py), field by field and
array by array, dtypes included: on the bundled sample and on hostile texts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommend import text as analyser
from recommend.search_runs import FIELDS, ChunkCounts, count_chunk
from recommend.text import document, stem, stem_words, words
from tests.helpers.chunk_reference import reference_count_chunk

FULLTEXT = ("Section one. We train graph neural networks (GNNs) on long documents. "
            "The GNN uses sparse attention; attention is sparse and the network is deep. ")


def assert_same_counts(got: ChunkCounts, want: ChunkCounts) -> None:
    assert list(got.fields) == list(want.fields) == list(FIELDS)
    for name in FIELDS:
        g, w = got.fields[name], want.fields[name]
        assert list(g.terms) == list(w.terms), name
        assert g.matrix.shape == w.matrix.shape, name
        for part, mine, theirs in [
                ("blob", g.terms.blob, w.terms.blob), ("offsets", g.terms.offsets, w.terms.offsets),
                ("data", g.matrix.data, w.matrix.data), ("indices", g.matrix.indices, w.matrix.indices),
                ("indptr", g.matrix.indptr, w.matrix.indptr)]:
            assert mine.dtype == theirs.dtype, (name, part)
            assert mine.tobytes() == theirs.tobytes(), (name, part)
        assert g.terms.hashes is None and w.terms.hashes is None
    for part in ("title_keys", "lengths"):
        mine, theirs = getattr(got, part), getattr(want, part)
        assert mine.dtype == theirs.dtype and mine.tobytes() == theirs.tobytes(), part
    assert got.evidence == want.evidence


def assert_counted_the_same(chunk: list) -> ChunkCounts:
    """Count the chunk both ways, each from an empty stem cache (neither reads the other's
    stems), and compare; returns the chunk-at-a-time counts."""
    analyser._stem_cache.clear()
    got = count_chunk(chunk)
    analyser._stem_cache.clear()
    assert_same_counts(got, reference_count_chunk(chunk))
    return got


def _chunk(texts: list[str], titles: list[str] | None = None) -> list:
    titles = titles if titles is not None else ["" for _ in texts]
    return [(text, title, ("José M. Álvarez", "A. Author"), ("cs.LG", "Math.ST"))
            for text, title in zip(texts, titles, strict=True)]


@pytest.fixture(scope="module")
def sample_chunk(sample_records) -> list:
    chunk = []
    for i, r in enumerate(sample_records[:2000]):
        full = FULLTEXT * (1 + i % 3) if i % 50 == 0 else None
        chunk.append((document(r["title"], r["summary"], full), r["title"],
                      tuple(r["authors"]), tuple(r["categories"])))
    return chunk


def test_the_sample_counts_the_same_as_one_document_at_a_time(sample_chunk) -> None:
    got = assert_counted_the_same(sample_chunk)
    assert len(got.fields["text"].terms) > 50_000      # unigrams and bigrams of 2,000 papers


def test_the_rest_of_the_sample_counts_the_same_in_small_chunks(sample_records) -> None:
    docs = [(document(r["title"], r["summary"]), r["title"], tuple(r["authors"]),
             tuple(r["categories"])) for r in sample_records[2000:2600]]
    for start in range(0, len(docs), 150):
        chunk = docs[start:start + 150]
        assert_counted_the_same(chunk)


HOSTILE = {
    "empty": "",
    "stop words only": "the of and a an to in is it . , ; the of",
    "digits": "2024 12 3.14 1e10 10x x10 0 00 7th 2d 3D",
    "punctuation": ".,;:!?()[]{}\"<>=+*/\\|$ _ __ -- ... ''' ``` ~~ @@ ##",
    "one letters": "a b c d e f g h i j k x y z",
    "unicode": ("Schrödinger équation naïve café Ωmega ΣΙΣΥΦΟΣ ὈΔΥΣΣΕΎΣ İstanbul ǅemal "
                "ﬁne ﬂow ＦＵＬＬ width 東京 大学 データ 😀 emoji 👍🏽 ﷺ straße ß ǈ x̃ ℌ ℕ "
                "א ב العربية देवनागरी ٣٤ ²³ ½ Ⅻ ⅻ 𝔄𝔅 𝟙𝟚"),
    "special stems": ("LLMs GNNs CNNs equilibria matrices indices vertices generalization "
                      "normalizations regularizing polarized categorical hypotheses data xyzs"),
    "long word": "start " + "x" * 100_000 + " end " + "ab" * 40_000 + " tail",
    "controls": "alpha\tbeta\ngamma\rdelta\x00epsilon\x0bzeta\u200bnu\u00a0xi\ufeffpi",
    "repeats": "batch normalization " * 500 + "batch of normalization",
    "acronyms": ("graph neural networks (GNNs) and mixture of experts (MoE) with "
                 "retrieval-augmented generation (RAG) and (XYZ) or (A)"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_text_counts_the_same(case) -> None:
    text = HOSTILE[case]
    chunk = _chunk([text, text, "plain words here", text], [text[:300], "", text[:50], "x"])
    assert_counted_the_same(chunk)


def test_every_hostile_text_in_one_chunk_counts_the_same() -> None:
    chunk = _chunk(list(HOSTILE.values()), list(HOSTILE.values()))
    assert_counted_the_same(chunk)


def test_a_one_megabyte_text_counts_the_same(sample_records) -> None:
    text = " ".join(r["summary"] for r in sample_records[:1000])[:1_000_000]
    assert len(text) == 1_000_000
    chunk = _chunk([text, "short one"], ["A Title", text[:2000]])
    got = assert_counted_the_same(chunk)
    assert got.lengths[0] > 100_000


def test_authors_and_categories_of_every_kind_count_the_same() -> None:
    chunk = [("text one", "t", (), ()),
             ("text two", "t", ("?", "", "-", "O'Brien", "J.-P. Sartre", "Łukasz Kaiser",
                                "Søren Kierkegaard", "Ἀριστοτέλης", "김철수", "Ｊｏｈｎ Ｓｍｉｔｈ",
                                "José M. Álvarez", "jose alvarez"), ("CS.LG", "cs.lg", "")),
             ("text three", "t", ("A. Author",) * 3, ("math.ST",))]
    assert_counted_the_same(chunk)


def test_empty_chunk_and_chunks_without_terms_count_the_same() -> None:
    for chunk in ([], _chunk([""]), _chunk(["the of a", "1 2 3", ". , ;"])):
        got = assert_counted_the_same(chunk)
        assert got.fields["text"].matrix.shape == (len(chunk), 0)


_PIECES = st.sampled_from(["the", "of", "a", "network", "networks", "neural", "LLMs", "x",
                           "2024", "3d", ".", ",", " ", "  ", "\n", "(GNN)", "é", "Σ", "ß",
                           "İ", "data", "equilibria", "generalization", "-", "_", "东京"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=30).map("".join), min_size=1, max_size=6),
       st.lists(st.text(max_size=20), min_size=6, max_size=6))
def test_random_texts_count_the_same(texts, raw) -> None:
    chunk = [(text, raw[i], (raw[i],), (raw[i],)) for i, text in enumerate(texts)]
    assert_counted_the_same(chunk)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80)
       | st.lists(st.sampled_from(["ab", "_", "A9", "x_y", "(", "$", "-", " ", "\x00"]))
       .map("".join))
def test_ascii_texts_split_as_the_unicode_token_pattern_splits_them(text) -> None:
    """`tokens_of` splits ASCII texts with a pattern of its own: the same tokens."""
    assert analyser.tokens_of(text) == analyser._TOKEN.findall(text.lower())


def test_every_ascii_character_splits_as_the_unicode_token_pattern_splits_it() -> None:
    every = "".join(map(chr, range(128)))
    for text in (every, " ".join(every), every.upper() + "x"):
        assert analyser.tokens_of(text) == analyser._TOKEN.findall(text.lower())


def test_words_stemmed_together_get_the_stems_of_one_at_a_time(sample_records) -> None:
    distinct = sorted({w for r in sample_records[:300] for w in words(r["summary"]) if w}
                      | set(HOSTILE["special stems"].lower().split()) | {"llms", "spectra"})
    analyser._stem_cache.clear()
    together = stem_words(distinct)
    analyser._stem_cache.clear()
    assert together == [stem(w) for w in distinct]
    assert stem_words(distinct) == together                 # now all from the cache
    assert dict(zip(distinct, together, strict=True))["llms"] == "llm"


def test_stemming_past_the_cache_size_gives_the_same_stems(monkeypatch) -> None:
    """Many new words (stemmed one by one), a cache that would overflow (cleared first),
    and a cache with room: the same stems each time."""
    monkeypatch.setattr(analyser, "STEM_CACHE_SIZE", 10)
    distinct = ["networks", "graphs", "llms", "equilibria", "generalization", "models"]
    analyser._stem_cache.clear()
    expected = [stem(w) for w in distinct]
    known = dict(zip(distinct[:3], expected[:3], strict=True))
    for fillers in (None, ["f1", "f2", "f3", "f4", "f5"], ["f1"]):
        analyser._stem_cache.clear()
        if fillers is not None:
            analyser._stem_cache.update({**known, **{w: w for w in fillers}})
        assert stem_words(distinct) == expected
        assert len(analyser._stem_cache) <= 10


def test_chunks_count_the_same_from_a_warm_memo_as_from_an_empty_one(sample_records) -> None:
    """The term memo kept across a process's chunks: a chunk counted after others (most of
    its words judged by an earlier chunk, a stop word or digit met there as a gap) and the
    same chunk counted from an empty memo give the same counts, equal to the reference."""
    from recommend import chunk_analysis

    docs = [(document(r["title"], r["summary"]), r["title"], tuple(r["authors"]),
             tuple(r["categories"])) for r in sample_records[:600]]
    hostile = _chunk(list(HOSTILE.values()), list(HOSTILE.values()))
    chunk_analysis._term_memo.clear()
    for chunk in (docs[:300], hostile, docs[300:]):
        assert_counted_the_same(chunk)
    assert len(chunk_analysis._term_memo) > 5_000
    warm = count_chunk(docs[300:])
    chunk_analysis._term_memo.clear()
    assert_same_counts(warm, count_chunk(docs[300:]))


def test_a_full_term_memo_keeps_the_last_chunks_words_and_the_same_counts(
        monkeypatch, sample_records) -> None:
    """Past TERM_MEMO_SIZE the memo keeps only the words of the chunk that filled it (or
    none when that chunk alone has more): the counts never change."""
    from recommend import chunk_analysis

    monkeypatch.setattr(chunk_analysis, "TERM_MEMO_SIZE", 10)
    chunk_analysis._term_memo.clear()
    small = _chunk(["graph neural networks of the data", "the networks 2024 GNNs"])
    assert_counted_the_same(small)
    assert set(chunk_analysis._term_memo) == {"graph", "neural", "networks", "of", "the",
                                              "data", "2024", "gnns"}
    assert chunk_analysis._term_memo["the"] == chunk_analysis.GAP
    assert chunk_analysis._term_memo["networks"] == "network"
    assert_counted_the_same(_chunk(["networks models of equilibria matrices"]))  # 8 + 3 > 10
    assert set(chunk_analysis._term_memo) == {"networks", "models", "of", "equilibria",
                                              "matrices"}
    assert_counted_the_same(_chunk([r["summary"] for r in sample_records[:40]]))
    assert chunk_analysis._term_memo == {}      # more distinct words than the memo holds
    for chunk in (small, _chunk(["networks models of equilibria"]), small):
        assert_counted_the_same(chunk)
        assert len(chunk_analysis._term_memo) <= 10


def test_sorted_ranks_order_strings_as_python_does() -> None:
    """The numpy byte sort of a chunk's strings: long shared prefixes (past the sorted key),
    every UTF-8 width, control characters; ids not chosen rank -1."""
    import random

    import numpy as np

    from recommend.chunk_analysis import _sorted_ranks

    rng = random.Random(11)
    prefix = "representation" * 3
    pool = ["", "\x00", "a\x00", "z", "\u00e9", "\u4e1c", "\U0001f600", "\U0010ffff",
            prefix, prefix + "s", prefix + "\x00", prefix + "\u00e9"]
    strings = list(dict.fromkeys(pool + ["".join(rng.choice("ab\u00e9\u4e1c\x01") for _ in
                                                 range(rng.randint(0, 40)))
                                         for _ in range(3000)]))
    chosen = np.array(sorted(rng.sample(range(len(strings)), len(strings) // 2)))
    kept = np.zeros(len(strings), dtype=bool)
    kept[chosen] = True
    ranks, table = _sorted_ranks(strings, kept)
    expected = sorted(strings[i] for i in chosen)
    assert list(table) == expected
    assert table.blob.tobytes() == "".join(expected).encode()
    assert ranks[chosen].tolist() == [expected.index(strings[i]) for i in chosen]
    assert (np.delete(ranks, chosen) == -1).all()
    ranks, table = _sorted_ranks(strings)      # every string
    assert list(table) == sorted(strings)
    assert ranks.tolist() == [sorted(strings).index(s) for s in strings]
