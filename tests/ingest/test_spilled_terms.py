"""A full build's text term table, spilled after the text matrix stage, gives back the
same terms however they are read: a chosen set of columns, one term, or all in order."""

from __future__ import annotations

import numpy as np
import pytest

from recommend import term_files
from recommend.index_pass import SpilledTerms
from recommend.search_terms import TermTable

TERMS = sorted({"attent", "attent mechan", "graph", "graph neural", "naïv bay", "réseau",
                "zeta", "ζ function", "東京", "a", "ab", "abc"} | {f"t{i:04d}" for i in range(300)})


@pytest.mark.parametrize("window", [1, 3, 64, 1 << 20])
def test_spilled_terms_read_back_as_the_table_holds_them(tmp_path, monkeypatch, window) -> None:
    monkeypatch.setattr(term_files, "WINDOW_TERMS", window)
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


@pytest.mark.parametrize("held", [1, 1 << 20])
@pytest.mark.parametrize("n_tables", [0, 1, 4])
def test_terms_merged_into_the_spill_files_are_the_merged_table_spilled(tmp_path, monkeypatch,
                                                                        held, n_tables) -> None:
    """The union written as it is merged: the files, maps and reads of spilling the union
    merged in memory (one table, no table, or several in many rounds)."""
    from recommend import term_union

    monkeypatch.setattr(term_union, "MERGE_HELD", held)
    tables = [TermTable.unhashed(TERMS[k::n_tables + 1]) for k in range(n_tables)]
    (tmp_path / "memory").mkdir()
    (tmp_path / "files").mkdir()
    union, maps = term_union.merge_terms(tables)
    whole = SpilledTerms.spill(union, tmp_path / "memory")
    merged, merged_maps = SpilledTerms.merged(tables, tmp_path / "files")
    assert merged == SpilledTerms(tmp_path / "files/terms.blob", tmp_path / "files/terms.offsets",
                                  whole.blob_dtype, whole.offsets_dtype, whole.n_terms,
                                  whole.n_bytes)
    for a, b in ((whole.blob, merged.blob), (whole.offsets, merged.offsets)):
        assert a.read_bytes() == b.read_bytes()
    assert [m.tolist() for m in merged_maps] == [m.tolist() for m in maps]
    assert list(merged) == list(union)
