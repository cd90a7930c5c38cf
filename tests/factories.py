"""Factories with overrides: papers that read like real ones, stored in one call."""

from __future__ import annotations

import itertools
from datetime import datetime

from domain.records import PaperRecord, make_record
from store.papers import upsert_papers

_seq = itertools.count(1)


def record(**overrides) -> PaperRecord:
    n = next(_seq)
    fields = {
        "id": f"2401.{n:05d}",
        "title": f"Paper number {n} about graph neural networks",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "abstract": "We study message passing in graph neural networks and report results.",
        "categories": ["cs.LG"],
        "published": datetime(2024, 1, 15),
    }
    fields.update(overrides)
    return make_record("factory", **fields)


def add_papers(engine, *records: PaperRecord) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, records)
