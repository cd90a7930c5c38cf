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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
        # the first word's first part decides most candidates: split the rest only then
        head = before[-n].split("-", 1)[0].lower()
        if head[0] != letters[0] or head in STOP_WORDS:
            continue
        chosen = before[-n:]
        if _spells([p.lower() for w in chosen for p in w.split("-")], letters):
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


def paper_evidence(text: str) -> list[str]:
    """A text's definitions, one line per (acronym term, long form terms) as written
    (`term<TAB>long terms<TAB>acronym<TAB>long form`): where a text writes one
    definition two ways, the first in sorted order counts, so the choice never depends
    on the process."""
    lines = {}
    for acr, long_form in sorted(definitions(text)):
        key = (stem(acr.lower()), " ".join(_stems(long_form)))
        lines.setdefault(key, "\t".join((*key, acr, long_form)))
    return sorted(lines.values())


def learn(texts: Iterable[str], *, min_papers: int = MIN_PAPERS, min_share: float = MIN_SHARE
          ) -> list[Acronym]:
    """The acronyms the texts define often and consistently enough, sorted by term."""
    return learn_evidence((paper_evidence(text) for text in texts), min_papers=min_papers,
                          min_share=min_share)


def learn_evidence(evidence: Iterable[Iterable[str]], *, min_papers: int = MIN_PAPERS,
                   min_share: float = MIN_SHARE) -> list[Acronym]:
    """`learn` from each paper's `paper_evidence` lines."""
    papers: Counter[str] = Counter()
    first: dict[str, int] = {}
    for row, paper in enumerate(evidence):
        for line in paper:
            papers[line] += 1
            first.setdefault(line, row)
    lines = list(papers)
    return choose(lines, [papers[x] for x in lines], [first[x] for x in lines],
                  min_papers=min_papers, min_share=min_share)


def choose(lines: Sequence[str], papers: Sequence[int], first_paper: Sequence[int], *,
           min_papers: int = MIN_PAPERS, min_share: float = MIN_SHARE) -> list[Acronym]:
    """The acronyms learned from `paper_evidence` lines, each with the number of papers
    giving it and the first of them: a definition is learned when enough papers give it
    and more than `min_share` of its acronym's definitions; it is shown as most often
    written (the earliest such paper breaks ties)."""
    forms: dict[tuple[str, str], list[tuple[int, int, str, str]]] = {}
    per_acronym: Counter[str] = Counter()
    for line, n, row in zip(lines, papers, first_paper, strict=True):
        term, long_terms, acr, long_form = str(line).split("\t")
        forms.setdefault((term, long_terms), []).append((-int(n), int(row), acr, long_form))
        per_acronym[term] += int(n)
    best: dict[str, tuple[int, int, Acronym]] = {}
    for (term, long_terms), written in forms.items():
        n = -sum(f[0] for f in written)
        if n < min_papers or n <= min_share * per_acronym[term]:
            continue
        _, _, acr, long_form = min(written)
        rank = (-n, min(f[1] for f in written))
        if term not in best or rank < best[term][:2]:
            best[term] = (*rank, Acronym(term, tuple(long_terms.split(" ")) if long_terms else (),
                                         acr, long_form))
    return [best[t][2] for t in sorted(best)]


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
