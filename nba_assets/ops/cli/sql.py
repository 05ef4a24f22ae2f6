"""`nba-lake sql`: DuckDB over the lake, one view per table; reading takes no lock."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from nba_assets.ops.cli import common as c


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
            c.console.print(con.sql(query).pl())
        except duckdb.Error as exc:
            raise c.CliError(f"{type(exc).__name__}: {c.first_line(str(exc))}",
                           f"tables: {', '.join(reader.tables())}") from exc
        return
    c.console.print(f"tables: {', '.join(reader.tables())}")
    c.console.print("end a statement with ';' — an empty line or Ctrl-D quits")
    buf = ""
    while True:
        try:
            line = input("lake> " if not buf else "  ... ")
        except EOFError:
            break
        if not line.strip() and not buf:
            break
        buf += " " + line
        if buf.strip().endswith(";"):
            try:
                rel = con.sql(buf)
                if rel is not None:
                    c.console.print(rel.pl())
            except Exception as exc:  # a bad query must not end the shell
                c.console.print(f"[red]{type(exc).__name__}:[/red] {escape(str(exc))}")
            buf = ""
