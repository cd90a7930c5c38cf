"""papersift for AI assistants: an MCP server over search, papers, recommendations and trends.

`catalog` names the tools (cheap to import: `papersift mcp --help` lists them), `adapter`
is the one module that calls papersift's use-cases, `tools` holds the tools' arguments and
limits, `tokens` is the HTTP transport's auth, `server` wires them into the SDK's MCPServer.
"""
