"""JSON lines of arXiv metadata -> PaperRecord, streaming, one bad line never stops a file.

Three shapes are recognised, by their keys:

- **OAI/Kaggle snapshot** (`versions` or `authors_parsed` present): `authors_parsed`
  ([last, first, suffix] per author) gives "First Last" names, `categories` is a
  space-separated string, the first-version date is `versions[0].created` and the latest
  version and its date are the last entry of `versions`.
- **Listing shape** of the main corpus and the sample (`summary` / `listing_date`): `authors`
  and `categories` are lists and `listing_date` (YYYY-MM-DD) is taken as the first-version
  date; the version is 1 unless the id carries one.
- **Topic collections** (`arxiv_id` without `id`): these rows carry neither arXiv categories
  nor a first-version date (only a year), and months and time windows are counted by that
  date, so each row is rejected with a message saying why rather than stored with an
  invented date.

Files may be plain or gzip; gzip is detected by its magic bytes, not by the file name.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

from domain.records import PaperRecord, RecordError, make_record

GZIP_MAGIC = b"\x1f\x8b"
# a longer line is rejected without being parsed; arXiv's largest records (thousands of
# authors, given twice in the Kaggle shape) stay well under this
MAX_LINE_BYTES = 4_000_000
_READ_CHUNK = 1 << 20

Item = PaperRecord | RecordError


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a file for reading bytes, decompressing it if it starts with the gzip magic."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if raw.peek(2)[:2] != GZIP_MAGIC:
        return raw
    raw.close()
    return gzip.open(path, "rb")


def read_jsonl(path: str | Path) -> Iterator[Item]:
    """Records (or errors) from a JSON-lines file, plain or gzip; see `iter_jsonl`."""
    with open_binary(path) as stream:
        yield from iter_jsonl(stream, Path(path).name)


def iter_jsonl(stream: IO[bytes], source: str) -> Iterator[Item]:
    """Yield a PaperRecord or a RecordError for every non-blank line of `stream`.

    Line numbers are 1-based and count blank lines, so a message points at the line an
    editor shows. Nothing a single line contains makes this raise.
    """
    for number, line in _lines(stream):
        where = f"{source} line {number}"
        if line is None:
            yield RecordError(where, f"line longer than {MAX_LINE_BYTES:,} bytes")
            continue
        if not line.strip():
            continue
        try:
            yield parse_line(line, where)
        except RecordError as exc:
            yield exc


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(number, line) pairs; an over-long line is skipped unread and given as None."""
    number = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            _skip_rest_of_line(stream)
            yield number, None
            continue
        yield number, line


def _skip_rest_of_line(stream: IO[bytes]) -> None:
    while True:
        chunk = stream.readline(_READ_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return


def parse_line(line: bytes | str, where: str) -> PaperRecord:
    """One JSON line -> PaperRecord, or RecordError saying what is wrong with it."""
    try:
        obj = json.loads(line)
    except UnicodeDecodeError:
        raise RecordError(where, "not valid UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise RecordError(where, f"not valid JSON ({_short(exc)})") from None
    if not isinstance(obj, dict):
        raise RecordError(where, f"expected a JSON object, got {type(obj).__name__}")
    return record_from_json(obj, where)


def record_from_json(obj: dict[str, Any], where: str) -> PaperRecord:
    """Build a record from a decoded object in any of the recognised shapes."""
    if "id" not in obj and "arxiv_id" in obj:
        raise RecordError(where, "topic-collection row: no arXiv categories and no first-version "
                                 "date (only a year); import the paper from arXiv metadata instead")
    if "id" not in obj:
        raise RecordError(where, "missing id")
    if not isinstance(obj["id"], str):
        raise RecordError(where, "id must be a string")
    if "versions" in obj or "authors_parsed" in obj:
        return _from_snapshot(obj, where)
    return _from_listing(obj, where)


def _from_listing(obj: dict[str, Any], where: str) -> PaperRecord:
    return make_record(
        where,
        id=obj["id"],
        title=_text(obj, "title", where),
        authors=obj.get("authors"),
        abstract=_text(obj, "summary", where) or _text(obj, "abstract", where),
        categories=obj.get("categories"),
        published=_listing_date(obj.get("listing_date"), where),
        comment=_text(obj, "comment", where),
        journal_ref=_text(obj, "journal_ref", where),
        doi=_text(obj, "doi", where),
    )


def _from_snapshot(obj: dict[str, Any], where: str) -> PaperRecord:
    published, version, updated = _versions(obj.get("versions"), where)
    categories = obj.get("categories")
    if not isinstance(categories, str):
        raise RecordError(where, "categories must be a space-separated string")
    return make_record(
        where,
        id=obj["id"],
        title=_text(obj, "title", where),
        authors=_snapshot_authors(obj, where),
        abstract=_text(obj, "abstract", where),
        categories=categories.split(),
        published=published,
        version=version,
        updated=updated,
        comment=_text(obj, "comments", where),
        journal_ref=_text(obj, "journal-ref", where),
        doi=_text(obj, "doi", where),
    )


def _text(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise RecordError(where, f"{key} must be a string")


def _listing_date(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise RecordError(where, "missing listing_date (YYYY-MM-DD)")
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d")
    except ValueError:
        raise RecordError(where, f"listing_date is not YYYY-MM-DD: {value[:40]!r}") from None


def _versions(versions: object, where: str) -> tuple[datetime, int, datetime]:
    """(first-version date, latest version number, latest-version date) from `versions`."""
    if not isinstance(versions, list) or not versions:
        raise RecordError(where, "versions must be a non-empty list")
    first, last = versions[0], versions[-1]
    if not isinstance(first, dict) or not isinstance(last, dict):
        raise RecordError(where, "each version must be an object")
    label = last.get("version")
    if not isinstance(label, str) or not re.fullmatch(r"v[1-9]\d{0,3}", label):
        raise RecordError(where, f"bad version label: {str(label)[:20]!r}")
    return _rfc2822(first.get("created"), where), int(label[1:]), _rfc2822(last.get("created"), where)


def _rfc2822(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise RecordError(where, "version without a created date")
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise RecordError(where, f"bad version date: {value[:40]!r}") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _snapshot_authors(obj: dict[str, Any], where: str) -> list[str]:
    """Names as "First Last Suffix"; `authors_parsed` when usable, else the `authors` string."""
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed and all(_is_name_parts(p) for p in parsed):
        return [_full_name(n) for n in parsed]
    authors = obj.get("authors")
    if not isinstance(authors, str):
        raise RecordError(where, "authors must be a string (or authors_parsed a list of names)")
    return [decode_latex(a) for a in re.split(r",\s*|\s+and\s+", authors) if a.strip()]


def _full_name(parts: list[str]) -> str:
    """[last, first, suffix] -> "First Last Suffix"; the snapshot splits "C.-P." as "C. -P."."""
    last, first, *rest = [*parts, ""] if len(parts) == 1 else parts
    name = " ".join(p for p in (first, last, *rest[:1]) if p)
    return decode_latex(re.sub(r"\.\s+-", ".-", name))


def _is_name_parts(parts: object) -> bool:
    return isinstance(parts, list) and 1 <= len(parts) <= 4 and all(isinstance(p, str) for p in parts)


# TeX accent commands used in arXiv author names, mapped to Unicode combining marks
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
            "c": "\u0327", "k": "\u0328", "r": "\u030a"}
_ACCENT = re.compile(r"\\([`'^\"~=.])\{?\\?([A-Za-z])\}?"  # \'a \'{a} \'{\i}
                     r"|\\([uvHckr])(?:\{\\?([A-Za-z])\}|\s+([A-Za-z]))")  # \v{s} \c c
_LETTERS = {"o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ss": "ß", "ae": "æ", "AE": "Æ",
            "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı"}
_LETTER = re.compile(r"\{?\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i)(?![A-Za-z])\}?(?:\s(?=[a-z]))?")


def decode_latex(name: str) -> str:
    """Decode the TeX accents arXiv names carry (`Bal\\'azs` -> `Balázs`); other TeX stays."""
    if "\\" not in name:
        return name
    name = _ACCENT.sub(_accented, name)
    name = _LETTER.sub(lambda m: _LETTERS[m[1]], name)
    return unicodedata.normalize("NFC", name).replace("{", "").replace("}", "")


def _accented(m: re.Match[str]) -> str:
    accent = m[1] or m[3]
    return (m[2] or m[4] or m[5]) + _ACCENTS[accent]


def _short(exc: BaseException) -> str:
    return str(exc)[:80]
