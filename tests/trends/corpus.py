"""Synthetic corpora whose monthly counts are known exactly, for the trend tests."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from recommend.index import Doc
from recommend.trends import TrendTable, build_trends


def table_of(docs: list[Doc], min_df: int = 1) -> TrendTable:
    """A TrendTable straight from docs (no index on disk)."""
    published = np.array([_day(d.published) for d in docs], dtype="datetime64[D]")
    parts = build_trends(published, docs, min_df=min_df)
    return TrendTable.from_parts(parts, np.array([d.id for d in docs]))


def _day(value: date | datetime) -> np.datetime64:
    return np.datetime64(value.date() if isinstance(value, datetime) else value, "D")


def small_docs() -> list[Doc]:
    """Nine papers over Nov 2023 .. Mar 2024, no papers in Feb 2024.

    month     papers  transformer  batch normalization  cs.CV (any)  transformer in cs.CV
    2023-11   2       1            1                    1            1
    2023-12   3       2            1 (+1 "batch of")    1            0
    2024-01   3       3            0                    2            2
    2024-02   0       -            -                    -            -
    2024-03   1       0            1                    0            0
    """
    rows = [
        ("a1", datetime(2023, 11, 1, 0, 0), ("cs.CV",), "A transformer with batch normalization."),
        ("a2", datetime(2023, 11, 30, 23, 59), ("cs.LG",), "Graph neural network layers."),
        ("b1", date(2023, 12, 1), ("cs.LG",), "Transformer models. Batch normalization helps."),
        ("b2", date(2023, 12, 15), ("cs.LG", "cs.CV"), "A batch of normalization tricks."),
        ("b3", datetime(2023, 12, 31, 23, 59), ("cs.CL",), "Transformer language model."),
        ("c1", date(2024, 1, 1), ("cs.CV",), "Vision transformer and graph neural network."),
        ("c2", date(2024, 1, 2), ("cs.CL", "cs.CV"), "Transformer for captions: bag of words."),
        ("c3", date(2024, 1, 31), ("cs.CL",), "Transformer pretraining. Graph neural nets."),
        ("d1", date(2024, 3, 3), ("stat.ML",), "Batch normalization theory."),
    ]
    return [Doc(pid, when, cats, text) for pid, when, cats, text in rows]


# hot/not corpus: 24 months (2022-01 .. 2023-12), 10 papers a month; per term, how many
# papers of month i (0-based) contain it
HOT_MONTHS = 24
HOT_PAPERS = 10
HOT_TERMS = {
    "diffusion": lambda i: 5 if i >= 12 else 0,          # new in 2023: ratio 0.5 / (1/10) = 5
    "lstm": lambda i: 4 if i < 12 else 1,                 # cooling: 0.1 / 0.4 = 0.25
    "steady": lambda i: 3,                                # ratio 1: in neither list
    "spike": lambda i: {5: 6, 20: 8}.get(i, 0),           # hot: 0.8 / 0.6, 8 papers recently
    "rare": lambda i: 2 if i == 23 else (1 if i == 3 else 0),  # 2 recent papers: ratio 2
    "fading": lambda i: 1 if i < 12 else 0,               # cooling: 0 / 0.1, 12 papers before
}


def hot_docs() -> list[Doc]:
    docs = []
    for i in range(HOT_MONTHS):
        year, month = 2022 + i // 12, 1 + i % 12
        for j in range(HOT_PAPERS):
            sentences = ["Filler words"] + [t for t, f in HOT_TERMS.items() if j < f(i)]
            docs.append(Doc(f"h{i:02d}{j}", date(year, month, 1 + j), ("cs.LG",),
                            ". ".join(sentences) + "."))
    return docs
