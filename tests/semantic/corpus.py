"""The topical test corpus of tests/recommend_web plus papers that say the same in other words."""

from __future__ import annotations

from datetime import datetime

from tests.factories import record
from tests.helpers.recommend_web import corpus as topical_corpus

PARAPHRASE_ID = "2405.88888"
PARAPHRASE_TITLE = "Robots improve through trial and error"
QUESTION = "how do automata behave for payoff"       # shares no word with any paper, RL in meaning


def corpus() -> list:
    """41 topical papers (four topics, ids 2405.<topic><n>) and one RL paper in other words."""
    return [*topical_corpus(), record(
        id=PARAPHRASE_ID, title=PARAPHRASE_TITLE,
        abstract="Robots get incentives and improve by trial and error.",
        categories=["cs.LG"], published=datetime(2024, 5, 25))]


def rl_ids() -> set[str]:
    return {f"2405.0{i:04d}" for i in range(10)} | {"2405.99999", PARAPHRASE_ID}


# texts for the ranking models' own tests: six papers on reinforcement learning, sixteen on
# other topics, a paraphrase of the RL topic that shares no word with it, and an off-topic
# text as alone lexically
RL_TEXTS = [f"A reinforcement learning agent {w} policy reward markov decision study {i}"
            for i, w in enumerate(["learns", "optimises", "explores", "trains", "plans", "updates"])]
OTHER_TEXTS = [f"{topic} paper {i}" for i, topic in enumerate(
    ["language model translation", "graph node classification", "protein folding structure",
     "image compression codec", "database query optimiser", "compiler register allocation",
     "sorting network hardware", "weather forecast ensemble"] * 2)]
PARAPHRASE_TEXT = "robots improve through trial and error incentives"
DISTRACTOR_TEXT = "ocean tides follow seasonal moon cycles nightly"
# the ranking tests' documents: the RL papers, the others, the distractor, then the
# paraphrase (TARGET, last); the library is the first three RL papers
RANKING_DOCS = RL_TEXTS + OTHER_TEXTS + [DISTRACTOR_TEXT, PARAPHRASE_TEXT]
