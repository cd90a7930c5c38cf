"""The written-words parts made through files (recommend/search_surface.py) are byte for
byte the ones made in memory (`search_build._surface`, `search_state.common_words_parts`),
whatever the merge window, the cut window and who hashes the words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from recommend import search_runs, term_files, term_hashes, term_union
from recommend.index_stream import StreamedArray
from recommend.search_build import _surface
from recommend.search_runs import count_runs
from recommend.search_state import common_words_parts, state_parts
from recommend.search_surface import spilled_surface

WORDS = ["Naïve", "café", "graphs", "Graphs", "東京", "networks", "network", "sparse",
         "attention", "x", "BERT", "pneumonoultramicroscopicsilicovolcanoconiosislike"]


@dataclass(frozen=True)
class _Doc:
    text: str
    title: str = ""
    categories: tuple[str, ...] = ()


def _docs(n: int) -> list[_Doc]:
    """Papers sharing some words and each with words of its own (singletons)."""
    rng = np.random.default_rng(3)
    return [_Doc(" ".join([*rng.choice(WORDS, size=int(rng.integers(0, 6))).tolist(),
                           f"only{i}", f"Word{i % 7}"]) if i % 11 else "")
            for i in range(n)]


def _whole(parts: dict) -> dict[str, bytes]:
    out = {}
    for name, value in parts.items():
        array = value.whole() if isinstance(value, StreamedArray) else np.asarray(value)
        out[name] = (array.dtype.str, array.tobytes())
    return out


@pytest.mark.parametrize(("held", "window", "workers"), [(1, 1, 1), (3, 5, 2), (1 << 18, 1 << 20, 1)])
def test_spilled_surface_equals_the_surface_made_in_memory(tmp_path, monkeypatch, held, window,
                                                           workers) -> None:
    monkeypatch.setattr(search_runs, "CHUNK_DOCS", 9)
    counted = count_runs(_docs(120), tmp_path, n_docs=120, n_jobs=1, budget=1)  # runs spilled
    assert len(counted.runs["words"]) > 5
    expected = state_parts(np.zeros(0), counted.lengths, _surface(counted.runs["words"]), [])
    expected_common = common_words_parts(expected)
    monkeypatch.setattr(term_union, "MERGE_HELD", held)
    monkeypatch.setattr(term_files, "WINDOW_TERMS", window)
    monkeypatch.setattr(term_hashes, "HASH_TASK_TERMS", 17)
    monkeypatch.setattr(term_hashes, "PARALLEL_MIN_TERMS", 1)
    spill = tmp_path / "spill"
    spill.mkdir()
    state, common = spilled_surface(counted.runs["words"], spill, workers)
    surface_names = [n for n in expected if "surface" in n]
    assert list(state) == surface_names
    want = _whole({n: expected[n] for n in surface_names})
    assert _whole(state) == want
    assert list(common) == list(expected_common)
    assert _whole(common) == _whole(expected_common)
    assert 0 < len(expected_common["search_words_df"]) < len(expected["search_surface_offsets"]) - 1


def test_spilled_surface_with_no_word_in_two_papers(tmp_path) -> None:
    docs = [_Doc(f"only{i}") for i in range(5)] + [_Doc("")]
    counted = count_runs(docs, tmp_path, n_docs=6, n_jobs=1, budget=1)
    expected = state_parts(np.zeros(0), counted.lengths, _surface(counted.runs["words"]), [])
    spill = tmp_path / "spill"
    spill.mkdir()
    state, common = spilled_surface(counted.runs["words"], spill, 1)
    assert _whole(state) == _whole({n: v for n, v in expected.items() if "surface" in n})
    assert _whole(common) == _whole(common_words_parts(expected))
    assert len(common["search_words_df"]) == 0
