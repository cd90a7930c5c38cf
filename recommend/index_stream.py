"""Index parts written a block at a time, never whole in memory (`recommend.index.write_part`).

A builder may return, instead of an array, a `StreamedArray` (its dtype, length and a
function giving its values block by block) or a `StreamedSparse` (a CSC or CSR matrix
whose data and indices are streamed). The files written are byte for byte the ones
`np.save` writes for the whole array: the same .npy header, then the values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class StreamedArray:
    """A 1-d array of `length` values of `dtype`, given by `blocks()` in order."""

    dtype: np.dtype
    length: int
    blocks: Callable[[], Iterable[np.ndarray]]

    def whole(self) -> np.ndarray:
        """The values in one array (for a caller that wants them all in memory)."""
        out = np.empty(self.length, dtype=self.dtype)
        at = 0
        for block in self.blocks():
            out[at:at + len(block)] = block
            at += len(block)
        return out


@dataclass(frozen=True)
class StreamedSparse:
    """A sparse matrix (format "csc" or "csr") whose data and indices are streamed (and
    its pointers too, when they are a `StreamedArray`)."""

    format: str
    shape: tuple[int, int]
    data: StreamedArray
    indices: StreamedArray
    indptr: np.ndarray | StreamedArray

    def whole(self) -> sparse.csc_matrix | sparse.csr_matrix:
        """The matrix in memory, with the arrays the saved files hold."""
        cls = sparse.csc_matrix if self.format == "csc" else sparse.csr_matrix
        out = cls(self.shape, dtype=self.data.dtype)
        indptr = self.indptr.whole() if isinstance(self.indptr, StreamedArray) else self.indptr
        out.data, out.indices, out.indptr = self.data.whole(), self.indices.whole(), indptr
        return out


def save_streamed(path: Path, array: StreamedArray) -> None:
    """Write `array` as the .npy file np.save would write for it whole."""
    header = np.lib.format.header_data_from_array_1_0(np.empty(0, dtype=array.dtype))
    header["shape"] = (array.length,)
    written = 0
    with path.open("wb") as out:
        np.lib.format.write_array_header_1_0(out, header)
        for block in array.blocks():
            block = np.ascontiguousarray(block, dtype=array.dtype)
            out.write(block.data)
            written += len(block)
    if written != array.length:
        raise ValueError(f"{path.name}: {written} values streamed, {array.length} announced")


def write_streamed(directory: Path, name: str, value: StreamedArray | StreamedSparse) -> str:
    """Save a streamed part as `recommend.index.write_part` saves its whole form; returns
    its kind."""
    if isinstance(value, StreamedArray):
        save_streamed(directory / f"{name}.npy", value)
        return "array"
    save_streamed(directory / f"{name}.data.npy", value.data)
    save_streamed(directory / f"{name}.indices.npy", value.indices)
    if isinstance(value.indptr, StreamedArray):
        save_streamed(directory / f"{name}.indptr.npy", value.indptr)
    else:
        np.save(directory / f"{name}.indptr.npy", value.indptr)
    np.save(directory / f"{name}.shape.npy", np.asarray(value.shape, dtype=np.int64))
    return value.format


def in_memory(parts: dict) -> dict:
    """`parts` with each streamed part made whole (for a caller that reads the parts
    rather than saving them)."""
    return {name: value.whole() if isinstance(value, StreamedArray | StreamedSparse) else value
            for name, value in parts.items()}


def spilled_array(array: np.ndarray, path: Path, block: int = 1 << 22) -> StreamedArray:
    """Write `array` (1-d) to `path` and give it back as a part read from there `block`
    values at a time, so that the caller can drop it until it is saved."""
    array.tofile(path)
    return file_array(path, array.dtype, len(array), block)


def file_array(path: Path, dtype: np.dtype, length: int, block: int = 1 << 22
               ) -> StreamedArray:
    """The `length` values of `dtype` that `path` holds (as `ndarray.tofile` wrote them),
    as a part read from there `block` values at a time."""
    dtype = np.dtype(dtype)

    def blocks() -> Iterable[np.ndarray]:
        for start in range(0, length, block):
            yield read_range(path, dtype, start, min(start + block, length))

    return StreamedArray(dtype, length, blocks)


def read_range(path: Path, dtype: np.dtype, start: int, stop: int) -> np.ndarray:
    """Values start..stop of the `dtype` values that `path` holds (as `ndarray.tofile`
    wrote them), read with a plain file read: pages read through a mapping would stay in
    the process's RSS while it is mapped."""
    dtype = np.dtype(dtype)
    count = max(stop - start, 0)
    if not count:
        return np.empty(0, dtype=dtype)
    return np.fromfile(path, dtype=dtype, count=count, offset=start * dtype.itemsize)
