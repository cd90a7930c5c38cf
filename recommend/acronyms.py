"""Acronyms learned from the papers themselves: "graph neural networks (GNNs)".

At index time every "long form (ACRONYM)" in the texts is read: the acronym's letters
must be the initials of the words just before the bracket (a hyphenated word gives one
initial per part; a stop word may give one or none: "mixture of experts (MoE)"). A
definition counts once per paper; an acronym is learned when at least `min_papers`
papers define it and one long form makes up more than `min_share` of its definitions, so
one odd paper cannot redefine a term. Search then finds either form from the other.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from recommend.text import STOP_WORDS, stem

MIN_PAPERS = 3
MIN_SHARE = 0.5
MAX_LETTERS = 8
# "(GNNs)", "(RAG)", "(LoRA)", "(MoE)": at least two capitals; an s may end a plural
_BRACKET = re.compile(r"\((?P<acr>[A-Za-z]{2,10}?)(?P<plural>s?)\)")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_LOOKBACK_CHARS = 160


@dataclass(frozen=True)
class Acronym:
    """One learned acronym: its term and the long form's terms (stems), and both as
    most often written."""

    term: str
    long_terms: tuple[str, ...]
    written: str
    long_written: str


def definitions(text: str) -> set[tuple[str, str]]:
    """The (acronym, long form) pairs a text defines, as written (acronym without a
    plural s, long form lowercase)."""
    found = set()
    for m in _BRACKET.finditer(text):
        acr = m["acr"]
        if sum(c.isupper() for c in acr) < 2 or len(acr) > MAX_LETTERS:
            continue
        before = _WORD.findall(text[max(0, m.start() - _LOOKBACK_CHARS):m.start()])
        long_form = _long_form(acr.lower(), before)
        if long_form:
            found.add((acr, long_form))
    return found


def _long_form(letters: str, before: list[str]) -> str | None:
    """The fewest words ending just before the bracket whose initials spell `letters`."""
    for n in range(2, min(len(before), len(letters) + 2) + 1):
        chosen = before[-n:]
        parts = [p.lower() for w in chosen for p in w.split("-")]
        if parts[0][0] != letters[0] or parts[0] in STOP_WORDS:
            continue
        if _spells(parts, letters):
            return " ".join(w.lower() for w in chosen)
    return None


def _spells(parts: list[str], letters: str) -> bool:
    """Whether the parts' initials give the letters in order; a stop word may give none."""
    if not parts:
        return not letters
    head, rest = parts[0], parts[1:]
    if letters and head[0] == letters[0] and _spells(rest, letters[1:]):
        return True
    return head in STOP_WORDS and _spells(rest, letters)


def learn(texts: Iterable[str], *, min_papers: int = MIN_PAPERS, min_share: float = MIN_SHARE
          ) -> list[Acronym]:
    """The acronyms the texts define often and consistently enough, sorted by term."""
    return choose(count_definitions(texts), min_papers=min_papers, min_share=min_share)


@dataclass
class DefinitionCounts:
    """Papers defining each (acronym term, long-form stems) pair, and how it was written.

    Counts of consecutive batches of texts add up (`add`) to the counts of all of them,
    in the same order, so a corpus can be counted in chunks or in worker processes.
    """

    by_pair: Counter[tuple[str, tuple[str, ...]]] = field(default_factory=Counter)
    written: dict[tuple[str, tuple[str, ...]], Counter[tuple[str, str]]] = field(
        default_factory=dict)

    def add(self, other: DefinitionCounts) -> None:
        self.by_pair.update(other.by_pair)
        for key, forms in other.written.items():
            self.written.setdefault(key, Counter()).update(forms)


def count_definitions(texts: Iterable[str]) -> DefinitionCounts:
    """The definitions in `texts`, each pair counted once per text."""
    counts = DefinitionCounts()
    for text in texts:
        seen = set()
        # sorted: a set's order changes with each process's string hashing, and the
        # first pair seen wins ties in `choose`
        for acr, long_form in sorted(definitions(text)):
            key = (stem(acr.lower()), _stems(long_form))
            if key not in seen:
                seen.add(key)
                counts.by_pair[key] += 1
                counts.written.setdefault(key, Counter())[(acr, long_form)] += 1
    return counts


def choose(counts: DefinitionCounts, *, min_papers: int = MIN_PAPERS,
           min_share: float = MIN_SHARE) -> list[Acronym]:
    """The acronyms defined in at least `min_papers` papers and by more than `min_share`
    of the papers defining that acronym, sorted by term."""
    per_acronym: Counter[str] = Counter()
    for (term, _), n in counts.by_pair.items():
        per_acronym[term] += n
    out = {}
    for key, n in counts.by_pair.most_common():
        term, long_terms = key
        if n >= min_papers and n > min_share * per_acronym[term] and term not in out:
            acr, long_form = counts.written[key].most_common(1)[0][0]
            out[term] = Acronym(term, long_terms, acr, long_form)
    return [out[t] for t in sorted(out)]


def _stems(long_form: str) -> tuple[str, ...]:
    words = [p for w in long_form.split() for p in w.split("-")]
    return tuple(stem(w) for w in words if w not in STOP_WORDS and len(w) > 1)


def pack(acronyms: list[Acronym]) -> list[str]:
    """One line per acronym for the index (tab-separated fields)."""
    return ["\t".join((a.term, " ".join(a.long_terms), a.written, a.long_written))
            for a in acronyms]


def unpack(lines: Iterable[str]) -> list[Acronym]:
    out = []
    for line in lines:
        term, long_terms, acr, long_form = str(line).split("\t")
        out.append(Acronym(term, tuple(long_terms.split(" ")), acr, long_form))
    return out
