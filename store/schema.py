"""Tables of the papersift store (SQLAlchemy Core), portable between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

papers = Table(
    "papers",
    metadata,
    Column("id", String(64), primary_key=True),           # arXiv id without version
    Column("version", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("authors", Text, nullable=False),               # JSON list, in order
    Column("authors_folded", Text),                        # the names without accents or case
    Column("abstract", Text, nullable=False),
    Column("categories", Text, nullable=False),            # JSON list, primary first
    Column("primary_category", String(32), nullable=False),
    Column("published", DateTime, nullable=False),         # first-version date
    Column("updated", DateTime),                           # latest-version date
    Column("comment", Text),
    Column("journal_ref", Text),
    Column("doi", Text),
    Column("first_seen", DateTime, nullable=False),        # when the store first had it
    Column("modified", DateTime, nullable=False),          # last change of this row
    Index("ix_papers_published", "published"),
    Index("ix_papers_updated", "updated"),
    Index("ix_papers_modified", "modified"),
)

# Browse lists papers by their latest version's date, newest first: with this index the
# first pages read 25 rows instead of sorting the whole table.
ix_papers_recent = Index(
    "ix_papers_recent",
    func.coalesce(papers.c.updated, papers.c.published).desc(),
    papers.c.id.desc(),
)

# A browse window checks one paper's dates after another: on PostgreSQL from this index alone
# (an index-only scan), rather than from each paper's row (migration 0006 says why SQLite
# gets the id only)
ix_papers_id_dates = Index("ix_papers_id_dates", papers.c.id,
                           postgresql_include=["published", "updated"])
# a paper's version beside its id: "never revised" is checked from this small index alone
# when a category's new papers are listed and counted (migration 0009), not from the rows
ix_papers_id_version = Index("ix_papers_id_version", papers.c.id, papers.c.version)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("category", String(32), primary_key=True),
    Column("position", Integer, nullable=False),
    # copies of the paper's first-version date and its latest version's date (the sort key of
    # ix_papers_recent), kept in step by store/papers.py: "a category within a window, newest
    # first" is then one range of ix_paper_categories_recent (migration 0007)
    Column("published", DateTime),
    Column("latest", DateTime),
    Index("ix_paper_categories_category", "category", "paper_id"),
)

ix_paper_categories_recent = Index("ix_paper_categories_recent", paper_categories.c.category,
                                   paper_categories.c.latest, paper_categories.c.paper_id)
# "new papers in a category" (first versions only, by first-version date, as feeds and
# browse's "new only" list them) is one range of this index (migration 0009)
ix_paper_categories_new = Index("ix_paper_categories_new", paper_categories.c.category,
                                paper_categories.c.published, paper_categories.c.paper_id)
# papers whose latest-version date is before their first version's (malformed dates): in a
# window by their first version but outside the range above; normally none
_before_first = paper_categories.c.latest < paper_categories.c.published
ix_paper_categories_misdated = Index("ix_paper_categories_misdated", paper_categories.c.category,
                                     paper_categories.c.published,
                                     sqlite_where=_before_first, postgresql_where=_before_first)

# each author's folded last name on a paper (domain.names.last_names), with the paper's
# first-version date: "papers by someone named X, newest first" (author pages, follows) is one
# range of the primary key, where a LIKE over authors_folded read every paper (migration 0010)
paper_author_names = Table(
    "paper_author_names",
    metadata,
    Column("last_name", String(64), primary_key=True),
    Column("published", DateTime, primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sqlite_with_rowid=False,
)

fulltext = Table(
    "fulltext",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, nullable=False),            # paper version the text is from
    Column("status", String(16), nullable=False),          # pending | ok | failed | stale
    Column("reason", Text),                                # why it failed, for people
    Column("text", LargeBinary),                           # zlib-compressed UTF-8
    Column("pages", Integer),
    Column("chars", Integer),
    Column("seconds", Float),
    Column("engine", String(16)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("updated", DateTime, nullable=False),
    # (status, updated) answers the status counts and the newest text of a status, and
    # (updated) the newest change of any: each a few index pages, never the rows, whose
    # texts sit before `updated` and would be read to reach it
    Index("ix_fulltext_status_updated", "status", "updated"),
    Index("ix_fulltext_updated", "updated"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),            # fetch | harvest | fulltext | index | import
    Column("started", DateTime, nullable=False),
    Column("ended", DateTime),
    Column("status", String(16), nullable=False),          # running | ok | failed | interrupted
    Column("requests", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("message", Text),
    Column("params", Text),                                # JSON
    Column("cursor", Text),                                # JSON resume state
    Index("ix_runs_kind_started", "kind", "started"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("email", Text),
    Column("email_confirmed", DateTime),                   # when `email` was confirmed; None: not yet
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("feed_token", String(64), unique=True),
    Column("created", DateTime, nullable=False),
)

# one row per login: logging out deletes it, so a copied cookie stops working (store/sessions.py)
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),    # sha256 of the token in the cookie
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created", DateTime, nullable=False),
    Column("expires", DateTime, nullable=False),
    Index("ix_user_sessions_user", "user_id"),
)

library = Table(
    "library",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("added", DateTime, nullable=False),
    Index("ix_library_paper", "paper_id"),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    UniqueConstraint("user_id", "name", name="uq_tags_user_name"),
)

paper_tags = Table(
    "paper_tags",
    metadata,
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("added", DateTime, nullable=False),
)

not_interested = Table(
    "not_interested",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("added", DateTime, nullable=False),
)

# -- feeds, saved searches and email digests (store/feeds.py)

saved_searches = Table(
    "saved_searches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("query", Text, nullable=False),
    Column("category", String(32), nullable=False, default=""),
    Column("time_window", String(8), nullable=False, default="all"),
    Column("sort", String(16), nullable=False, default="relevance"),
    Column("in_digest", Boolean, nullable=False, default=True),
    Column("created", DateTime, nullable=False),
    Index("ix_saved_searches_user", "user_id"),
)

digest_settings = Table(
    "digest_settings",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("frequency", String(8), nullable=False, default="off"),   # off | daily | weekly
    Column("library", Boolean, nullable=False, default=True),         # whole-library recommendations
    Column("last_sent", DateTime),                                    # last digest run that completed
    Column("last_attempt", DateTime),
    Column("last_error", Text),                                       # why the last attempt failed
)

digest_tags = Table(
    "digest_tags",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)

digest_sent = Table(
    "digest_sent",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("sent", DateTime, nullable=False),
)

# -- followed authors and seen marks (store/follows.py, store/seen.py)

follows = Table(
    "follows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),           # the name as the user chose it
    Column("name_key", String(200), nullable=False),       # accent-folded, lowercase: one follow per person
    Column("created", DateTime, nullable=False),
    UniqueConstraint("user_id", "name_key", name="uq_follows_user_name"),
)

seen = Table(
    "seen",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("seen", DateTime, nullable=False),
    Column("how", String(16), nullable=False),              # opened | digest | marked | page
)
