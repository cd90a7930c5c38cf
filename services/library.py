"""Library actions: save and remove papers, tag and untag them, mark them not interesting,
rename and delete tags, list, export and import a library.

The library page and its JSON answers, `papersift library`, and the MCP tools call these.
Each action takes a connection (in the caller's transaction when it writes) and the
user's id; what a user may not do raises LibraryError (a bad tag name), NoSuchTag (a tag
of someone else's) or InvalidArgument, each with a message for the user. BibTeX and JSON writing and the
id-list parser are services.library_io.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from services.library_io import MAX_IMPORT, parse_id_list
from services.params import InvalidArgument
from store import library as lib
from store.library import Entry, LibraryError, Tag


class NoSuchTag(LookupError):
    """The tag id names no tag of this user's (a 404 on the web)."""

    def __init__(self) -> None:
        super().__init__("No such tag in your library.")


class TooManyIds(LibraryError):
    """A pasted id list longer than MAX_IMPORT."""


def owned_tag(conn: Connection, user_id: int, tag_id: int | None) -> Tag | None:
    """The user's tag with this id (None for no id); NoSuchTag when it is not theirs."""
    if not tag_id:
        return None
    tag = lib.get_tag(conn, user_id, tag_id)
    if tag is None:
        raise NoSuchTag
    return tag


def paper_state(conn: Connection, user_id: int, paper_id: str) -> dict[str, Any]:
    """What the paper cards show of one paper: saved, its tags, marked not interested."""
    return {"paper_id": paper_id, "saved": paper_id in lib.library_ids(conn, user_id),
            "tags": lib.paper_tag_names(conn, user_id, [paper_id]).get(paper_id, []),
            "not_interested": paper_id in lib.not_interested_ids(conn, user_id)}


@dataclass(frozen=True)
class Added:
    added: list[str]          # newly saved
    already_saved: list[str]
    unknown: list[str]        # not in the store
    tag: str | None


def add_papers(conn: Connection, user_id: int, paper_ids: Sequence[str], tag: str | None = None) -> Added:
    """Save papers (ids without version), tagging them too when `tag` is given."""
    if tag is not None:
        tag = lib.check_tag_name(tag)
    added, unknown = lib.add_to_library(conn, user_id, paper_ids, tag=tag)
    already = [p for p in dict.fromkeys(paper_ids) if p not in added and p not in unknown]
    return Added(added, already, unknown, tag)


@dataclass(frozen=True)
class IdImport:
    result: Added
    bad: list[str]            # pieces of the text that are not arXiv ids
    total: int                # ids found in the text


def import_id_list(conn: Connection, user_id: int, text: str, tag: str | None = None) -> IdImport:
    """Save the papers of a pasted list of arXiv ids or URLs (TooManyIds over MAX_IMPORT)."""
    ids, bad = parse_id_list(text)
    if len(ids) > MAX_IMPORT:
        raise TooManyIds(f"At most {MAX_IMPORT} ids at a time.")
    return IdImport(add_papers(conn, user_id, ids, tag), bad, len(ids))


def remove_paper(conn: Connection, user_id: int, paper_id: str) -> bool:
    return lib.remove_from_library(conn, user_id, paper_id)


def tag_paper(conn: Connection, user_id: int, paper_id: str, name: str) -> Tag:
    return lib.tag_paper(conn, user_id, paper_id, name)


def untag_paper(conn: Connection, user_id: int, paper_id: str, tag_id: int) -> bool:
    owned_tag(conn, user_id, tag_id)
    return lib.untag_paper(conn, user_id, paper_id, tag_id)


def set_not_interested(conn: Connection, user_id: int, paper_id: str, *, undo: bool = False) -> bool:
    """Mark (or with `undo`, unmark) a paper the user does not want recommended."""
    if undo:
        return lib.unmark_not_interested(conn, user_id, paper_id)
    return lib.mark_not_interested(conn, user_id, paper_id)


def rename_tag(conn: Connection, user_id: int, tag_id: int, name: str) -> Tag:
    owned_tag(conn, user_id, tag_id)
    return lib.rename_tag(conn, user_id, tag_id, name)


def delete_tag(conn: Connection, user_id: int, tag_id: int) -> None:
    """Delete a tag; its papers stay in the library."""
    if not lib.delete_tag(conn, user_id, tag_id):
        raise NoSuchTag


@dataclass(frozen=True)
class TagChange:
    paper_id: str
    saved: bool
    tags: list[str]
    not_tagged: list[str]     # names asked to remove that the paper did not carry


def change_tags(conn: Connection, user_id: int, paper_id: str, add: Sequence[str],
                remove: Sequence[str]) -> TagChange:
    """Tag a paper with some names and untag others, by name (the MCP tool's action)."""
    add = [lib.check_tag_name(name) for name in add]
    remove = [lib.check_tag_name(name) for name in remove]
    for name in add:
        lib.tag_paper(conn, user_id, paper_id, name)
    not_found: list[str] = []
    for name in remove:
        tag = lib.find_tag(conn, user_id, name)
        if tag is None or not lib.untag_paper(conn, user_id, paper_id, tag.id):
            not_found.append(name)
    tags = lib.paper_tag_names(conn, user_id, [paper_id]).get(paper_id, [])
    return TagChange(paper_id, paper_id in lib.library_ids(conn, user_id), tags, not_found)


# -- reading it back ---------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryPage:
    entries: list[Entry]
    total: int
    tag: Tag | None
    sort: str
    page: int
    pages: int
    tags: list[Tag]
    size: int


def library_page(conn: Connection, user_id: int, tag_id: int | None, sort: str, page: int,
                 per_page: int) -> LibraryPage:
    """One page of the library (or of one tag), newest added or newest paper first."""
    tag = owned_tag(conn, user_id, tag_id)
    if sort not in lib.SORTS:
        raise InvalidArgument("sort must be 'added' or 'date'")
    total, entries = lib.list_library(conn, user_id, tag_id=tag_id, sort=sort, limit=per_page,
                                      offset=(page - 1) * per_page)
    return LibraryPage(entries, total, tag, sort, page, max(1, -(-total // per_page)),
                       lib.user_tags(conn, user_id), lib.library_size(conn, user_id))


def export_entries(conn: Connection, user_id: int, tag_id: int | None) -> tuple[list[Entry], Tag | None]:
    """Every paper of the library (or of one tag) to export, and that tag."""
    tag = owned_tag(conn, user_id, tag_id)
    return lib.library_papers(conn, user_id, tag_id), tag


def entry_json(entry: Entry) -> dict[str, Any]:
    """A library paper as /api/library and `papersift library list --json` list it."""
    return {"id": entry.paper.id, "title": entry.paper.title, "added": entry.added.isoformat(),
            "tags": list(entry.tags)}


def library_json(conn: Connection, user_id: int) -> dict[str, Any]:
    """/api/library: the count, the tags with their sizes, and every paper."""
    entries = lib.library_papers(conn, user_id)
    return {"count": len(entries),
            "tags": [{"id": t.id, "name": t.name, "count": t.count} for t in lib.user_tags(conn, user_id)],
            "papers": [entry_json(e) for e in entries]}
