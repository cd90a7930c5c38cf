"""A full build's text term table, spilled after the text matrix stage, gives back the
same terms however they are read: a chosen set of columns, one term, or all in order."""

from __future__ import annotations

import numpy as np
import pytest

from recommend import index_pass
from recommend.index_pass import SpilledTerms
from recommend.search_terms import TermTable

TERMS = sorted({"attent", "attent mechan", "graph", "graph neural", "naïv bay", "réseau",
                "zeta", "ζ function", "東京", "a", "ab", "abc"} | {f"t{i:04d}" for i in range(300)})


@pytest.mark.parametrize("window", [1, 3, 64, 1 << 20])
def test_spilled_terms_read_back_as_the_table_holds_them(tmp_path, monkeypatch, window) -> None:
    monkeypatch.setattr(index_pass, "_TAKE_WINDOW", window)
    table = TermTable.unhashed(TERMS)
    spilled = SpilledTerms.spill(table, tmp_path)
    assert len(spilled) == len(TERMS)
    rng = np.random.default_rng(window)
    for size in (0, 1, 17, len(TERMS)):
        columns = np.sort(rng.choice(len(TERMS), size, replace=False))
        assert spilled.take(columns) == [TERMS[j] for j in columns]
    assert list(spilled) == TERMS == list(spilled.table()) == list(spilled.load())
    assert spilled[0] == TERMS[0] and spilled[-1] == TERMS[-1]
    with pytest.raises(IndexError):
        spilled[len(TERMS)]
    parts = {name: value.whole() for name, value in spilled.parts("terms").items()}
    for name, value in table.parts("terms").items():
        assert np.array_equal(parts[name], value) and parts[name].dtype == value.dtype
