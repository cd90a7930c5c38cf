"""Keyword-trend reports: `papersift trends TERM...` and `papersift hot`.

The report code (numpy, the index) is imported inside the commands, so `papersift
--help` and every other command start without it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from recommend.trend_defaults import MIN_SUPPORT, TOP

if TYPE_CHECKING:
    from recommend.trends import TrendTable

SPARKS = "▁▂▃▄▅▆▇█"


def _table() -> TrendTable:
    from recommend import index as index_files
    from recommend.trends import TrendTable

    index = index_files.load_index(current_app.config["SETTINGS"].index_dir)
    if index is None:
        raise click.ClickException("no index yet: run `papersift index` first")
    table = TrendTable.from_index(index)
    if table is None:
        raise click.ClickException("this index has no trend table: run `papersift index --force`")
    return table


@click.command("trends")
@click.argument("terms", nargs=-1, required=True)
@click.option("--category", "-c", default="", help="Only papers listing this category (e.g. cs.CV).")
@click.option("--since", default="", metavar="YYYY-MM", help="First month shown.")
@click.option("--until", default="", metavar="YYYY-MM", help="Last month shown.")
@click.option("--smooth", default=1, type=click.IntRange(1, 24), show_default=True,
              help="Trailing moving average over this many months.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: term,month,papers,count,fraction.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def trends_command(terms: tuple[str, ...], category: str, since: str, until: str, smooth: int,
                   as_csv: bool, as_json: bool) -> None:
    """Monthly share of papers mentioning each TERM (comma-separated or several arguments)."""
    from cli import _store as db
    from ingest.indexing import document_texts
    from recommend.trend_hot import report_csv, trends_report
    from recommend.trend_query import TrendQueryError, parse_month

    table = _table()
    try:
        with db.engine().connect() as conn:
            report = trends_report(table, terms, category=category.strip() or None,
                                   since=parse_month(since), until=parse_month(until),
                                   smooth=smooth, fetch=lambda ids: document_texts(conn, ids))
    except TrendQueryError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report, indent=2))
    elif as_csv:
        click.echo(report_csv(report), nl=False)
    else:
        click.echo(format_trends(report))


def format_trends(report: dict[str, Any]) -> str:
    """A month-by-term table: papers that month, then count and percentage per term."""
    terms = list(report["terms"])
    width = [max(len(t), 14) for t in terms]
    lines = ["month    papers  " + "  ".join(t.rjust(w) for t, w in zip(terms, width, strict=True))]
    columns = list(zip(*report["terms"].values(), strict=True))
    for rows in columns:
        cells = [_cell(r).rjust(w) for r, w in zip(rows, width, strict=True)]
        lines.append(f"{rows[0]['month']}  {rows[0]['papers']:>6}  " + "  ".join(cells))
    if report["category"]:
        lines.insert(0, f"category: {report['category']}")
    lines += [f"note: {n}" for n in report["notices"]]
    lines += [f"did you mean for {t!r}: {', '.join(s)}" for t, s in report["suggestions"].items()]
    return "\n".join(lines)


def _cell(row: dict[str, Any]) -> str:
    if row["fraction"] is None:
        return "-"
    return f"{row['count']} {100 * row['fraction']:6.2f}%"


@click.command("hot")
@click.option("--month", default="", metavar="YYYY-MM",
              help="Reference month (default: the newest month in the index).")
@click.option("--category", "-c", default="", help="Only papers listing this category (e.g. cs.CV).")
@click.option("-n", "n", default=TOP, type=click.IntRange(1, 500), show_default=True,
              help="Terms in each list.")
@click.option("--min-support", default=MIN_SUPPORT, type=click.IntRange(1), show_default=True,
              help="Papers a term needs in the window it is judged on.")
@click.option("--recent", type=click.IntRange(1, 120), default=None,
              help="Months in the recent window (default: 6, 3 or 1, by the months held).")
@click.option("--baseline", type=click.IntRange(1, 120), default=None,
              help="Months in the baseline window before it (default: up to 12).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def hot_command(month: str, category: str, n: int, min_support: int, recent: int | None,
                baseline: int | None, as_json: bool) -> None:
    """Hot, cooling and emerging terms: the recent months against a baseline before them."""
    from recommend.trend_hot import hot_report
    from recommend.trend_query import TrendQueryError, parse_month

    table = _table()
    try:
        report = hot_report(table, month=parse_month(month), n=n, min_support=min_support,
                            category=category.strip() or None, recent=recent, baseline=baseline)
    except TrendQueryError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps(report, indent=2) if as_json else format_hot(report))


def format_hot(report: dict[str, Any]) -> str:
    """The windows compared, then the three lists with share, ratio and folded variants."""
    lines = [_windows_line(report)]
    if report["notice"]:
        lines.append(report["notice"])
    for key, title in (("hot", "Hot"), ("cooling", "Cooling"), ("emerging", "Emerging")):
        lines.append(f"\n{title}:")
        for rank, item in enumerate(report[key], 1):
            figure = (f"since {item['first_month']}" if key == "emerging"
                      else f"{item['ratio']:>7.2f}x")
            lines.append(f"{rank:>3}. {item['term']:<32} {figure:>13}  "
                         f"{100 * item['baseline_share']:5.1f}% -> {100 * item['recent_share']:5.1f}%  "
                         f"{sparkline(item['series'])}")
            if item["variants"]:
                lines.append(f"     also: {', '.join(item['variants'])}")
        if not report[key]:
            lines.append("  (none)")
    return "\n".join(lines)


def _windows_line(report: dict[str, Any]) -> str:
    scope = f" in {report['category']}" if report["category"] else ""
    if not report["windows"]:
        return f"up to {report['month']}{scope}: no windows to compare"
    recent, base = report["windows"]["recent"], report["windows"]["baseline"]
    return (f"{recent['start']} .. {recent['end']} ({recent['months']} months, {recent['papers']} papers) "
            f"against {base['start']} .. {base['end']} ({base['months']} months, {base['papers']} papers)"
            f"{scope}; terms in at least {report['min_support']} papers")


def sparkline(values: list[float]) -> str:
    top = max(values, default=0.0)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1) + 0.5))] for v in values)


def register(group: click.Group) -> None:
    for command in (trends_command, hot_command):
        group.add_command(command)
