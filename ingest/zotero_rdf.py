"""Zotero RDF ("Export Collection… → Zotero RDF") read into cited works.

Items are the top-level resources with a `z:itemType` other than attachment or note;
collections (`z:Collection` with `dcterms:hasPart`) and tags (`dc:subject`, plain or
`z:AutomaticTag`) become tags. XML with entity declarations is refused outright, so a
hostile file cannot expand into gigabytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ingest.library_files import (
    CitedWork,
    LibraryFileError,
    check_count,
    clean_doi,
    find_arxiv_id,
    plain_text,
    split_tags,
)

NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "z": "http://www.zotero.org/namespaces/export#",
      "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
      "prism": "http://prismstandard.org/namespaces/1.2/basic/"}
ABOUT = f"{{{NS['rdf']}}}about"
RESOURCE = f"{{{NS['rdf']}}}resource"
SKIPPED_TYPES = {"attachment", "note"}


def zotero_rdf_works(text: str, max_entries: int) -> list[CitedWork]:
    if "<!ENTITY" in text:
        raise LibraryFileError("This XML declares entities; Zotero RDF exports never do.")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise LibraryFileError(f"This is not well-formed XML ({exc}).") from None
    if root.tag != f"{{{NS['rdf']}}}RDF":
        raise LibraryFileError("This XML is not Zotero RDF (no rdf:RDF root).")
    items = [el for el in root if (el.findtext("z:itemType", "", NS) or "").strip()
             and el.findtext("z:itemType", "", NS).strip() not in SKIPPED_TYPES]
    check_count(len(items), max_entries)
    collections = _collections(root)
    return [_work(el, n, collections) for n, el in enumerate(items, 1)]


def _collections(root: ET.Element) -> dict[str, list[str]]:
    """Item resource -> names of the collections holding it."""
    out: dict[str, list[str]] = {}
    for coll in root.findall("z:Collection", NS):
        name = plain_text(coll.findtext("dc:title", "", NS))
        for part in coll.findall("dcterms:hasPart", NS):
            if name and part.get(RESOURCE):
                out.setdefault(part.get(RESOURCE), []).append(name)
    return out


def _work(el: ET.Element, n: int, collections: dict[str, list[str]]) -> CitedWork:
    about = el.get(ABOUT, "")
    identifiers = [" ".join(i.itertext()).strip() for i in el.findall("dc:identifier", NS)]
    doi = next((clean_doi(i[4:]) for i in identifiers if i.upper().startswith("DOI ")), None)
    subjects = [" ".join(s.itertext()).strip() for s in el.findall("dc:subject", NS)]
    text_fields = [about, *identifiers, el.findtext("prism:number", "", NS),
                   el.findtext("dc:description", "", NS), el.findtext("z:archiveLocation", "", NS)]
    arxiv, source = find_arxiv_id([], text_fields, doi)
    return CitedWork(about or f"entry {n}", plain_text(el.findtext("dc:title", "", NS)), arxiv, doi,
                     split_tags([*collections.get(about, []), *subjects]), source)
