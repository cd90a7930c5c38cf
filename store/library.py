"""A user's library: saved papers, tags on them, "not interested" marks, popularity.

Every function takes the user's id and touches only that user's rows, so no caller can
read or change another user's library by passing a paper or tag id.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, true
from sqlalchemy.engine import Connection

from store import utcnow
from store.papers import Paper, _paper
from store.schema import library, not_interested, paper_tags, papers, tags

MAX_TAG = 100
SORTS = ("added", "date")


def library_mark(conn: Connection) -> str:
    """Changes whenever any library gains or loses a paper (for caches of public pages)."""
    n, last = conn.execute(select(func.count(), func.max(library.c.added))).one()
    return f"library={n}@{last}"


class LibraryError(ValueError):
    """A tag name or request that cannot be carried out; the message is for people."""


@dataclass(frozen=True, slots=True)
class Tag:
    id: int
    name: str
    count: int = 0


@dataclass(frozen=True, slots=True)
class Entry:
    paper: Paper
    added: datetime
    tags: tuple[str, ...]


def check_tag_name(name: str) -> str:
    """The tag name with whitespace folded; LibraryError when empty, too long or unprintable."""
    clean = " ".join((name or "").split())
    if not clean:
        raise LibraryError("A tag needs a name.")
    if len(clean) > MAX_TAG:
        raise LibraryError(f"Tag names can have at most {MAX_TAG} characters.")
    if any(unicodedata.category(c).startswith("C") for c in clean):
        raise LibraryError("Tag names cannot hold control characters.")
    return clean


# -- library ----------------------------------------------------------------------


def known_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    ids = list(dict.fromkeys(ids))
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update(conn.execute(select(papers.c.id).where(papers.c.id.in_(chunk))).scalars())
    return found


def add_to_library(conn: Connection, user_id: int, paper_ids: Sequence[str],
                   tag: str | None = None) -> tuple[list[str], list[str]]:
    """Save papers (and tag them when `tag` is given): (newly added ids, unknown ids)."""
    wanted = list(dict.fromkeys(paper_ids))
    known = known_ids(conn, wanted)
    have = library_ids(conn, user_id)
    now = utcnow()
    new = [p for p in wanted if p in known and p not in have]
    if new:
        conn.execute(library.insert(), [{"user_id": user_id, "paper_id": p, "added": now} for p in new])
        conn.execute(not_interested.delete().where(and_(not_interested.c.user_id == user_id,
                                                        not_interested.c.paper_id.in_(new))))
    if tag is not None:
        for pid in (p for p in wanted if p in known):
            tag_paper(conn, user_id, pid, tag)
    return new, [p for p in wanted if p not in known]


def remove_from_library(conn: Connection, user_id: int, paper_id: str) -> bool:
    """Remove a paper and its tags from the library; False when it was not there."""
    conn.execute(paper_tags.delete().where(and_(paper_tags.c.paper_id == paper_id,
                                                paper_tags.c.tag_id.in_(_tag_ids(user_id)))))
    result = conn.execute(library.delete().where(and_(library.c.user_id == user_id,
                                                      library.c.paper_id == paper_id)))
    return result.rowcount > 0


def library_ids(conn: Connection, user_id: int) -> set[str]:
    return set(conn.execute(select(library.c.paper_id).where(library.c.user_id == user_id)).scalars())


def library_size(conn: Connection, user_id: int) -> int:
    return conn.execute(select(func.count()).where(library.c.user_id == user_id)).scalar_one()


def list_library(conn: Connection, user_id: int, *, tag_id: int | None = None, sort: str = "added",
                 limit: int = 25, offset: int = 0) -> tuple[int, list[Entry]]:
    """(total, one page of entries): newest added first, or newest paper first."""
    where = library.c.user_id == user_id
    if tag_id is not None:
        where = and_(where, library.c.paper_id.in_(
            select(paper_tags.c.paper_id).where(paper_tags.c.tag_id == tag_id)))
    total = conn.execute(select(func.count()).select_from(library).where(where)).scalar_one()
    order = (library.c.added.desc(), papers.c.published.desc()) if sort == "added" else \
        (papers.c.published.desc(), library.c.added.desc())
    rows = conn.execute(
        select(papers, library.c.added.label("lib_added"))
        .select_from(library.join(papers, papers.c.id == library.c.paper_id))
        .where(where).order_by(*order, papers.c.id.desc()).limit(limit).offset(offset)).all()
    names = paper_tag_names(conn, user_id, [r.id for r in rows])
    return total, [Entry(_paper(r), r.lib_added, tuple(names.get(r.id, ()))) for r in rows]


def library_papers(conn: Connection, user_id: int, tag_id: int | None = None) -> list[Entry]:
    """The whole library (or one tag) for export, newest added first."""
    total, _ = list_library(conn, user_id, tag_id=tag_id, limit=1)
    return list_library(conn, user_id, tag_id=tag_id, limit=max(total, 1))[1]


# -- tags -------------------------------------------------------------------------


def _tag_ids(user_id: int):
    return select(tags.c.id).where(tags.c.user_id == user_id)


def user_tags(conn: Connection, user_id: int) -> list[Tag]:
    """The user's tags by name, with how many papers carry each."""
    n = func.count(paper_tags.c.paper_id)
    rows = conn.execute(
        select(tags.c.id, tags.c.name, n.label("n"))
        .select_from(tags.outerjoin(paper_tags, paper_tags.c.tag_id == tags.c.id))
        .where(tags.c.user_id == user_id).group_by(tags.c.id, tags.c.name).order_by(tags.c.name))
    return [Tag(r.id, r.name, r.n) for r in rows]


def get_tag(conn: Connection, user_id: int, tag_id: int) -> Tag | None:
    """The user's tag with this id; None for another user's tag, as for a missing one."""
    row = conn.execute(select(tags.c.id, tags.c.name)
                       .where(and_(tags.c.id == tag_id, tags.c.user_id == user_id))).first()
    return Tag(row.id, row.name) if row else None


def find_tag(conn: Connection, user_id: int, name: str) -> Tag | None:
    row = conn.execute(select(tags.c.id, tags.c.name)
                       .where(and_(tags.c.user_id == user_id, tags.c.name == name.strip()))).first()
    return Tag(row.id, row.name) if row else None


def _tag_for(conn: Connection, user_id: int, name: str) -> int:
    name = check_tag_name(name)
    found = find_tag(conn, user_id, name)
    if found:
        return found.id
    return int(conn.execute(tags.insert().values(user_id=user_id, name=name)).inserted_primary_key[0])


def tag_paper(conn: Connection, user_id: int, paper_id: str, name: str) -> Tag:
    """Tag a paper (saving it to the library first when needed); the tag is made on first use."""
    if not known_ids(conn, [paper_id]):
        raise LibraryError(f"No paper {paper_id!r} in this papersift.")
    tag_id = _tag_for(conn, user_id, name)
    if paper_id not in library_ids(conn, user_id):
        add_to_library(conn, user_id, [paper_id])
    exists = conn.execute(select(paper_tags.c.tag_id).where(and_(
        paper_tags.c.tag_id == tag_id, paper_tags.c.paper_id == paper_id))).first()
    if not exists:
        conn.execute(paper_tags.insert().values(tag_id=tag_id, paper_id=paper_id, added=utcnow()))
    return Tag(tag_id, check_tag_name(name))


def untag_paper(conn: Connection, user_id: int, paper_id: str, tag_id: int) -> bool:
    if get_tag(conn, user_id, tag_id) is None:
        return False
    return conn.execute(paper_tags.delete().where(and_(
        paper_tags.c.tag_id == tag_id, paper_tags.c.paper_id == paper_id))).rowcount > 0


def rename_tag(conn: Connection, user_id: int, tag_id: int, new_name: str) -> Tag:
    """Rename one of the user's tags; LibraryError when missing or the name is in use."""
    name = check_tag_name(new_name)
    if get_tag(conn, user_id, tag_id) is None:
        raise LibraryError("No such tag.")
    other = find_tag(conn, user_id, name)
    if other is not None and other.id != tag_id:
        raise LibraryError(f"You already have a tag called {name!r}.")
    conn.execute(tags.update().where(and_(tags.c.id == tag_id, tags.c.user_id == user_id))
                 .values(name=name))
    return Tag(tag_id, name)


def delete_tag(conn: Connection, user_id: int, tag_id: int) -> bool:
    """Delete a tag (its papers stay in the library)."""
    if get_tag(conn, user_id, tag_id) is None:
        return False
    conn.execute(paper_tags.delete().where(paper_tags.c.tag_id == tag_id))
    conn.execute(tags.delete().where(tags.c.id == tag_id))
    return True


def paper_tag_names(conn: Connection, user_id: int, paper_ids: Sequence[str]) -> dict[str, list[str]]:
    """The user's tag names on each of these papers."""
    if not paper_ids:
        return {}
    rows = conn.execute(
        select(paper_tags.c.paper_id, tags.c.name)
        .select_from(paper_tags.join(tags, tags.c.id == paper_tags.c.tag_id))
        .where(and_(tags.c.user_id == user_id, paper_tags.c.paper_id.in_(list(paper_ids))))
        .order_by(tags.c.name))
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r.paper_id, []).append(r.name)
    return out


def tagged_ids(conn: Connection, user_id: int, names: Sequence[str], mode: str = "any") -> set[str]:
    """Papers carrying any (or all) of the named tags; unknown names match nothing."""
    sets = []
    for name in names:
        tag = find_tag(conn, user_id, name)
        ids = set(conn.execute(select(paper_tags.c.paper_id)
                               .where(paper_tags.c.tag_id == tag.id)).scalars()) if tag else set()
        sets.append(ids)
    if not sets:
        return set()
    return set.intersection(*sets) if mode == "all" else set.union(*sets)


# -- not interested ---------------------------------------------------------------


def mark_not_interested(conn: Connection, user_id: int, paper_id: str) -> bool:
    """Record an explicit negative; a paper in the library is not marked."""
    if not known_ids(conn, [paper_id]):
        raise LibraryError(f"No paper {paper_id!r} in this papersift.")
    if paper_id in library_ids(conn, user_id) or paper_id in not_interested_ids(conn, user_id):
        return False
    conn.execute(not_interested.insert().values(user_id=user_id, paper_id=paper_id, added=utcnow()))
    return True


def unmark_not_interested(conn: Connection, user_id: int, paper_id: str) -> bool:
    return conn.execute(not_interested.delete().where(and_(
        not_interested.c.user_id == user_id, not_interested.c.paper_id == paper_id))).rowcount > 0


def not_interested_ids(conn: Connection, user_id: int) -> set[str]:
    return set(conn.execute(select(not_interested.c.paper_id)
                            .where(not_interested.c.user_id == user_id)).scalars())


# -- popularity -------------------------------------------------------------------


def holders(conn: Connection, paper_id: str) -> int:
    """How many libraries hold a paper."""
    return conn.execute(select(func.count()).where(library.c.paper_id == paper_id)).scalar_one()


def top_papers(conn: Connection, since: datetime | None, *, limit: int = 25, offset: int = 0,
               min_count: int = 1) -> tuple[int, list[tuple[Paper, int]]]:
    """Papers most often added to libraries since a time (all time when None), most first;
    only those added at least `min_count` times."""
    n = func.count().label("n")
    where = library.c.added >= since if since is not None else true()
    grouped = (select(library.c.paper_id, n).where(where).group_by(library.c.paper_id)
               .having(func.count() >= min_count).subquery())
    total = conn.execute(select(func.count()).select_from(grouped)).scalar_one()
    rows = conn.execute(
        select(papers, grouped.c.n).select_from(grouped.join(papers, papers.c.id == grouped.c.paper_id))
        .order_by(grouped.c.n.desc(), papers.c.published.desc(), papers.c.id).limit(limit).offset(offset))
    return total, [(_paper(r), r.n) for r in rows]


def tag_papers(conn: Connection, user_id: int, name: str, paper_ids: Sequence[str]) -> int:
    """Put one tag on many papers already in the library (a batched `tag_paper` for imports);
    returns how many papers newly carry it."""
    tag_id = _tag_for(conn, user_id, name)
    have = set(conn.execute(select(paper_tags.c.paper_id).where(paper_tags.c.tag_id == tag_id)).scalars())
    new = [p for p in dict.fromkeys(paper_ids) if p not in have]
    if new:
        now = utcnow()
        conn.execute(paper_tags.insert(), [{"tag_id": tag_id, "paper_id": p, "added": now} for p in new])
    return len(new)
