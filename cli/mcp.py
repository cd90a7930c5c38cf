"""`papersift mcp`: the MCP server for AI assistants, and `papersift mcp-token` for its HTTP users.

Only click and the tool catalog are imported here; the SDK and the app load when a
command runs, so `papersift --help` stays fast.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from mcp_server.catalog import tools_help

MCP_HELP = f"""Serve papersift to AI assistants over the Model Context Protocol.

stdio (the default) is for a desktop assistant that starts this command itself; it acts
for the user given by --user or PAPERSIFT_MCP_USER. http serves streamable HTTP at
http://HOST:PORT/mcp for shared deployments; every request needs an
`Authorization: Bearer TOKEN` header with a token from `papersift mcp-token NAME`.
The library tools write only with PAPERSIFT_MCP_WRITES=1.

{tools_help()}
"""


@click.command("mcp", help=MCP_HELP)
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--user", "username", default=None, metavar="NAME",
              help="stdio: the account whose library and recommendations to use "
                   "(default: PAPERSIFT_MCP_USER).")
@click.option("--host", default="127.0.0.1", show_default=True, help="http: address to listen on.")
@click.option("--port", default=5001, show_default=True, type=click.IntRange(1, 65535),
              help="http: port to listen on.")
@with_appcontext
def mcp_command(transport: str, username: str | None, host: str, port: int) -> None:
    from flask import current_app

    from mcp_server.adapter import user_id_by_name
    from mcp_server.server import build_server, transport_security
    from mcp_server.tools import CallBudget, Identity

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.config["SETTINGS"]
    if transport == "http":
        if username:
            raise click.UsageError("--user is for stdio; over http each request's token names its user")
        identity = Identity(http=True, budget=CallBudget(settings))
        server = build_server(app, identity, writes=settings.mcp_writes)
        click.echo(f"papersift MCP server on http://{host}:{port}/mcp", err=True)
        server.run("streamable-http", host=host, port=port, stateless_http=True, json_response=True,
                   transport_security=transport_security(settings.base_url, host))
        return
    username = username if username is not None else settings.mcp_user
    user_id = None
    if username:
        user_id = user_id_by_name(username)
        if user_id is None:
            raise click.ClickException(f"No account {username!r} (papersift users create {username}).")
    build_server(app, Identity(stdio_user_id=user_id), writes=settings.mcp_writes).run("stdio")


@click.command("mcp-token")
@click.argument("username")
@with_appcontext
def mcp_token_command(username: str) -> None:
    """Print an access token for the MCP server over HTTP, acting as USERNAME.

    It is a login of that account: it works until PAPERSIFT_MCP_TOKEN_DAYS pass, the
    password changes or the user logs out everywhere; keep it as secret as the password.
    """
    from flask import current_app

    from mcp_server.adapter import login_identity
    from mcp_server.tokens import issue_token

    identity = login_identity(username, current_app.config["SETTINGS"].mcp_token_days)
    if identity is None:
        raise click.ClickException(f"No account {username!r}.")
    click.echo(issue_token(current_app.config["SECRET_KEY"], identity))


def register(group: click.Group) -> None:
    for command in (mcp_command, mcp_token_command):
        group.add_command(command)
