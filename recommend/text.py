"""THE analyser and document builder, shared by the index, search, features and trends.

Terms are word stems (Snowball's English stemmer, PyStemmer), so "networks", "network"
and "networking" are one term, as in Lucene's English analyser; Latin and Greek plurals
Snowball does not know ("equilibria", "matrices") are first mapped to their singular
(`recommend.word_forms`). `words` keeps the
surface forms (what was typed), for exact phrases and for labels shown to people;
`stems` maps them to terms.

A bigram is two words adjacent in the text. Stop words, numbers, one-letter words and
punctuation are dropped as terms but still separate words, so removing them never
joins words that stood apart: "batch of normalization" holds no "batch normalization",
and "learning. Batch" holds no "learning batch".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import Stemmer

from recommend.stop_words import ENGLISH_STOP_WORDS
from recommend.word_forms import CLASSICAL_PLURALS

# names the analysis; part of the index fingerprint, so a change rebuilds the index
ANALYZER = "snowball-english-3"
STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    {"et", "al", "eg", "ie", "fig", "figure", "table", "arxiv", "http", "https", "www", "com"}
)
# a word, or one punctuation mark that ends a phrase
_TOKEN = re.compile(r"[^\W_]+|[.,;:!?()\[\]{}\"<>=+*/\\|$]")
# _TOKEN for lowercase ASCII text, where a word character is a letter or digit: a class of
# ranges is tested faster than a Unicode category (a sixth less time for an abstract)
_ASCII_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?()\[\]{}\"<>=+*/\\|$]")


def tokens_of(text: str) -> list[str]:
    """The text's lowercase tokens: words, and the punctuation marks that end phrases."""
    return (_ASCII_TOKEN if text.isascii() else _TOKEN).findall(text.lower())


def words(text: str) -> list[str | None]:
    """The text as lowercase words, with None where a word is not a term (a gap)."""
    tokens = tokens_of(text)
    return [None if len(t) < 2 or t in STOP_WORDS or t.isdigit() else t for t in tokens]


# no cache of PyStemmer's own: `stem` keeps one, and PyStemmer's (10,000 words by default)
# triples the time of a word not seen before
_STEMMER = Stemmer.Stemmer("english", 0)
# "-al" and "-ar" adjectives made verbs with -ize/-ise: Snowball folds "generalization" into
# "general" and "normalization" into "normal", words of another meaning that are far more
# common; these keep a stem of their own ("generaliz"), shared by every form of the verb
_AL_IZE = re.compile(r"(?P<base>[a-z]{2,}a[lr])i[sz](?:e|es|ed|er|ers|ing|ation|ations|able|ability)")
_VOWELS = frozenset("aeiouy")
_stem_cache: dict[str, str] = {}
STEM_CACHE_SIZE = 500_000


def stem(word: str) -> str:
    """The term of a lowercase word: its Snowball stem. An acronym's plural loses its s
    ("llms" -> "llm"), which Snowball leaves alone when the rest has no vowel; a Latin or
    Greek plural is stemmed as its singular ("equilibria" -> "equilibrium"); a verb made
    from an "-al" adjective keeps its own stem ("generalization" -> "generaliz", not
    "general")."""
    term = _stem_cache.get(word)
    if term is None:
        term = _term(word, _STEMMER.stemWord(CLASSICAL_PLURALS.get(word, word)))
        if len(_stem_cache) >= STEM_CACHE_SIZE:
            _stem_cache.clear()
        _stem_cache[word] = term
    return term


def _term(word: str, snowball: str) -> str:
    """`stem`'s rules, given the word's Snowball stem (of its singular if classical)."""
    if len(word) > 3 and word[-1] == "s" and not _VOWELS.intersection(word[:-1]):
        term = word[:-1]
    elif ("is" in word or "iz" in word) and (verb := _AL_IZE.fullmatch(word)) is not None:
        term = verb["base"] + "iz"
    else:
        term = snowball
    # a term is never shorter than 2 or a number
    return word if len(term) < 2 or term.isdigit() else term


def stem_words(distinct: Sequence[str]) -> list[str]:
    """`stem` of each of these distinct lowercase words, in one pass: the words not yet
    cached are stemmed together (one Snowball call), the rest looked up."""
    missing = list(set(distinct).difference(_stem_cache))
    if len(missing) >= STEM_CACHE_SIZE // 2:
        return [stem(w) for w in distinct]
    if len(_stem_cache) + len(missing) >= STEM_CACHE_SIZE:
        _stem_cache.clear()     # now, not midway: every word's stem stays cached below
        missing = list(set(distinct))
    _stem_cache.update(zip(missing, stems_uncached(missing), strict=True))
    return list(map(_stem_cache.__getitem__, distinct))


def stems_uncached(distinct: Sequence[str]) -> list[str]:
    """`stem` of each of these lowercase words, in one Snowball call, neither read from
    nor kept in the stem cache: for callers that keep a memo of their own."""
    snowball = _STEMMER.stemWords(list(map(CLASSICAL_PLURALS.get, distinct, distinct)))
    return list(map(_term, distinct, snowball))


def stems(seq: Sequence[str | None]) -> list[str | None]:
    """`words` output with each word replaced by its term (gaps stay None)."""
    cached = _stem_cache.get
    return [(cached(w) or stem(w)) if w else None for w in seq]


def analyze(text: str) -> list[str]:
    """Unigram and bigram terms (stems) of a text, in order, unigrams first."""
    return analyze_words(words(text))


def analyze_words(surface: Sequence[str | None]) -> list[str]:
    """`analyze` of a text already split by `words`."""
    seq = stems(surface)
    unigrams = [t for t in seq if t]
    bigrams = [f"{a} {b}" for a, b in zip(seq, seq[1:], strict=False) if a and b]
    return unigrams + bigrams


def normalize(text: str) -> str:
    """Unicode compatibility form (ligatures, full-width letters) with whitespace folded."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def document(title: str, abstract: str, fulltext: str | None = None) -> str:
    """The text a paper contributes to features and trends: title, abstract, full text.

    Parts are joined with a full stop so the last word of one never forms a bigram with
    the first word of the next.
    """
    parts = [title, abstract] + ([fulltext] if fulltext else [])
    return " . ".join(parts)
