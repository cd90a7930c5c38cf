"""The MCP server: papersift's tools (mcp_server.tools) and paper resources on the SDK's MCPServer.

Over stdio it acts for the user configured at start-up; over streamable HTTP for the user
named by each request's bearer token (mcp_server.tokens), checked by the SDK's bearer-auth
middleware through SiteTokenVerifier.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from flask import Flask
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from mcp_server import tokens
from mcp_server.catalog import PAPER_URI, TOOLS, WRITE_TOOLS
from mcp_server.tools import Identity, Tools

log = logging.getLogger("papersift.mcp")


class SiteTokenVerifier:
    """The SDK's TokenVerifier over papersift's tokens (see mcp_server.tokens)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def verify_token(self, token: str) -> AccessToken | None:
        user_id = await anyio.to_thread.run_sync(self._user_id, token)
        if user_id is None:
            return None
        return AccessToken(token=token, client_id="papersift", scopes=[], subject=str(user_id))

    def _user_id(self, token: str) -> int | None:
        with self.app.app_context():
            return tokens.token_user_id(self.app.config["SECRET_KEY"], self.app.config["SETTINGS"], token)


def build_server(app: Flask, identity: Identity, *, writes: bool) -> MCPServer:
    """papersift's MCP server over `app` (create_app's), acting for `identity`."""
    auth = token_verifier = None
    if identity.http:
        auth = AuthSettings(issuer_url=app.config["SETTINGS"].base_url, resource_server_url=None)
        token_verifier = SiteTokenVerifier(app)
    server = MCPServer(
        "papersift", title="papersift", version=_version(),
        instructions="Search, read, and get recommendations from this papersift's arXiv papers. "
                     "Cite papers with their papersift://paper/<id> resource or abs_url.",
        auth=auth, token_verifier=token_verifier, log_level="WARNING")
    tools = Tools(app, identity, writes=writes)
    parameters: dict[str, set[str]] = {}
    for name, description in TOOLS.items():
        fn = getattr(tools, name)
        parameters[name] = set(inspect.signature(fn).parameters)
        server.add_tool(fn, name=name, description=description, annotations=ToolAnnotations(
            read_only_hint=name not in WRITE_TOOLS, destructive_hint=False, idempotent_hint=True,
            open_world_hint=False))
    server.resource(PAPER_URI, name="paper", mime_type="application/json",
                    description="A paper's metadata and abstract, to read or cite.")(tools.paper_resource)
    server.middleware.append(UnknownArguments(parameters))
    return server


class UnknownArguments:
    """Refuse a tool call naming an argument the tool does not have (say `user`), rather than
    let the SDK drop it silently: the assistant learns the call did not mean what it hoped."""

    def __init__(self, parameters: dict[str, set[str]]) -> None:
        self.parameters = parameters

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params or {}
        if ctx.method == "tools/call" and params.get("name") in self.parameters:
            arguments = params.get("arguments") or {}
            unknown = sorted(set(arguments) - self.parameters[params["name"]]) \
                if isinstance(arguments, dict) else []
            if unknown:
                names = ", ".join(repr(n[:40]) for n in unknown[:5])
                return CallToolResult(is_error=True, content=[TextContent(
                    type="text", text=f"{params['name']} has no argument {names}.")])
        return await call_next(ctx)


def transport_security(base_url: str, host: str) -> TransportSecuritySettings:
    """DNS-rebinding protection that also lets in the site's own host (PAPERSIFT_BASE_URL), as a
    reverse proxy in front of papersift sends it; a server listening on all addresses is
    reached by names nobody can list, so it relies on the bearer tokens alone."""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    site = urlsplit(base_url)
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if site.hostname:
        hosts += [site.netloc, f"{site.hostname}:*"]
        origins += [f"{site.scheme}://{site.netloc}"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("papersift")
    except PackageNotFoundError:
        return "0"
