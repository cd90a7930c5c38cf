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
