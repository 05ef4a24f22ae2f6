"""`nba-lake sql`: read-only DuckDB over the lake, one view per table; reading takes no lock."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nba_assets.cli.commands import common as c


@c.app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="a query to run; omit for an interactive shell")] = None,
    write_db: Annotated[
        bool, typer.Option("--write-db", help="write <data_dir>/lake.duckdb with the same views (for BI tools)")
    ] = False,
    engine: Annotated[
        str, typer.Option("--engine", help="duckdb (the lake's files) or bigquery (the published tables, prod)")
    ] = "duckdb",
) -> None:
    """A read-only DuckDB shell over the lake: every table is a view <layer>.<table>; reading takes no
    lock, and nothing it runs can write a file (only --write-db writes, its own file)."""
    import duckdb

    from nba_assets.cli.sql_shell import ReadOnly, error_text, one_shot, shell
    from resources.lake_reader import LakeReader

    s = c.cli_settings()
    if engine == "bigquery":
        _bigquery(s, query)
        return
    if engine != "duckdb":
        raise c.CliError(f"--engine {engine!r}: expected duckdb or bigquery")
    reader = LakeReader(s.data_dir)
    if not reader.tables():
        raise c.no_lake_error(s.data_dir)
    if write_db:
        path = reader.write_duckdb_file(Path(s.data_dir) / "lake.duckdb")
        c.console.print(f"wrote {path}")
        return
    if query:
        try:
            one_shot(reader, query)
        except ReadOnly as exc:
            raise c.CliError(str(exc)) from exc
        except duckdb.Error as exc:
            raise c.CliError(f"{type(exc).__name__}: {error_text(exc)}",
                             f"tables: {', '.join(reader.tables())}") from exc
        return
    shell(reader.connect(), reader.tables())


def _bigquery(s, query: str | None) -> None:
    """One query on BigQuery; `layer.table` names are qualified to <project>.<prefix><layer>.<table>."""
    from google.api_core import exceptions as gexc

    from resources.bigquery import query_frame
    from resources.gcp import bigquery_resource, gcp_settings

    if s.env != "prod":
        raise c.CliError("--engine bigquery needs NBA_LAKE_ENV=prod", "see README.md, 'Running in production'")
    if not query:
        raise c.CliError("--engine bigquery runs one QUERY (no interactive shell)", "nba-lake sql --engine bigquery 'select ...'")
    g = gcp_settings()
    with bigquery_resource(g).get_client() as client:
        try:
            c.console.print(query_frame(client, query, g.project, g.dataset_prefix))
        except gexc.GoogleAPIError as exc:
            raise c.CliError(f"BigQuery: {c.first_line(str(exc))}", "tables are <layer>.<table>, as in the lake") from exc
