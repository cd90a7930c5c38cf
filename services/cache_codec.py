"""How cache values are stored in Redis without pickle: decoding never runs code.

A value is written as one .npz archive (numpy, `allow_pickle=False` on both sides): its
arrays, and a JSON tree of everything else in which arrays and bytes are references to
archive entries. What can be stored: None, bool, int, float, str, bytes, lists, tuples,
dicts, numpy arrays (not of objects) and scalars, dates, and the dataclasses registered
with `register_value_type` (rebuilt by name, field by field). Anything else raises
UnstorableValue on `encode`; a malformed or foreign entry raises ValueError on `decode`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

import numpy as np

TREE = "__tree__"
TAG = "__t"
_types: dict[str, type] = {}


class UnstorableValue(TypeError):
    """A value of a type the cache codec does not store."""


def register_value_type(cls: type) -> type:
    """Allow instances of the dataclass `cls` in cache values (usable as a decorator)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    _types[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return cls


def encode(value: Any) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    tree = json.dumps(_to_tree(value, arrays), separators=(",", ":"))
    arrays[TREE] = np.frombuffer(tree.encode(), dtype=np.uint8)
    out = io.BytesIO()
    np.savez(out, allow_pickle=False, **arrays)
    return out.getvalue()


def decode(raw: bytes) -> Any:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        tree = json.loads(arrays.pop(TREE).tobytes().decode())
        return _from_tree(tree, arrays)
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a cache value: {exc}") from exc


def _to_tree(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | np.ndarray):
        name = f"a{len(arrays)}"
        is_bytes = isinstance(value, bytes)
        array = np.frombuffer(value, dtype=np.uint8) if is_bytes else value
        if array.dtype.hasobject:
            raise UnstorableValue("arrays of Python objects are not stored in the cache")
        arrays[name] = array
        return {TAG: "bytes" if is_bytes else "array", "name": name}
    if isinstance(value, np.generic):
        return _to_tree(value.item(), arrays)
    if isinstance(value, list | tuple):
        items = [_to_tree(item, arrays) for item in value]
        return items if isinstance(value, list) else {TAG: "tuple", "items": items}
    if isinstance(value, dict):
        pairs = [[_to_tree(k, arrays), _to_tree(v, arrays)] for k, v in value.items()]
        return {TAG: "dict", "pairs": pairs}
    if isinstance(value, datetime | date):
        return {TAG: type(value).__name__, "iso": value.isoformat()}
    name = f"{type(value).__module__}.{type(value).__qualname__}"
    if name in _types and type(value) is _types[name]:
        fields = {f.name: _to_tree(getattr(value, f.name), arrays)
                  for f in dataclasses.fields(value)}
        return {TAG: "dataclass", "type": name, "fields": fields}
    raise UnstorableValue(f"a {type(value).__name__} is not stored in the cache")


def _from_tree(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(tree, list):
        return [_from_tree(item, arrays) for item in tree]
    if not isinstance(tree, dict):
        return tree
    tag = tree[TAG]
    if tag == "array":
        return arrays[tree["name"]]
    if tag == "bytes":
        return arrays[tree["name"]].tobytes()
    if tag == "tuple":
        return tuple(_from_tree(item, arrays) for item in tree["items"])
    if tag == "dict":
        return {_hashable(_from_tree(k, arrays)): _from_tree(v, arrays) for k, v in tree["pairs"]}
    if tag == "datetime":
        return datetime.fromisoformat(tree["iso"])
    if tag == "date":
        return date.fromisoformat(tree["iso"])
    if tag == "dataclass" and tree["type"] in _types:
        fields = {k: _from_tree(v, arrays) for k, v in tree["fields"].items()}
        return _types[tree["type"]](**fields)
    raise ValueError(f"unknown cache value tag {tag!r}")


def _hashable(key: Any) -> Any:
    if isinstance(key, list | dict):
        raise ValueError("a cache value's dict key must be hashable")
    return key
