"""Use-cases that views, commands, the MCP adapter and scheduler jobs call: search, paper
views, library actions, recommendations, trends, author pages and follows, email digests,
and the one cache they keep answers in. Flask-free (a contract in pyproject.toml); below
web/, cli/ and mcp_server/, above ingest/, recommend/ and store/."""
