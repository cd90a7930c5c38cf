"""Names compared as people mean them: accents and case folded ("Müller" = "muller")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


def fold(text: str) -> str:
    """Lowercase text without accents or other combining marks."""
    if text.isascii():          # most names: NFKD leaves ASCII as it is
        return text.lower()
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def folded_authors(authors: Iterable[str]) -> str:
    """An author list as one folded text to search names in ("|" never joins two names)."""
    return " | ".join(fold(a) for a in authors)


_PARTICLES = {"van", "von", "der", "de", "den", "da", "di", "del", "la", "le", "du", "dos", "das", "ter"}


@dataclass(frozen=True, slots=True)
class Name:
    firsts: tuple[str, ...]     # folded first and middle names or initials ("g", "geoffrey")
    last: str                   # folded last name, particles included ("van der waals")

    @property
    def key(self) -> str:
        return " ".join((*self.firsts, self.last))

    @property
    def first(self) -> str:
        """The full first name, or "" when only initials are known."""
        return self.firsts[0] if self.firsts and len(self.firsts[0]) > 1 else ""


@lru_cache(maxsize=8192)       # pages resolve the same spellings again and again
def parse_name(text: str) -> Name:
    """A name's folded parts; "Last, First" is turned round; hyphenated names stay one part."""
    text = " ".join(text.split())
    if "," in text:
        last, _, first = text.partition(",")
        text = f"{first} {last}"
    tokens = re.findall(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", fold(text))
    if not tokens:
        return Name((), "")
    # particles before the last name belong to it ("van der Waals")
    i = len(tokens) - 1
    while i > 0 and tokens[i - 1] in _PARTICLES:
        i -= 1
    if i == 0:
        i = len(tokens) - 1
    return Name(tuple(tokens[:i]), " ".join(tokens[i:]))


LAST_NAME_CHARS = 64        # longer last names are cut (the store's column)


def last_names(authors: Iterable[str]) -> set[str]:
    """The folded last names of an author list, as the store indexes them (store.schema's
    paper_author_names): an author page looks its person up by last name."""
    return {n.last[:LAST_NAME_CHARS] for n in map(parse_name, authors) if n.last}
