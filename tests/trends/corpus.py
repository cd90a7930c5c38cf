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


# hot/not corpus: 24 months (2022-01 .. 2023-12), 40 papers a month. The newest month's
# windows are 2023-07 .. 2023-12 (recent, 240 papers) against 2022-07 .. 2023-06 (baseline,
# 480 papers). Per sentence, how many papers of month i (0-based) hold it: papers 0..f(i)-1.
HOT_MONTHS = 24
HOT_PAPERS = 40
RECENT = range(18, 24)


def _recent(before: int, after: int):
    return lambda i: after if i in RECENT else before


HOT_TERMS = {
    "transformer": _recent(10, 30),          # rises, and so does...
    "vision transformer": _recent(2, 12),    # ...its share among transformer papers: both stay
    "gaussian splatting": _recent(2, 10),    # rises; "splatting" only here: folds into it
    "gaussian process": lambda i: 5,         # flat
    "fractalnet": _recent(20, 4),            # cools, with two variants whose share of it is flat
    "fractalnet based": _recent(10, 2),
    "we propose fractalnet": _recent(5, 1),
    "mamba": lambda i: 6 if i >= 19 else 0,  # emerging from 2023-08
    "filler words": lambda i: HOT_PAPERS,    # in every paper: in no list
}


def planted_docs(terms: dict, *, months: int = HOT_MONTHS, papers: int = HOT_PAPERS,
                 categories=lambda j: ("cs.LG",)) -> list[Doc]:
    """Papers of 2022-01 onwards; paper j of month i holds each sentence with j < f(i)."""
    docs = []
    for i in range(months):
        year, month = 2022 + i // 12, 1 + i % 12
        for j in range(papers):
            sentences = ["Opening"] + [t for t, f in terms.items() if j < f(i)]
            docs.append(Doc(f"h{i:02d}{j:02d}", date(year, month, 1 + j % 28), categories(j),
                            ". ".join(sentences) + "."))
    return docs


def hot_docs() -> list[Doc]:
    return planted_docs(HOT_TERMS)
