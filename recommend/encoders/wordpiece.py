"""BERT's uncased WordPiece tokeniser in plain Python (no `tokenizers` needed at run time).

It follows the `BertNormalizer` + `BertPreTokenizer` + `WordPiece` pipeline of
all-MiniLM-L6-v2's tokenizer.json: control characters dropped, accents stripped, lower
case, CJK characters and punctuation split off as tokens of their own, then greedy
longest-match-first word pieces ("##" marks a continuation); a word that cannot be
spelled from the vocabulary, or is longer than 100 characters, is one [UNK].
tests/recommend/test_embedding_tokeniser.py checks it against the Rust tokeniser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MAX_WORD_CHARS = 100
_WORD_CACHE_LIMIT = 200_000
_ASCII_PUNCTUATION = frozenset(chr(c) for c in [*range(33, 48), *range(58, 65), *range(91, 97),
                                                 *range(123, 127)])
_CJK = re.compile("([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f])")


def normalise(text: str) -> str:
    """Lower case, accents stripped, control characters dropped, CJK characters spaced out."""
    text = "".join(" " if ch.isspace() else ch for ch in text
                   if ch not in "\x00\ufffd" and (ch in "\t\n\r" or unicodedata.category(ch)[0] != "C"))
    text = _CJK.sub(r" \1 ", text)
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def is_punctuation(ch: str) -> bool:
    """BERT's rule: ASCII non-alphanumerics count even where Unicode calls them symbols ("$", "^")."""
    return ch in _ASCII_PUNCTUATION or unicodedata.category(ch).startswith("P")


def split_words(text: str) -> list[str]:
    """Split on white space, then every punctuation character on its own ("°" and "→" stay on)."""
    out: list[str] = []
    for chunk in text.split():
        if chunk.isalnum():
            out.append(chunk)
            continue
        start = 0
        for i, ch in enumerate(chunk):
            if is_punctuation(ch):
                if start < i:
                    out.append(chunk[start:i])
                out.append(ch)
                start = i + 1
        if start < len(chunk):
            out.append(chunk[start:])
    return out


class WordPieceTokeniser:
    """Text -> vocabulary ids, without [CLS]/[SEP]; words are cached, so repeats cost a lookup."""

    def __init__(self, vocabulary: Sequence[str], unknown: str = "[UNK]") -> None:
        self.vocabulary = list(vocabulary)
        self.ids = {token: i for i, token in enumerate(self.vocabulary)}
        self.unknown_id = self.ids[unknown]
        self._cache: dict[str, tuple[int, ...]] = {}

    def tokenise(self, text: str) -> list[int]:
        """The word-piece ids of `text`, in order."""
        out: list[int] = []
        for word in split_words(normalise(text)):
            pieces = self._cache.get(word)
            if pieces is None:
                pieces = self._word_pieces(word)
                if len(self._cache) < _WORD_CACHE_LIMIT:
                    self._cache[word] = pieces
            out.extend(pieces)
        return out

    def tokens(self, text: str) -> list[str]:
        """The word pieces of `text` as strings (for people and tests)."""
        return [self.vocabulary[i] for i in self.tokenise(text)]

    def _word_pieces(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD_CHARS:
            return (self.unknown_id,)
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.ids.get(piece)
                if found is not None:
                    break
            else:
                return (self.unknown_id,)
            pieces.append(found)
            start = end
        return tuple(pieces)
