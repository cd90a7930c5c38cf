"""Term look-ups read from the parts' files (TermTable.reading_files, row_reads.FileSlices)
find, bit for bit, what the same look-ups through the mappings find, and leave the tables'
pages unmapped."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from recommend import search_terms
from recommend.index import read_part, write_part
from recommend.mapped_pages import drop_mapped_pages
from recommend.row_reads import FileSlices, file_slices
from recommend.search_terms import TermTable, hash_position
from tests.recommend.test_mapped_pages import mapped_rss_mb

# hostile terms: accents, CJK, emoji, a combining mark, bytes that share UTF-8 prefixes
ALPHABET = "ab z\u00e9\u00df\u4e1c\U0001f600\u0301\u00ff"


def _random_terms(rng: random.Random, n: int) -> list[str]:
    return sorted({"".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 7)))
                   for _ in range(n)})


def mapped_table(table: TermTable, directory: Path, name: str = "terms") -> TermTable:
    """`table` saved as index parts and mapped back, as an index version loads it."""
    for part, value in table.parts(name).items():
        write_part(directory, part, value)
    loaded = {part: read_part(directory, part) for part in table.parts(name)}
    prefix = f"{search_terms.PREFIX}{name}"
    return TermTable(loaded[f"{prefix}_blob"], loaded[f"{prefix}_offsets"],
                     loaded.get(f"{prefix}_hash"), loaded.get(f"{prefix}_hash_pos"))


def assert_reads_files(table: TermTable) -> None:
    lookup = table._lookup
    assert table.read_files and lookup is not None
    for part in (lookup.blob, lookup.offsets, lookup.hashes, lookup.hash_pos):
        assert part is None or isinstance(part, FileSlices)


@pytest.fixture(scope="module")
def terms() -> list[str]:
    return _random_terms(random.Random(0), 6000)


@pytest.fixture(scope="module")
def mapped(terms, tmp_path_factory) -> TermTable:
    return mapped_table(TermTable.pack(terms), tmp_path_factory.mktemp("terms"))


def probes_of(terms: list[str], seed: int = 1) -> list[str]:
    """Terms of the table, terms outside it, and prefixes and extensions of its terms."""
    rng = random.Random(seed)
    absent = [t for t in _random_terms(rng, 1500) if t not in set(terms)]
    return (rng.sample(terms, min(1500, len(terms))) + absent + [t[:-1] for t in terms[:300] if len(t) > 1]
            + [t + "\u00e9" for t in terms[:300]] + ["", "\U0010ffff"])


def test_find_raw_and_find_give_what_the_mapped_table_gives(terms, mapped) -> None:
    files = mapped.reading_files()
    assert_reads_files(files)
    probes = probes_of(terms)
    want = [mapped.find(t) for t in probes]
    assert [files.find(t) for t in probes] == want
    assert [files.find_raw(t.encode()) for t in probes] == want
    assert any(w is None for w in want) and sum(w is not None for w in want) >= 1500


def test_terms_ranges_and_bisection_are_the_mapped_tables(terms, mapped) -> None:
    files = mapped.reading_files()
    assert len(files) == len(mapped) == len(terms)
    for i in [0, 1, len(terms) // 2, len(terms) - 1, -1, -len(terms)]:
        assert files.raw(i) == mapped.raw(i) and files[i] == mapped[i]
    assert files[10:20] == mapped[10:20] and files[-5:] == mapped[-5:]
    for start, stop in [(0, 0), (0, 1), (5, 900), (len(terms) - 3, len(terms) + 10),
                        (len(terms), len(terms) + 1)]:
        assert files.raw_range(start, stop) == mapped.raw_range(start, stop)
    for prefix in ["a", "b", "z\u00e9", "\u4e1c", "\U0001f600", "q", ""]:
        assert files.prefix_range(prefix) == mapped.prefix_range(prefix)
        assert files.bisect(prefix.encode()) == mapped.bisect(prefix.encode())
    with pytest.raises(IndexError):
        files.raw(len(terms))


def test_colliding_hashes_are_told_apart_by_their_bytes(tmp_path, monkeypatch) -> None:
    """Every term's hash forced to one of three values: find_raw walks the equal hashes."""
    weak = lambda key: len(key) % 3     # noqa: E731
    monkeypatch.setattr(search_terms, "term_hash", weak)
    words = _random_terms(random.Random(5), 400)
    plain = TermTable.unhashed(words)
    table = plain.with_hashes(np.array([weak(w.encode()) for w in words], dtype=np.int64))
    mapped = mapped_table(table, tmp_path)
    files = mapped.reading_files()
    assert_reads_files(files)
    probes = probes_of(words, seed=6)
    want = [mapped.find(t) for t in probes]
    assert [files.find(t) for t in probes] == want == [table.find(t) for t in probes]
    assert all(w is not None for w in want[:len(words)])


def test_a_table_in_memory_or_without_hashes_reads_as_before(terms, tmp_path) -> None:
    in_memory = TermTable.pack(terms)
    unhashed = mapped_table(TermTable.unhashed(terms), tmp_path, "plain")
    assert unhashed.hashes is None
    probes = probes_of(terms, seed=2)
    for table in (in_memory, unhashed):
        files = table.reading_files()
        assert [files.find(t) for t in probes] == [table.find(t) for t in probes]
    assert not isinstance(in_memory.reading_files()._lookup.hashes, FileSlices)
    assert_reads_files(unhashed.reading_files())


def test_an_empty_mapped_table(tmp_path) -> None:
    files = mapped_table(TermTable.pack([]), tmp_path).reading_files()
    assert len(files) == 0 and files.find("a") is None and files.raw_range(0, 5) == []
    assert files.prefix_range("a") == (0, 0)


def test_a_reading_table_pickles_as_one(mapped) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(mapped.reading_files()))
    assert again.read_files and again.find(mapped[7]) == 7
    assert not pickle.loads(pickle.dumps(mapped)).read_files


LOWEST, HIGHEST = -(1 << 63), (1 << 63) - 1


@pytest.mark.parametrize("n", [0, 1, 4096, 4097, 300_000])
def test_hash_position_over_the_file_is_the_binary_search(n, tmp_path) -> None:
    rng = np.random.default_rng(n)
    hashes = np.sort(rng.integers(LOWEST, HIGHEST, n, dtype=np.int64, endpoint=True))
    np.save(tmp_path / "h.npy", hashes)
    reader = file_slices(np.load(tmp_path / "h.npy", mmap_mode="r"))
    assert isinstance(reader, FileSlices) or n == 0     # np.load maps no empty file
    probes = [LOWEST, HIGHEST, 0, *rng.integers(LOWEST, HIGHEST, 200, dtype=np.int64)]
    probes += [int(h) + d for h in hashes[::max(1, n // 200)] for d in (0, 1) if h < HIGHEST]
    for h in probes:
        assert hash_position(reader, int(h)) == int(np.searchsorted(hashes, h)), h


@pytest.mark.parametrize("dtype", ["<i8", "<i4", "<U7", "datetime64[D]", "<f4"])
def test_file_slices_index_as_the_array_does(dtype, tmp_path) -> None:
    array = np.arange(1000).astype(dtype) if dtype[1] != "U" else \
        np.array([f"w{i}" for i in range(1000)], dtype=dtype)
    np.save(tmp_path / "a.npy", array)
    mapped = np.load(tmp_path / "a.npy", mmap_mode="r")
    reader = file_slices(mapped)
    assert isinstance(reader, FileSlices) and len(reader) == len(array)
    for i in (0, 1, 499, 999, -1, -1000):
        got = reader[i]
        assert type(got) is type(array[i]) and got == array[i]
    for key in (slice(0, 0), slice(3, 9), slice(990, 2000), slice(-4, None), slice(None),
                slice(7, 3), slice(0, 10, 3)):
        got = reader[key]
        assert got.dtype == array.dtype
        np.testing.assert_array_equal(got, array[key])
    for i in (1000, -1001):
        with pytest.raises(IndexError):
            reader[i]


def test_file_slices_fall_back_to_the_mapping_and_outlive_the_file(tmp_path, monkeypatch):
    array = np.arange(5000, dtype=np.int64)
    np.save(tmp_path / "a.npy", array)
    reader = file_slices(np.load(tmp_path / "a.npy", mmap_mode="r"))
    (tmp_path / "a.npy").unlink()      # a pruned version: the open file still reads
    assert reader[4321] == 4321 and reader[10:13].tolist() == [10, 11, 12]

    def fail(fd, buffers, position):
        raise OSError("gone")

    monkeypatch.setattr(os, "preadv", fail)
    assert reader[4321] == 4321 and reader[10:13].tolist() == [10, 11, 12]
    plain = np.arange(10)
    assert file_slices(plain) is plain             # not file-backed: the array itself


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="/proc/self/smaps and madvise as Linux has them")
def test_lookups_in_a_large_table_leave_its_pages_unmapped(tmp_path) -> None:
    terms = [f"{i:07d}term" for i in range(1_500_000)]        # ~50 MB of parts
    mapped = mapped_table(TermTable.pack(terms), tmp_path)
    probes = [terms[i] for i in np.random.default_rng(4).choice(len(terms), 300)]
    probes += [f"absent{i}" for i in range(100)]
    drop_mapped_pages(tmp_path)
    files = mapped.reading_files()
    got = [files.find(t) for t in probes]
    assert mapped_rss_mb(tmp_path) < 1
    assert got == [mapped.find(t) for t in probes]
    assert mapped_rss_mb(tmp_path) > 5       # the same look-ups through the mappings


def test_hash_position_over_the_file_handles_skewed_and_repeated_hashes(tmp_path) -> None:
    # far from uniform: the interpolated guesses are wrong by nearly the whole table
    hashes = np.sort(np.concatenate([np.full(30_000, 7, dtype=np.int64),
                                     np.arange(10_000, dtype=np.int64) + HIGHEST - 20_000,
                                     np.full(5_000, LOWEST, dtype=np.int64),
                                     np.arange(-3000, 3000, dtype=np.int64) * 1000]))
    np.save(tmp_path / "h.npy", hashes)
    reader = file_slices(np.load(tmp_path / "h.npy", mmap_mode="r"))
    probes = [LOWEST, LOWEST + 1, -5000, 6, 7, 8, 1001, HIGHEST - 20_000, HIGHEST - 15_000,
              HIGHEST - 10_001, HIGHEST - 10_000, HIGHEST]
    probes += [int(h) + d for h in hashes[::97] for d in (-1, 0, 1) if LOWEST < h < HIGHEST]
    for h in probes:
        assert hash_position(reader, h) == int(np.searchsorted(hashes, h)), h


def test_a_uniform_look_up_reads_a_few_pages(tmp_path, monkeypatch) -> None:
    hashes = np.sort(np.random.default_rng(9).integers(LOWEST, HIGHEST, 2_000_000,
                                                        dtype=np.int64))
    np.save(tmp_path / "h.npy", hashes)
    reader = file_slices(np.load(tmp_path / "h.npy", mmap_mode="r"))
    read_bytes: list[int] = []
    real = os.preadv

    def counted(fd, buffers, position):
        read_bytes.append(len(buffers[0]))
        return real(fd, buffers, position)

    monkeypatch.setattr(os, "preadv", counted)
    for h in np.random.default_rng(10).integers(LOWEST, HIGHEST, 200, dtype=np.int64):
        assert hash_position(reader, int(h)) == int(np.searchsorted(hashes, h))
    assert len(read_bytes) <= 4 * 200 and max(read_bytes) <= 4096
