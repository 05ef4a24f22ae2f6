"""The interactive half of `nba-lake sql`: a small DuckDB-like shell over the lake's views.

Like the `duckdb` CLI: statements end with ';' and may span lines, a blank line does nothing, `.tables`
lists the views, `.quit` / `.exit` / Ctrl-D leave, results are drawn by DuckDB's own box renderer fit to
the terminal width (wide tables lose middle columns, as in the DuckDB CLI, instead of wrapping), and an
error keeps DuckDB's whole message (its 'Did you mean "..."?' hint included). `show tables` lists the
lake's views (DuckDB's own SHOW TABLES only covers the default schema; the views live in one schema per
layer).
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable, Iterable

import duckdb

HELP = (
    "end a statement with ';' (it may span lines) · .tables lists the views · "
    ".quit, .exit or Ctrl-D leaves · .help shows this"
)
_SHOW_TABLES = re.compile(r"^\s*show\s+(all\s+)?tables\s*;?\s*$", re.IGNORECASE)
_TABLES_SQL = (
    "select table_schema || '.' || table_name as name from information_schema.tables "
    "where table_schema not in ('main', 'information_schema', 'pg_catalog') order by 1"
)


def render_width() -> int:
    """The terminal's width; a generous fixed width when output is piped."""
    return shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 200


def error_text(exc: Exception) -> str:
    """DuckDB's message without blank lines, every line kept (the hint is on the second)."""
    return "\n".join(line for line in str(exc).splitlines() if line.strip())


def run_statement(con: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run one statement and draw its result (raises duckdb.Error)."""
    sql = _TABLES_SQL if _SHOW_TABLES.match(statement) else statement
    rel = con.sql(sql)
    if rel is not None:  # None: a statement without a result (create, set, ...)
        rel.show(max_width=render_width())


# Statements that list or describe the catalog see every view (the others only those they name).
_CATALOG = re.compile(r"information_schema|duckdb_|\b(show|describe|summarize|pragma)\b", re.IGNORECASE)


def one_shot(reader, statement: str) -> None:
    """`nba-lake sql QUERY`: run one statement over a connection holding only the views it names
    (binding a view reads its files' footers; `select 1` needs none). A statement that lists the
    catalog gets every view, and a failing one is re-run on every view, so its error (DuckDB's
    'Did you mean ...?' included) is the one the full catalog gives."""
    only = None if (_CATALOG.search(statement) or _SHOW_TABLES.match(statement)) else reader.referenced(statement)
    try:
        run_statement(reader.connect(only=only), statement)
    except duckdb.Error:
        if only is None:
            raise
        run_statement(reader.connect(), statement)


def statements(lines: Iterable[str]) -> Iterable[str]:
    """Complete statements (ending with ';') and dot commands from input lines; blank lines skipped."""
    buf: list[str] = []
    for line in lines:
        if not buf and line.strip().startswith("."):
            yield line.strip()
            continue
        if not line.strip():
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            yield "\n".join(buf)
            buf = []
    if buf:
        yield "\n".join(buf)


def _prompted_lines(prompt: Callable[[bool], str]) -> Iterable[str]:
    pending = False
    while True:
        try:
            line = input(prompt(pending))
        except EOFError:
            print()
            return
        if not pending and line.strip().startswith("."):
            yield line
            continue
        if line.strip():
            pending = not line.rstrip().endswith(";")
        yield line


def shell(con: duckdb.DuckDBPyConnection, tables: list[str], out: Callable[[str], None] = print) -> None:
    """The read-eval-print loop on stdin (readline line editing and history when available)."""
    try:
        import readline  # noqa: F401  (line editing for input())
    except ImportError:
        pass
    out(f"tables: {', '.join(tables)}")
    out(HELP)
    lines = _prompted_lines(lambda pending: "   ...> " if pending else "lake D ")
    for stmt in statements(lines):
        if stmt in (".quit", ".exit", ".q"):
            return
        if stmt == ".tables":
            out("\n".join(tables))
        elif stmt == ".help":
            out(HELP)
        elif stmt.startswith("."):
            out(f"Error: unknown command {stmt.split()[0]!r}; {HELP}")
        else:
            try:
                run_statement(con, stmt)
            except duckdb.Error as exc:  # a bad query must not end the shell
                out(f"Error: {error_text(exc)}")
