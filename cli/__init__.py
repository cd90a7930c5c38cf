"""Commands of the `papersift` CLI, one module per area; each has `register(group)`
(modules named with a leading `_`, such as `_store.py`, are helpers, not commands).

`papersift --help` imports every module here, so a module imports only click, Flask and
config at the top; the store, ingest, recommend and services modules (SQLAlchemy, numpy,
scipy, scikit-learn...) are imported inside the commands that use them.
tests/test_cli_startup.py fails when `--help` or `config` loads them.
"""
