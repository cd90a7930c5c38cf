"""Persistence with SQLAlchemy Core: the only package that speaks SQL."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now as naive UTC, to the second: how every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
