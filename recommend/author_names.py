"""Author names matched as people write them: accents, case, initials, "Last, First".

"G. Hinton", "Geoffrey Hinton", "Geoffrey E. Hinton" and "Hinton, Geoffrey" are compatible:
same last name, and first names that agree where both are given (an initial agrees with
any name it starts). Whether a compatible name is the same person is decided against the
names actually in the store: when the given first names fit two different people ("G.
Hinton" with both a Geoffrey and a Graham Hinton) the match is ambiguous and the people are
listed instead of guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from domain.names import Name, parse_name

__all__ = ["Name", "Resolution", "compatible", "coauthors", "display_name", "needles",
           "parse_name", "resolve"]

def _agree(a: str, b: str) -> bool:
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return a == b


def compatible(a: Name, b: Name) -> bool:
    """Same last name, and first names agreeing as far as both go."""
    if not a.last or a.last != b.last:
        return False
    return all(_agree(x, y) for x, y in zip(a.firsts, b.firsts, strict=False))


@dataclass(frozen=True)
class Resolution:
    """How a wanted name resolves against the names in the store."""

    wanted: Name
    names: tuple[str, ...]          # surface names (as printed) that are this person
    people: tuple[str, ...]         # when ambiguous: one surface name per different person

    @property
    def ambiguous(self) -> bool:
        return len(self.people) > 1


def resolve(wanted: str, surface_names: Iterable[str]) -> Resolution:
    """The surface names that are the wanted person, or the people it could be."""
    target = parse_name(wanted)
    # each spelling parsed once: an author page passes every name on 2,000 papers
    seen = Counter(surface_names)
    parsed = {surface: parse_name(surface) for surface in seen}
    counts = Counter({s: n for s, n in seen.items() if compatible(target, parsed[s])})
    # an initial-only spelling ("G. Hinton") is this person only if no other first name in the
    # store shares the initial (a Graham Hinton beside a Geoffrey Hinton)
    firsts = {p.first for p in parsed.values() if p.last == target.last and p.first}
    for surface in list(counts):
        name = parsed[surface]
        if not name.first and name.firsts and target.first and \
                len({f for f in firsts if f[0] == name.firsts[0][0]}) > 1:
            del counts[surface]
    by_first: dict[str, Counter] = {}
    for surface, n in counts.items():
        first = parsed[surface].first
        if first:
            by_first.setdefault(first, Counter())[surface] += n
    if len(by_first) > 1:
        people = tuple(c.most_common(1)[0][0] for _, c in sorted(by_first.items()))
        return Resolution(target, (), people)
    return Resolution(target, tuple(sorted(counts, key=lambda s: (-counts[s], s))), ())


def display_name(resolution: Resolution, wanted: str) -> str:
    """The most frequent full spelling of the person, else what was asked for."""
    full = [n for n in resolution.names if parse_name(n).first]
    return full[0] if full else " ".join(wanted.split())


def needles(name: Name, wanted: str) -> list[str]:
    """The last names to look the person up by in the store (store.follows.papers_naming:
    folded, particles included): a paper can only resolve to `wanted` through an author of
    the same last name (`compatible`)."""
    return [name.last] if name.last else []


def coauthors(author_lists: Iterable[Iterable[str]], own: set[str], k: int = 10) -> list[tuple[str, int]]:
    """The k most frequent co-authors (by folded name, shown in their commonest spelling)."""
    counts: Counter = Counter()
    spelling: dict[str, Counter] = {}
    for names in author_lists:
        for n in dict.fromkeys(names):
            if n in own:
                continue
            key = parse_name(n).key
            counts[key] += 1
            spelling.setdefault(key, Counter())[n] += 1
    return [(spelling[key].most_common(1)[0][0], n) for key, n in counts.most_common(k)]
