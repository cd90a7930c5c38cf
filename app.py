"""The app factory and the `papersift` command line. Wiring only: no routes, no logic."""

from __future__ import annotations

import atexit
import gc
import logging
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

import config
from config import Settings

log = logging.getLogger("papersift")
store_log = logging.getLogger("papersift.store")


def create_app(overrides: Mapping[str, Any] | Settings | None = None, *, web: bool = True) -> Flask:
    """Build the app. `overrides` is a Settings, or a mapping of setting names (lowercase,
    e.g. ``data_dir``) and Flask config keys (uppercase, e.g. ``TESTING``).

    web=False leaves out the web layer (blueprints, extensions, error pages): the app of
    papersift's own commands, which use the settings, the store and the index but never
    a route, and start faster without it.
    """
    overrides = overrides or {}
    if isinstance(overrides, Settings):
        settings, flask_config = overrides, {}
    else:
        settings = config.load_settings(**{k: v for k, v in overrides.items() if k.islower()})
        flask_config = {k: v for k, v in overrides.items() if not k.islower()}

    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=config.secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update(flask_config)
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        # not X-Forwarded-Host: absolute links come from PAPERSIFT_BASE_URL instead
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]

    import logging_setup
    from web import init_web

    logging_setup.init_app(app)
    _open_store(app)
    if web:
        init_web(app)
    register_commands(app.cli)
    return app


def _open_store(app: Flask) -> None:
    """Open (and migrate) the store into `app.extensions`. An unreachable or too-new store is
    logged, not raised, so `papersift doctor` and `/readyz` can still run and say what is wrong."""
    from sqlalchemy.exc import OperationalError

    from store import migrations
    from store.db import make_engine

    settings: Settings = app.config["SETTINGS"]
    app.extensions["papersift.engine"] = engine = make_engine(settings)
    try:
        before, after = app.extensions["papersift.migrated"] = migrations.upgrade(engine)
    except (OperationalError, migrations.SchemaTooNew) as exc:
        store_log.error("store not ready (%s); run `papersift doctor`", str(exc).splitlines()[0])
    else:
        if before != after:
            store_log.info("migrated the schema from version %d to %d", before, after)
    app.teardown_appcontext(_close_request_connection)


def _close_request_connection(_exc: BaseException | None = None) -> None:
    """Close the connection web/db.py's get_db() opened for this request (kept in `g.db`)."""
    from flask import g

    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def papersift_commands() -> dict[str, click.Command]:
    """papersift's commands by name.

    Every module in the `cli` package offers `register(group)`; adding a module adds its
    commands. The modules import their heavy dependencies inside the commands, so listing
    them stays fast.
    """
    import importlib
    import pkgutil

    import cli as commands

    group = click.Group()
    modules = (m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    for module in sorted(modules):
        importlib.import_module(f"cli.{module}").register(group)
    return group.commands


def register_commands(group: click.Group) -> None:
    """Add papersift's commands to a CLI group: the `papersift` group and each app's `app.cli`
    (which `app.test_cli_runner()` invokes)."""
    for name, command in papersift_commands().items():
        group.add_command(command, name)


def create_server_app() -> Flask:
    """The app for a long-running server: `create_app` plus `web.preload`, so the first
    requests do not wait for the imports a CLI command skips (gunicorn.conf.py uses this)."""
    from web import preload

    app = create_app()
    preload()
    return app


SERVING_COMMANDS = frozenset({"run-all", "run"})
OWN_COMMANDS = frozenset(papersift_commands())


def _create_cli_app() -> Flask:
    """The app a command builds through `with_appcontext`.

    The commands that serve the site in this process get a server app; papersift's other
    commands the app without the web layer; Flask's and plugins' commands (routes, shell,
    limiter) the whole site.
    """
    ctx = click.get_current_context(silent=True)
    name = _top_command(ctx) if ctx is not None else ""
    if name in SERVING_COMMANDS:
        return create_server_app()
    return create_app(web=name not in OWN_COMMANDS)


def _top_command(ctx: click.Context) -> str:
    """The name of the command under `papersift` that `ctx` runs in (`users` for `users list`)."""
    while ctx.parent is not None and ctx.parent.parent is not None:
        ctx = ctx.parent
    return ctx.info_name or ""


class PluginCommand(click.Command):
    """A Flask plugin's command (entry point `flask.commands`), imported only when it runs.

    Listed under the plugin's summary: importing Flask-Limiter's `limiter` (and `rich`
    with it) to read its own help text would cost `papersift --help` a third of its time.
    """

    def __init__(self, entry_point: EntryPoint) -> None:
        dist = entry_point.dist
        summary = f"{dist.metadata['Summary']} ({dist.name})" if dist else entry_point.value
        super().__init__(entry_point.name, short_help=summary)
        self.entry_point = entry_point

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        command: click.Command = self.entry_point.load()
        return command.make_context(info_name, args, parent=parent, **extra)


def _plugin_entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group="flask.commands")}


class PapersiftGroup(FlaskGroup):
    """A FlaskGroup that lists and finds its commands without building the app.

    FlaskGroup builds the app to list the commands the app adds to `app.cli`, and imports
    every plugin's commands. papersift's commands are on this group itself, so
    `papersift --help` and the commands that need no app (config, serve) never build it;
    the others build it through `with_appcontext`. Plugins' commands are imported when run.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_plugin_entry_points()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        plugin = _plugin_entry_points().get(name)
        return PluginCommand(plugin) if plugin else super().get_command(ctx, name)


@click.group(cls=PapersiftGroup, create_app=_create_cli_app, add_version_option=False)
def cli() -> None:
    """papersift: arXiv paper search, recommendations and trends."""
    # The process ends with the command: freezing the heap at exit spares the interpreter's
    # final garbage collection over every module loaded (0.1-0.2 s with numpy, scipy and
    # SQLAlchemy); the operating system frees the memory.
    atexit.register(gc.freeze)


register_commands(cli)
