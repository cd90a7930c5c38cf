"""Recommendations in tests: a corpus of topic papers and rebuilding the app's index over it."""

from __future__ import annotations

from datetime import datetime

from ingest import indexing
from tests.factories import record

TOPICS = {
    "rl": ["reinforcement learning agent", "policy gradient", "reward shaping", "markov decision process"],
    "seg": ["image segmentation", "semantic segmentation masks", "medical image", "pixel labels"],
    "lm": ["language model", "text generation", "machine translation", "token prediction"],
    "graph": ["graph neural network", "message passing", "node classification", "molecule graph"],
}


def _name(prefix: str, t: int, i: int) -> str:
    """A made-up name unique to one paper, as real abstracts name their own method and data."""
    return prefix + "abcdefghijklmnopqrstuvwxyz"[t] + "abcdefghijklmnopqrstuvwxyz"[i]


def corpus() -> list:
    """Ten papers per topic (ids 2405.<topic><n>) plus a near-duplicate of rl paper 0."""
    recs = []
    for t, phrases in enumerate(TOPICS.values()):
        for i in range(10):
            words = ", ".join(phrases[(i + j) % 4] for j in range(3))
            recs.append(record(
                id=f"2405.{t}{i:04d}", title=f"Study {i} of {phrases[i % 4]}",
                abstract=(f"We study {words} with the new method {_name('method', t, i)}, trained on "
                          f"{_name('dataset', t, i)} and scored by {_name('metric', t, i)}. "
                          f"Results on {phrases[0]}."),
                categories=["cs.LG" if t % 2 == 0 else "cs.CV"],
                published=datetime(2024, 5, 1 + i)))
    recs.append(record(id="2405.99999", title="Study 0 of reinforcement learning agent (extended)",
                       abstract=recs[0].abstract + " Extended version.", categories=["cs.LG"],
                       published=datetime(2024, 5, 20)))
    return recs


def rebuild(app) -> None:
    indexing.build(app.extensions["papersift.engine"], app.config["SETTINGS"], force=True)
    from web.services import index_holder
    with app.app_context():
        index_holder().reload()
