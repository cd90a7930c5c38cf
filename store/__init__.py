"""Persistence with SQLAlchemy Core: the only package that speaks SQL."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now as naive UTC, to the second: how every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def change_stamp() -> datetime:
    """Now as naive UTC to the microsecond: the stamp on a paper or full-text change.

    Incremental index updates and the index fingerprint compare these stamps with the mark
    an index version was read at; a whole second would hide a paper changed again within
    the second its previous change was indexed.
    """
    return datetime.now(UTC).replace(tzinfo=None)
