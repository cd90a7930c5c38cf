"""Names compared as people mean them: accents and case folded ("Müller" = "muller")."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    """Lowercase text without accents or other combining marks."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def folded_authors(authors: Iterable[str]) -> str:
    """An author list as one folded text to search names in ("|" never joins two names)."""
    return " | ".join(fold(a) for a in authors)
