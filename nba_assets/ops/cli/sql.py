"""`nba-lake sql`: DuckDB over the lake, one view per table; reading takes no lock."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nba_assets.ops.cli import common as c
from nba_assets.ops.sql_shell import error_text, run_statement, shell


@c.app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="a query to run; omit for an interactive shell")] = None,
    write_db: Annotated[
        bool, typer.Option("--write-db", help="write <data_dir>/lake.duckdb with the same views (for BI tools)")
    ] = False,
) -> None:
    """A DuckDB shell over the lake: every table is a view <layer>.<table>; reading takes no lock."""
    import duckdb

    from resources.lake import LakeReader

    s = c.cli_settings()
    reader = LakeReader(s.data_dir)
    if not reader.tables():
        raise c.no_lake_error(s.data_dir)
    if write_db:
        path = reader.write_duckdb_file(Path(s.data_dir) / "lake.duckdb")
        c.console.print(f"wrote {path}")
        return
    con = reader.connect()
    if query:
        try:
            run_statement(con, query)
        except duckdb.Error as exc:
            raise c.CliError(f"{type(exc).__name__}: {error_text(exc)}",
                             f"tables: {', '.join(reader.tables())}") from exc
        return
    shell(con, reader.tables())
