"""One topic, one entry: n-gram variants folded into the term that names the topic.

Every paper holding the bigram "x y" holds "x" and "y", so a topic that moves drags its
parts along, and a unigram that moves drags along the bigrams it forms ("fractalnet
based", "propose fractalnet"). For a ranked bigram B and a ranked unigram part U of it:

- U moves on its own when its papers *without* B moved the same way (significant and
  with an interval that excludes no change); otherwise U is a variant of B, which
  names the topic more exactly ("splatting" folds into "gaussian splatting").
- B moves on its own when its share *among U's papers* moved the same way; otherwise B
  is a variant of U ("fractalnet based" folds into "fractalnet").
- When both move on their own both stay ("vision transformer" rising faster than
  "transformer", which rises too).
- Two ranked bigrams that chain ("large language", "language models") and whose share
  ratios are within `CHAIN_RATIO` of each other are one topic, the trigram the table
  does not hold: the weaker folds into the stronger. With different ratios ("deep
  learning" and "learning rate") they stay apart.

Word forms ("network" / "networks") are the shared analyser's business: folding works on
whatever terms it yields. Recommendation reasons, which have no counts over time, fold
by words alone (`fold_words`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from recommend.trend_windows import SIGNIFICANT_LLR, movement

CHAIN_RATIO = 1.25
# term -> (papers in the recent window, papers in the baseline window), None if unknown
CountLookup = Callable[[str], "tuple[float, float] | None"]


def fold_ranked(ranked: Sequence[str], counts: CountLookup, n_recent: float,
                n_baseline: float, sign: int) -> list[tuple[str, list[str]]]:
    """(head, variants) in rank order of each group's best member, for terms ranked by a
    movement in direction `sign` (+1 rising, -1 falling)."""
    rank = {t: i for i, t in enumerate(ranked)}
    parent: dict[str, str] = {}
    for bigram in ranked:
        for part in dict.fromkeys(bigram.split(" ")) if " " in bigram else ():
            if part not in rank:
                continue
            child = _variant(bigram, part, counts, n_recent, n_baseline, sign)
            if child is not None:
                head = part if child == bigram else bigram
                if child not in parent or rank[head] < rank[parent[child]]:
                    parent[child] = head
    for weaker, stronger in _chains(ranked, counts, n_recent, n_baseline):
        parent.setdefault(weaker, stronger)
    groups: dict[str, list[str]] = {}
    for term in ranked:
        groups.setdefault(_root(term, parent), []).append(term)
    order = sorted(groups, key=lambda h: rank[groups[h][0]])
    return [(head, [t for t in groups[head] if t != head]) for head in order]


def _variant(bigram: str, part: str, counts: CountLookup, n_recent: float, n_baseline: float,
             sign: int) -> str | None:
    """Which of the pair is a variant of the other (None: both move on their own)."""
    big, uni = counts(bigram), counts(part)
    if big is None or uni is None:
        return None
    (ab, bb), (au, bu) = big, uni
    if not _moves(au - ab, bu - bb, n_recent, n_baseline, sign):
        return part
    if not _moves(ab, bb, max(au, 1.0), max(bu, 1.0), sign):
        return bigram
    return None


def _chains(ranked: Sequence[str], counts: CountLookup, n_recent: float, n_baseline: float
            ) -> list[tuple[str, str]]:
    """(weaker, stronger) for ranked bigrams "x y", "y z" (or "y z", "x y") that move alike."""
    bigrams = [t for t in ranked if t.count(" ") == 1]
    starting: dict[str, list[str]] = {}
    for b in bigrams:
        starting.setdefault(b.split(" ")[0], []).append(b)
    pairs = []
    for first in bigrams:
        for second in starting.get(first.split(" ")[1], ()):
            if second != first and _alike(first, second, counts, n_recent, n_baseline):
                pairs.append((first, second))
    order = {t: i for i, t in enumerate(ranked)}
    return [(max(p, key=order.__getitem__), min(p, key=order.__getitem__)) for p in pairs]


def _alike(first: str, second: str, counts: CountLookup, n_recent: float, n_baseline: float
           ) -> bool:
    ratios = []
    for term in (first, second):
        found = counts(term)
        if found is None:
            return False
        ratios.append(((found[0] + 0.5) / n_recent) / ((found[1] + 0.5) / n_baseline))
    return max(ratios) / min(ratios) <= CHAIN_RATIO


def _moves(a: float, b: float, n_recent: float, n_baseline: float, sign: int) -> bool:
    fig = movement(np.array([max(a, 0.0)]), np.array([max(b, 0.0)]), n_recent, n_baseline)
    return bool(sign * fig["llr"][0] >= SIGNIFICANT_LLR and sign * fig["score"][0] > 0)


def _root(term: str, parent: dict[str, str]) -> str:
    seen = {term}
    while term in parent and parent[term] not in seen:
        term = parent[term]
        seen.add(term)
    return term


def fold_words(terms: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(label, variants) for ranked terms without counts: a unigram folds into the best-ranked
    bigram holding it, and two bigrams that chain ("graph neural", "neural networks") are
    one entry labelled as the phrase they make ("graph neural networks"). Bigrams that only
    share a word ("deep learning", "reinforcement learning") stay apart."""
    entries: list[list[str]] = []          # [label, member, member, ...]
    for bigram in (t for t in terms if " " in t):
        entry = next((e for e in entries if _chain(e[0], bigram)), None)
        if entry is None:
            entries.append([bigram, bigram])
        else:
            entry[0] = _chain(entry[0], bigram) or entry[0]
            entry.append(bigram)
    for word in (t for t in terms if " " not in t):
        entry = next((e for e in entries if word in e[0].split(" ")), None)
        if entry is None:
            entries.append([word, word])
        else:
            entry.append(word)
    rank = {t: i for i, t in enumerate(terms)}
    entries.sort(key=lambda e: min(rank[t] for t in e[1:]))
    return [(e[0], [t for t in sorted(e[1:], key=rank.__getitem__) if t != e[0]]) for e in entries]


def _chain(label: str, bigram: str) -> str | None:
    """The phrase two bigrams make when one's last word is the other's first ("graph
    neural" + "neural networks"); None otherwise or once the label is already a phrase."""
    words, (x, y) = label.split(" "), bigram.split(" ")
    if len(words) != 2 or x == y:
        return None
    if words[1] == x and words[0] != y:
        return f"{label} {y}"
    if words[0] == y and words[1] != x:
        return f"{bigram} {words[1]}"
    return None
