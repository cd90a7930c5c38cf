"""Term lookup in large tables: the interpolated hash search finds exactly what a binary
search finds, and reads only a few pages of a memory-mapped table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommend.search_terms import TermTable, hash_position

LOWEST, HIGHEST = -(1 << 63), (1 << 63) - 1


def _sorted_hashes(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.integers(LOWEST, HIGHEST, size=n, dtype=np.int64, endpoint=True))


@pytest.mark.parametrize("n", [0, 1, 4096, 4097, 200_000])
def test_hash_position_agrees_with_a_binary_search(n):
    hashes = _sorted_hashes(n)
    rng = np.random.default_rng(1)
    probes = [LOWEST, HIGHEST, 0, -1, *rng.integers(LOWEST, HIGHEST, 300, dtype=np.int64)]
    probes += [int(h) for h in hashes[:: max(1, n // 300)]]
    probes += [int(h) + 1 for h in hashes[:: max(1, n // 300)] if h < HIGHEST]
    for h in probes:
        assert hash_position(hashes, int(h)) == int(np.searchsorted(hashes, h)), h


def test_hash_position_handles_skewed_and_repeated_hashes():
    # far from uniform (every value in one corner of the range, long runs of one value):
    # the guess is wrong by nearly the whole table and the search must widen to the end
    hashes = np.sort(np.concatenate([np.full(30_000, 7, dtype=np.int64),
                                     np.arange(10_000, dtype=np.int64) + HIGHEST - 20_000,
                                     np.full(5_000, LOWEST, dtype=np.int64)]))
    for h in (LOWEST, LOWEST + 1, 6, 7, 8, HIGHEST - 20_000, HIGHEST - 15_000, HIGHEST):
        assert hash_position(hashes, h) == int(np.searchsorted(hashes, h)), h


def test_find_in_a_large_table_still_finds_every_term():
    terms = sorted(f"term{i:06d}" for i in range(20_000))
    table = TermTable.pack(terms)
    for i in range(0, len(terms), 97):
        assert table.find(terms[i]) == i
    assert table.find("term") is None and table.find("zzz") is None


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_lookups_in_a_memory_mapped_table_page_in_a_fraction_of_a_binary_search(tmp_path):
    # 64 MB, as 8M terms; few lookups, as the kernel may map up to 2 MB per page fault
    np.save(tmp_path / "hashes.npy", _sorted_hashes(8_000_000))
    probes = np.random.default_rng(2).integers(LOWEST, HIGHEST, 3, dtype=np.int64)

    def paged_in(lookup) -> int:
        mapped = np.load(tmp_path / "hashes.npy", mmap_mode="r")   # a fresh mapping
        for h in probes:
            lookup(mapped, int(h))
        kb = _mapped_kb(tmp_path / "hashes.npy")
        del mapped
        return kb

    binary = paged_in(lambda a, h: np.searchsorted(a, h))
    interpolated = paged_in(hash_position)
    assert interpolated * 2 <= binary, (interpolated, binary)


def _mapped_kb(path: Path) -> int:
    """Resident kB of this process's mappings of `path` (/proc/self/smaps)."""
    total, current = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and not line.endswith(" kB"):
            current = head[-1] == str(path)
        elif current and line.startswith("Rss:"):
            total += int(head[1])
    return total
