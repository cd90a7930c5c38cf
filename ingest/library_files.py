"""Read the library files people export from reference managers: BibTeX, RIS, CSL-JSON,
Zotero RDF (in ingest/zotero_rdf.py).

Pure parsing: bytes in, `CitedWork`s out, nothing stored. Each work keeps what matching
needs (an arXiv id found in its id-carrying fields, its DOI, its title) and the tags the
format carries (BibTeX keywords/groups, RIS keywords, CSL-JSON keywords). Anything that is
not a readable file of the named format is a `LibraryFileError` whose message says what is
wrong, so the caller can refuse the whole file before changing anything.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from domain.ids import ArxivIdError, parse_arxiv_id

FORMATS = ("bibtex", "ris", "csl-json", "zotero-rdf")
MAX_TAGS_PER_WORK = 20
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
# an arXiv id written in free text: "arXiv:2101.00001v2", "arXiv preprint hep-th/9901001",
# or an arxiv.org abs/pdf URL
_ID_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv[:\s]\s*(?:preprint\s+)?(?:arxiv:)?)"
    r"(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE)
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+\s*|[{}]")
_LATEX_ESCAPE = re.compile(r"\\([^a-zA-Z])")


class LibraryFileError(ValueError):
    """The file cannot be read as a library; the message is for people."""


@dataclass(frozen=True, slots=True)
class CitedWork:
    """One entry of a library file, as far as matching it to a paper needs."""

    label: str                       # cite key, RIS id or "entry 12": how the report names it
    title: str
    arxiv_id: str | None = None      # without version
    doi: str | None = None
    tags: tuple[str, ...] = ()
    arxiv_from: str = ""             # "arXiv id" (an id, URL or note field) or "arXiv DOI"


def detect_format(filename: str, text: str) -> str:
    """The format from the file name's extension, else from the first non-blank character."""
    name = filename.lower()
    if name.endswith((".bib", ".bibtex")):
        return "bibtex"
    if name.endswith((".ris", ".txt")) and re.search(r"^TY  - ", text, re.MULTILINE):
        return "ris"
    if name.endswith(".ris"):
        return "ris"
    if name.endswith(".json"):
        return "csl-json"
    if name.endswith((".rdf", ".xml")) or text.lstrip().startswith("<"):
        return "zotero-rdf"
    head = text.lstrip()[:1]
    if head in "[{" and head:
        return "csl-json"
    if re.search(r"^TY  - ", text[:4000], re.MULTILINE):
        return "ris"
    return "bibtex"


def decode(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is dropped); LibraryFileError naming the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LibraryFileError(f"The file is not valid UTF-16 text (bad bytes at {exc.start}).") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LibraryFileError(
            f"The file is not UTF-8 text: byte {exc.start} is 0x{data[exc.start]:02x}. "
            "Export it again as UTF-8 (Zotero, JabRef and Mendeley all offer it).") from None


def parse_library(data: bytes, filename: str, *, max_entries: int, fmt: str | None = None
                  ) -> tuple[str, list[CitedWork]]:
    """(format, works) of a library file; LibraryFileError when it cannot be read whole."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LibraryFileError("This is a binary file, not a BibTeX, RIS or CSL-JSON export.")
    text = decode(data)
    fmt = fmt or detect_format(filename, text)
    if fmt not in FORMATS:
        raise LibraryFileError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
    works = _reader(fmt)(text, max_entries)
    if not works:
        name = {"bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON", "zotero-rdf": "Zotero RDF"}[fmt]
        raise LibraryFileError(f"No {name} entries found: is this a {name} export?")
    return fmt, works


def _reader(fmt: str):
    if fmt == "zotero-rdf":
        from ingest.zotero_rdf import zotero_rdf_works

        return zotero_rdf_works
    return {"bibtex": _bibtex_works, "ris": _ris_works, "csl-json": _csl_works}[fmt]


def check_count(n: int, max_entries: int) -> None:
    if n > max_entries:
        raise LibraryFileError(f"The file has {n:,} entries; at most {max_entries:,} can be "
                               "imported at once. Split it and import the parts.")


# -- field helpers -----------------------------------------------------------------


def plain_text(value: str) -> str:
    """LaTeX braces and leftover commands removed, accents composed, whitespace folded."""
    text = _LATEX_COMMAND.sub("", _LATEX_ESCAPE.sub(r"\1", value or ""))
    return " ".join(unicodedata.normalize("NFC", text).split())


def _arxiv_id(value: str | None, *, whole: bool) -> str | None:
    """An arXiv id in a field: the whole value (eprint, arxiv) or written inside text."""
    if not value:
        return None
    value = value.strip()
    if whole:
        try:
            return parse_arxiv_id(value).id
        except ArxivIdError:
            pass
    m = _ID_IN_TEXT.search(value)
    if m:
        try:
            return parse_arxiv_id(m["id"]).id
        except ArxivIdError:
            return None
    return None


def arxiv_id_from_doi(doi: str | None) -> str | None:
    """The arXiv id of an arXiv-minted DOI (10.48550/arXiv.2101.00001), else None."""
    if not doi:
        return None
    m = _ARXIV_DOI.match(clean_doi(doi))
    if not m:
        return None
    try:
        return parse_arxiv_id(m["id"]).id
    except ArxivIdError:
        return None


def clean_doi(value: str) -> str:
    value = value.strip()
    value = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value, flags=re.IGNORECASE)
    m = _DOI_IN_TEXT.search(value)
    return m.group(0).rstrip(".,;") if m else value


def find_arxiv_id(whole: Iterable[str | None], text: Iterable[str | None], doi: str | None
                  ) -> tuple[str | None, str]:
    """(arXiv id, where found: "arXiv id" or "arXiv DOI"), in the issue's matching order:
    id fields, then URL/note text, then an arXiv DOI; (None, "") when there is none."""
    for value in whole:
        found = _arxiv_id(value, whole=True)
        if found:
            return found, "arXiv id"
    for value in text:
        found = _arxiv_id(value, whole=False)
        if found:
            return found, "arXiv id"
    found = arxiv_id_from_doi(doi)
    return (found, "arXiv DOI") if found else (None, "")


def split_tags(values: Iterable[str | None]) -> tuple[str, ...]:
    """Tags from keyword-like fields: split on , and ;, cleaned, deduplicated, capped."""
    out: list[str] = []
    for value in values:
        for piece in re.split(r"[,;\n]", plain_text(value or "")):
            tag = piece.strip()[:100]
            if tag and tag.casefold() not in {t.casefold() for t in out}:
                out.append(tag)
    return tuple(out[:MAX_TAGS_PER_WORK])


# -- BibTeX ------------------------------------------------------------------------


def _bibtex_works(text: str, max_entries: int) -> list[CitedWork]:
    # counted before parsing so a 100k-entry file is refused before bibtexparser spends minutes
    check_count(len(re.findall(r"^\s*@(?!comment|preamble|string)\w+\s*[{(]", text,
                                re.IGNORECASE | re.MULTILINE)), max_entries)
    import bibtexparser
    from bibtexparser.middlewares import RemoveEnclosingMiddleware
    from bibtexparser.model import DuplicateBlockKeyBlock

    # no LatexDecodingMiddleware: it decodes every field with a fresh pylatexenc context and
    # takes ~10 ms an entry; `latex_text` decodes only the fields used, and only when needed
    parsed = bibtexparser.parse_string(text)
    # a repeated cite key is still an entry of the library: keep it (matching deduplicates)
    repeated = RemoveEnclosingMiddleware().transform(bibtexparser.Library(
        [b.ignore_error_block for b in parsed.failed_blocks
         if isinstance(b, DuplicateBlockKeyBlock) and b.ignore_error_block is not None]))
    blocks = sorted([*parsed.entries, *repeated.entries], key=lambda e: e.start_line or 0)
    return [_bibtex_work(entry) for entry in blocks]


@lru_cache(maxsize=1)
def _latex_decoder():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim")


def latex_text(value: str) -> str:
    """A BibTeX value as plain text: LaTeX accents and commands decoded, braces dropped."""
    if "\\" in value or "$" in value:
        # pylatexenc's parse errors share no base class; plain_text still drops braces and commands
        with contextlib.suppress(Exception):
            value = _latex_decoder().latex_to_text(value)
    return plain_text(value)


def _bibtex_work(entry) -> CitedWork:
    f = {field.key.lower(): str(field.value) for field in entry.fields}
    prefix = (f.get("archiveprefix") or f.get("eprinttype") or "").lower()
    eprint = f.get("eprint") if prefix in ("", "arxiv") else None
    doi = clean_doi(f["doi"]) if f.get("doi") else None
    arxiv, source = find_arxiv_id([eprint, f.get("arxiv"), f.get("arxivid")],
                          [f.get("url"), f.get("note"), f.get("journal"), f.get("howpublished"),
                           f.get("annote")], doi)
    tags = [latex_text(f[k]) for k in ("keywords", "groups", "mendeley-tags") if f.get(k)]
    return CitedWork(entry.key, latex_text(f.get("title", "")), arxiv, doi, split_tags(tags), source)


# -- RIS ---------------------------------------------------------------------------


def _ris_works(text: str, max_entries: int) -> list[CitedWork]:
    check_count(len(re.findall(r"^TY  - ", text, re.MULTILINE)), max_entries)
    import rispy

    try:
        records = rispy.loads(text, skip_unknown_tags=True)
    except (ValueError, KeyError, IndexError) as exc:
        raise LibraryFileError(f"This is not a readable RIS file: {exc}") from None
    return [_ris_work(r, i) for i, r in enumerate(records, 1)]


def _first(value) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None


def _ris_work(rec: Mapping, n: int) -> CitedWork:
    title = _first(rec.get("title")) or _first(rec.get("primary_title")) or ""
    doi = clean_doi(_first(rec.get("doi")) or "") or None
    urls = [str(u) for u in rec.get("urls") or []]
    notes = [str(n) for n in rec.get("notes") or []]
    arxiv, source = find_arxiv_id([], [*urls, *notes, _first(rec.get("secondary_title")),
                               _first(rec.get("accession_number"))], doi)
    label = _first(rec.get("id")) or f"entry {n}"
    return CitedWork(label, plain_text(title), arxiv, doi, split_tags(rec.get("keywords") or []), source)


# -- CSL-JSON ----------------------------------------------------------------------


def _csl_works(text: str, max_entries: int) -> list[CitedWork]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LibraryFileError(f"This is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                               f"{exc.msg}).") from None
    if isinstance(items, dict) and isinstance(items.get("items"), list):
        items = items["items"]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise LibraryFileError("This JSON is not CSL-JSON: expected a list of items.")
    check_count(len(items), max_entries)
    return [_csl_work(item, i) for i, item in enumerate(items, 1)]


def _str(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _csl_work(item: Mapping, n: int) -> CitedWork:
    doi = clean_doi(_str(item.get("DOI")) or "") or None
    number = _str(item.get("number"))
    whole = [number] if (_str(item.get("publisher")) or "").lower() == "arxiv" else []
    arxiv, source = find_arxiv_id(whole, [_str(item.get("URL")), _str(item.get("note")), number,
                                  _str(item.get("container-title")), _str(item.get("archive_location"))],
                          doi)
    keywords = item.get("keyword")
    tags = split_tags(keywords if isinstance(keywords, list) else [_str(keywords)])
    label = _str(item.get("id")) or (str(item["id"]) if isinstance(item.get("id"), int) else f"entry {n}")
    return CitedWork(label, plain_text(_str(item.get("title")) or ""), arxiv, doi, tags, source)
