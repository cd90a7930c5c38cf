"""THE analyser under fuzzing: terms are lowercase stems of words that are never stop words,
numbers or single letters, and a bigram is always two kept words that stood next to each
other."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recommend.text import STOP_WORDS, analyze, document, normalize, stem, stems, words
from tests.helpers.fuzz import FUZZ

# words a tokeniser meets in abstracts, plus the characters that break naive ones
vocabulary = st.sampled_from(["graph", "neural", "network", "the", "of", "batch", "normalization",
                              "a", "x", "2024", "GPT-4", "O(n)", "naïve", "Ångström", "ﬁne", "İstanbul",
                              "straße", "$\\alpha$", "e.g.", "et", "al.", "深度学习", "--", "_", "\u200b"])
texty = st.lists(vocabulary | st.text(max_size=12), max_size=40).map(
    lambda parts: " ".join(parts)) | st.text(max_size=300)


def kept_pairs(text: str) -> set[str]:
    seq = stems(words(text))
    return {f"{a} {b}" for a, b in zip(seq, seq[1:], strict=False) if a and b}


@FUZZ
@given(texty)
def test_terms_are_lowercase_kept_words(text: str) -> None:
    kept = [w for w in words(text) if w]
    terms = analyze(text)
    unigrams = [t for t in terms if " " not in t]
    bigrams = [t for t in terms if " " in t]
    assert unigrams == [stem(w) for w in kept]               # each kept word's stem
    assert terms == unigrams + bigrams                        # unigrams first, in order
    for word in kept:
        assert word not in STOP_WORDS and not word.isdigit() and len(word) >= 2
    for term in unigrams:
        assert term == term.lower() and len(term) >= 2 and not term.isdigit()
        assert term.strip() == term and term


@FUZZ
@given(texty)
def test_bigrams_are_adjacent_kept_words(text: str) -> None:
    pairs = kept_pairs(text)
    for bigram in (t for t in analyze(text) if " " in t):
        assert bigram in pairs and len(bigram.split(" ")) == 2


@FUZZ
@given(texty)
def test_case_does_not_change_terms(text: str) -> None:
    assert analyze(text.lower()) == analyze(text)


@FUZZ
@given(st.lists(vocabulary, min_size=2, max_size=6), st.sampled_from(sorted(STOP_WORDS)),
       st.sampled_from([".", ",", ";", "(", ")", "1999", "x"]))
def test_a_stop_word_or_mark_between_two_words_leaves_a_gap(parts: list[str], stop: str, mark: str) -> None:
    left, right = "alpha", "beta"
    for gap in (stop, mark):
        assert f"{left} {right}" not in analyze(f"{' '.join(parts)} {left} {gap} {right}")
    assert f"{left} {right}" in analyze(f"{left} {right}")


@FUZZ
@given(texty, texty, st.none() | texty)
def test_document_parts_never_join(title: str, abstract: str, fulltext: str | None) -> None:
    own = kept_pairs(title) | kept_pairs(abstract) | (kept_pairs(fulltext) if fulltext else set())
    assert kept_pairs(document(title, abstract, fulltext)) <= own


@FUZZ
@given(texty)
def test_normalize_is_idempotent_and_folds_whitespace(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == " ".join(once.split())
