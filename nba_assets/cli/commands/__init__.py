"""`nba-lake`: the operator's command line.

    nba-lake backfill --start D1 --end D2 [--select layer|layer/table] [--yes]   one run per job, live progress
    nba-lake status [--date D] [--days N]      tables x days: rows, missing files, failing checks, freshness
    nba-lake health                            one line; exit 1 when the pipeline is stalled or stale
    nba-lake checks [--date D] [--failed]      every check evaluation of a day (default: the latest game day)
    nba-lake verify [--start D1 --end D2]      lake files vs their materializations: changed, missing, added
    nba-lake sim status|advance|reset|release-late|withhold|outage   drive the simulated league
    nba-lake sql [QUERY] [--engine bigquery]   DuckDB over the lake (or BigQuery in prod), one view per table
    nba-lake publish --start D1 --end D2       prod: backfill lake days into the BigQuery tables
    nba-lake trace GAME:PLAYER[:SYSTEM] [--json]   a prediction or summary row back to its API responses
    nba-lake ui [--port P]                     Dagster UI + daemons on 127.0.0.1
    nba-lake web [--port P]                    the exports page and the JSON exports on 127.0.0.1
    nba-lake demo                              backfill the sim league end to end

One module per command; `common` holds what they share. Errors print one line and a hint (no
traceback) unless --debug is given. Exit codes: 0 ok, 1 a run or check failed / nothing to show,
2 bad input or configuration, 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback

import typer
from rich.markup import escape

# Importing a command module registers its command on `common.app`.
from nba_assets.cli.commands import (  # noqa: F401
    backfill,
    checks,
    demo,
    health,
    publish,
    sim,
    sql,
    status,
    trace,
    ui,
    verify,
    web,
)
from nba_assets.cli.commands import common as c
from resources.settings import ConfigError

app = c.app

def _print_error(message: str, hint: str = "") -> None:
    c.err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    if hint:
        c.err_console.print(f"[dim]hint: {escape(hint)}[/dim]", soft_wrap=True)


def entry(args: list[str] | None = None) -> int:
    """Run the CLI and map every failure to (one line + hint, exit code). --debug adds the traceback."""
    argv = list(sys.argv[1:] if args is None else args)
    c.DEBUG["on"] = "--debug" in argv
    if c.DEBUG["on"]:  # accepted anywhere on the line, not only before the command
        argv = ["--debug", *(a for a in argv if a != "--debug")]
    try:
        rv = c.app(args=argv, prog_name="nba-lake", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except typer.Exit as exc:  # raised before click could turn it into a return code
        return exc.exit_code
    except c.CliError as exc:
        if c.DEBUG["on"]:
            traceback.print_exc()
        _print_error(str(exc), exc.hint)
        return exc.exit_code
    except ConfigError as exc:
        if c.DEBUG["on"]:
            traceback.print_exc()
        _print_error(str(exc), "fix the environment variable (see README.md)")
        return 2
    except c.CLICK_ERRORS as exc:  # usage errors: unknown option, missing --start, bad int ...
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "nba-lake"
        _print_error(c.first_line(exc.format_message()), f"{where} --help")
        return exc.exit_code
    except c.ABORTS:
        c.err_console.print("interrupted")
        return 130
    except Exception as exc:
        if c.DEBUG["on"]:
            traceback.print_exc()
        _print_error(f"{type(exc).__name__}: {c.first_line(str(exc))}",
                     "" if c.DEBUG["on"] else "re-run with --debug for the traceback")
        return 1


def run() -> None:
    """Console-script entry point (`nba-lake`)."""
    sys.exit(entry())
