"""Make the SQLite stores that tests/store/test_legacy_upgrade.py upgrades: tests/data/legacy/.

Each file is a store as papersift's hand-written migration runner (before Alembic) left it, at
schema step 2 (what older installs have) and step 5 (the last step of that runner), with a few
real papers from the bundled sample, two users, library rows, tags and, at step 5, a follow.

It needs the old runner, so run it with papersift at commit 2385eb1 on the import path:

    git archive 2385eb1 | tar -x -C /tmp/papersift-old
    cd /tmp/papersift-old && python /path/to/papersift/scripts/make_legacy_stores.py \\
        /path/to/papersift/tests/data/legacy
"""

from __future__ import annotations

import gzip
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, text

SAMPLE = Path("data/sample/arxiv_cs_sample.jsonl.gz")
# the sample's first papers, and its first with accented author names (line 38)
PAPER_LINES = (0, 1, 2, 38)
NOW = datetime(2025, 4, 1, 12, 0, 0)

# what the old steps 3 to 5 added to a store; a step-N store is the full schema without the
# additions of the steps after N (the old steps 1 and 2 ran create_all on the whole schema)
ADDED_AFTER = {
    3: ["DROP TABLE user_sessions", "ALTER TABLE users DROP COLUMN email_confirmed"],
    4: ["DROP TABLE seen", "DROP TABLE follows"],
    5: ["ALTER TABLE papers DROP COLUMN authors_folded"],
}


def make_store(path: Path, step: int) -> None:
    from domain.names import fold
    from ingest.jsonl import parse_line
    from store import follows, library, migrations, users
    from store.papers import upsert_papers

    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    migrations.upgrade(engine, migrations.STEPS[:step])
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        wanted = [line for n, line in enumerate(lines) if n in PAPER_LINES]
    records = [parse_line(line, f"{SAMPLE}:{n}") for n, line in zip(PAPER_LINES, wanted, strict=True)]
    with engine.begin() as conn:
        upsert_papers(conn, records, now=NOW)
        ada = users.create_user(conn, "ada", "correct horse battery staple", is_admin=True)
        grace = users.create_user(conn, "grace", "a cobol compiler in 1959")
        users.set_email(conn, ada.id, "ada@example.org")
        library.add_to_library(conn, ada.id, [r.id for r in records[:3]])
        library.add_to_library(conn, grace.id, [records[3].id])
        library.tag_paper(conn, ada.id, records[0].id, "detection")
        if step >= 4:
            name = records[3].authors[2]
            follows.follow(conn, grace.id, name, fold(name))
        for later in range(step + 1, 6):
            for statement in ADDED_AFTER[later]:
                conn.execute(text(statement))
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM")
    engine.dispose()


def main(argv: list[str]) -> None:
    try:
        from store.migrations import STEPS  # noqa: F401 - the runner this script needs
    except ImportError:
        sys.exit("run this with papersift at commit 2385eb1 on the import path (see the docstring)")
    out = Path(argv[1] if len(argv) > 1 else "tests/data/legacy")
    out.mkdir(parents=True, exist_ok=True)
    for step in (2, 5):
        make_store(out / f"step{step}.sqlite", step)
        print(f"{out / f'step{step}.sqlite'}: schema step {step}")


if __name__ == "__main__":
    main(sys.argv)
