"""Names compared as people mean them: accents and case folded ("Müller" = "muller")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    """Lowercase text without accents or other combining marks."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def folded_authors(authors: Iterable[str]) -> str:
    """An author list as one folded text to search names in ("|" never joins two names)."""
    return " | ".join(fold(a) for a in authors)


_WORD = re.compile(r"\w+")
AUTHOR_WORD_CHARS = 64      # longer words are cut (the store's column)


def author_words(folded: str) -> set[str]:
    """The words of folded author names, as the store indexes them (store.schema's
    paper_author_words): "de la cruz | o'neil" gives de, la, cruz, o, neil."""
    return {w[:AUTHOR_WORD_CHARS] for w in _WORD.findall(folded)}
