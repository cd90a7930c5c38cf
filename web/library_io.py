"""Library export (BibTeX, JSON) and import (a pasted list of arXiv ids or URLs).

BibTeX is written with bibtexparser; values are made safe for LaTeX and for BibTeX's
brace counting, so an export of any library parses back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ingest.ids import ArxivIdError, parse_arxiv_id
from store.library import Entry

_SPECIAL = re.compile(r"(?<!\\)([&%#])")
_SPLIT = re.compile(r"[\s,;]+")
MAX_IMPORT = 5000


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def bib_value(text: str) -> str:
    """Text safe inside a braced BibTeX value: LaTeX specials escaped, braces balanced."""
    text = " ".join(text.split())
    if not _balanced(text):
        text = text.replace("{", "").replace("}", "")
    return _SPECIAL.sub(r"\\\1", text)


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", plain).lower()


def cite_key(entry: Entry, taken: set[str]) -> str:
    """lastnameYEARfirstword, made unique with a, b, c... (e.g. vaswani2017attention)."""
    paper = entry.paper
    last = _ascii_word(paper.authors[0].split()[-1]) if paper.authors else "anon"
    words = [w for w in (_ascii_word(w) for w in paper.title.split()) if len(w) > 3]
    base = f"{last or 'anon'}{paper.published:%Y}{words[0] if words else ''}"
    key, n = base, 0
    while key in taken:
        key = f"{base}{chr(ord('a') + n % 26)}{n // 26 or ''}"
        n += 1
    taken.add(key)
    return key


def to_bibtex(entries: Sequence[Entry]) -> str:
    """One @misc entry per paper with eprint, archivePrefix and primaryClass as arXiv suggests."""
    import bibtexparser  # here, not at the top: an export is rare and the CLI imports this module
    from bibtexparser.model import Entry as BibEntry
    from bibtexparser.model import Field

    library = bibtexparser.Library()
    taken: set[str] = set()
    for entry in entries:
        p = entry.paper
        fields = [
            Field("title", "{" + bib_value(p.title) + "}"),
            Field("author", bib_value(" and ".join(p.authors))),
            Field("year", str(p.published.year)),
            Field("eprint", p.id),
            Field("archivePrefix", "arXiv"),
            Field("primaryClass", p.primary_category),
            Field("url", p.abs_url),
        ]
        if p.doi:
            fields.append(Field("doi", bib_value(p.doi)))
        if entry.tags:
            fields.append(Field("keywords", bib_value(", ".join(entry.tags))))
        library.add(BibEntry("misc", cite_key(entry, taken), fields))
    return bibtexparser.write_string(library)


def to_json(entries: Sequence[Entry], username: str, tag: str | None) -> dict:
    return {
        "user": username, "tag": tag, "count": len(entries),
        "papers": [{**e.paper.to_json(), "added": e.added.isoformat(), "tags": list(e.tags)}
                   for e in entries],
    }


def parse_id_list(text: str) -> tuple[list[str], list[str]]:
    """(arXiv ids without version, in order and deduplicated; pieces that are not ids)."""
    ids: list[str] = []
    bad: list[str] = []
    for piece in _SPLIT.split(text or ""):
        if not piece:
            continue
        try:
            ids.append(parse_arxiv_id(piece).id)
        except ArxivIdError:
            bad.append(piece[:80])
    return list(dict.fromkeys(ids)), bad
