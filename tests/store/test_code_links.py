"""Code links read from abstracts and comments, and the "has code" filter over the store."""

from datetime import datetime

from sqlalchemy import inspect, text

from store import migrations
from store.code_links import code_links
from store.papers import PaperFilter, get_paper, list_papers
from tests.factories import add_papers, record
from tests.helpers.stores import pretend_version


def test_repository_links_on_the_four_hosts():
    abstract = ("Code is at https://github.com/openai/CLIP. Weights: huggingface.co/ "
                "meta-llama/Llama-2-7b and https://huggingface.co/datasets/squad/v2, see also "
                "(gitlab.com/group/project) and https://codeberg.org/owner/repo.git; "
                "again https://GitHub.com/openai/CLIP.")
    assert code_links([abstract]) == [
        "https://github.com/openai/CLIP", "https://huggingface.co/meta-llama/Llama-2-7b",
        "https://huggingface.co/datasets/squad/v2", "https://gitlab.com/group/project",
        "https://codeberg.org/owner/repo.git"]


def test_pages_that_are_not_repositories_are_ignored():
    assert code_links(["See https://github.com/features/copilot and https://arxiv.org/abs/1/2",
                       None, "https://huggingface.co/docs/transformers"]) == []


def test_has_code_filter_and_paper_json(engine):
    add_papers(engine,
               record(id="2402.00001", abstract="Our code: https://github.com/a/b.",
                      published=datetime(2024, 2, 1)),
               record(id="2402.00002", abstract="No code here.", comment="Code at gitlab.com/x/y",
                      published=datetime(2024, 2, 2)),
               record(id="2402.00003", abstract="Nothing to run.", published=datetime(2024, 2, 3)))
    with engine.connect() as conn:
        total, found = list_papers(conn, PaperFilter(has_code=True))
        assert total == 2 and [p.id for p in found] == ["2402.00002", "2402.00001"]
        paper = get_paper(conn, "2402.00002")
    assert paper.to_json()["code_links"] == ["https://gitlab.com/x/y"]


def test_a_store_before_follows_and_seen_gets_the_tables(engine):
    step = migrations.revision_chain().index("0004") + 1       # the revision that adds them
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE seen"))
        conn.execute(text("DROP TABLE follows"))
        pretend_version(conn, step - 1)
    assert migrations.upgrade(engine) == (step - 1, migrations.LATEST)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    assert {"follows", "seen"} <= names
