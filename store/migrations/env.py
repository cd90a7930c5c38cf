"""Alembic's environment: papersift runs its revisions through store.migrations.upgrade."""

from alembic import context

from store.migrations import configure_and_run

configure_and_run(context)
