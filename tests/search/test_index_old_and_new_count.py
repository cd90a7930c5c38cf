"""A whole index built with the chunk-at-a-time count (recommend/chunk_analysis.py, the
forms counted by the workers) is byte for byte the index built with the count as first
written (tests/helpers/chunk_reference.py, one document and one token at a time) and the
sampled written forms counted doc by doc (`trend_build.add_forms`): on a few hundred
papers with full texts, accents and other scripts, acronyms, hyphenated words, empty
texts and texts without a term."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from recommend import search_runs, trend_build
from recommend.index import Doc
from recommend.text import document, words
from tests.helpers.chunk_reference import reference_count_chunk
from tests.helpers.index_versions import assert_same_version, built_version

FULL_TEXT_PIECES = [
    "We train graph neural networks (GNNs) with retrieval-augmented generation (RAG).",
    "A mixture of experts (MoE) routes tokens; large language models (LLMs) follow.",
    "State-of-the-art results on long-\ncontext bench-\nmarks: a well-known, hand-made set.",
    "Schrödinger équation naïve café Ωmega ΣΙΣΥΦΟΣ İstanbul ﬁne ﬂow ＦＵＬＬ 東京 データ 😀.",
    "Equilibria of matrices; generalization and normalization (BN) of the data.",
    "Section 3.2 (Fig. 4) shows x_1 = 0.5 for 10^3 steps [12], see https://arxiv.org.",
    "the of and a an to in is it . , ; the of",
    "",
]


def _docs(sample_records: list[dict], n: int = 300) -> list[Doc]:
    rng = random.Random(5)
    docs = []
    for i, r in enumerate(sample_records[:n]):
        full = None
        if i % 7 == 0:      # a full text of some thousands of characters, or an empty one
            full = " ".join(rng.choice(FULL_TEXT_PIECES) for _ in range(rng.randint(0, 300)))
        docs.append(Doc(r["id"], date(2020, 1, 1) + timedelta(days=i), tuple(r["categories"]),
                        document(r["title"], r["summary"], full), full is not None,
                        r["title"], tuple(r["authors"])))
    odd = [("", ""), ("the of a", "The Of"), ("1 2 3 . , ;", ""), (FULL_TEXT_PIECES[3], "Ωmega")]
    for k, (text, title) in enumerate(odd):
        docs.insert(40 * k + 3, Doc(f"odd-{k}", date(2021, 1, 1), ("cs.LG",), text, False,
                                    title, ()))
    return docs


def _count_chunk_as_first_written(docs, form_rows=()):
    """`count_chunk` by the reference, the forms by `add_forms` one doc at a time."""
    counted = reference_count_chunk(docs)
    forms: Counter[tuple[str, str]] = Counter()
    for row in form_rows:
        trend_build.add_forms(forms, docs[row][0], words(docs[row][0]), False)
    counted.forms = dict(forms)
    return counted


@pytest.mark.parametrize("chunk_docs", [2000, 37])
def test_the_index_is_byte_for_byte_the_index_of_the_count_as_first_written(
        sample_records, tmp_path, monkeypatch, chunk_docs) -> None:
    from ingest import indexing

    docs = _docs(sample_records)
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", chunk_docs)
    monkeypatch.setattr(trend_build, "FORM_SAMPLE_DOCS", 90)   # every 4th doc's forms
    builders = indexing.extra_builders()[:2]                    # search and trends, one pass
    kw = {"min_df": 1, "sample_docs": 200, "max_features": 2000}
    new = built_version(tmp_path / "new", docs, builders, n_jobs=2, **kw)
    monkeypatch.setattr(search_runs, "count_chunk", _count_chunk_as_first_written)
    old = built_version(tmp_path / "old", docs, builders, n_jobs=1, **kw)
    assert_same_version(old, new, holding=("search_text.data", "search_words",
                                           "trend_counts.data", "trend_label"))
