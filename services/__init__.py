"""Use-cases that views, commands, the MCP adapter and jobs call: recommendations with
their cache, author pages and follows, and the email digest. Flask-free; below web/, cli/
and mcp_server/, above ingest/, recommend/ and store/."""
