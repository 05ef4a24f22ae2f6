"""The interactive half of `nba-lake sql`: a small DuckDB-like shell over the lake's views.

Like the `duckdb` CLI: statements end with ';' and may span lines, a blank line does nothing, `.tables`
lists the views, `.quit` / `.exit` / Ctrl-D leave, results are drawn by DuckDB's own box renderer fit to
the terminal width (wide tables lose middle columns, as in the DuckDB CLI, instead of wrapping), and an
error keeps DuckDB's whole message (its 'Did you mean "..."?' hint included). `show tables` lists the
lake's views (DuckDB's own SHOW TABLES only covers the default schema; the views live in one schema per
layer).

Read-only: a statement DuckDB's parser classifies as one that reaches files or the engine's set-up
(COPY, ATTACH, EXPORT, INSTALL/LOAD, ...) is refused with one line before it runs, and the connection
itself (LakeReader.connect) cannot write a file whatever gets past that; its refusals read the same.
Tables created in a session live in memory only. `nba-lake sql --write-db` is the one way to write,
and only its own DuckDB file.
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


class ReadOnly(duckdb.PermissionException):
    """A statement `nba-lake sql` refuses: the message is the one line an operator sees."""


_WRITE_DB = "--write-db writes a DuckDB file of the views"
# What each refused kind of statement would do, by DuckDB's own parse of it (not by keyword).
_REFUSED = {
    "COPY": "COPY reads or writes files",
    "COPY_DATABASE": "COPY FROM DATABASE writes a database",
    "ATTACH": "ATTACH opens a database file",
    "DETACH": "DETACH closes a database",
    "EXPORT": "EXPORT DATABASE writes files",
    "LOAD": "INSTALL/LOAD add extensions",
    "EXTENSION": "extension statements change the engine",
}


def refusal(sql: str) -> str | None:
    """Why `nba-lake sql` refuses `sql` (one line), or None; a statement DuckDB cannot parse is left
    to run and fail with DuckDB's own message."""
    try:
        parsed = duckdb.extract_statements(sql)
    except duckdb.Error:
        return None
    for statement in parsed:
        what = _REFUSED.get(statement.type.name)
        if what is not None:
            return f"nba-lake sql is read-only: {what}; query the views with SELECT ({_WRITE_DB})"
    return None


def engine_refusal(exc: duckdb.Error) -> str | None:
    """The same one line for what the read-only connection itself refused (a file system it does not
    serve, a write to the lake, a locked setting), or None for any other error."""
    text = str(exc)
    if "the configuration has been locked" in text:
        return f"nba-lake sql is read-only: its settings are locked ({error_text(exc).splitlines()[0]})"
    if isinstance(exc, duckdb.PermissionException) or "the lake is read-only here" in text:
        return ("nba-lake sql is read-only: it reads the lake's views and no other file, and writes none "
                f"({_WRITE_DB})")
    return None


def render_width() -> int:
    """The terminal's width; a generous fixed width when output is piped."""
    return shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 200


def error_text(exc: Exception) -> str:
    """DuckDB's message without blank lines, every line kept (the hint is on the second)."""
    return "\n".join(line for line in str(exc).splitlines() if line.strip())


def run_statement(con: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run one statement and draw its result (raises duckdb.Error; ReadOnly for a refused one)."""
    sql = _TABLES_SQL if _SHOW_TABLES.match(statement) else statement
    why = refusal(sql)
    if why is not None:
        raise ReadOnly(why)
    try:
        rel = con.sql(sql)
    except duckdb.Error as exc:
        why = engine_refusal(exc)
        if why is not None:
            raise ReadOnly(why) from exc
        raise
    if rel is not None:  # None: a statement without a result (create, set, ...)
        rel.show(max_width=render_width())


# Statements that list or describe the catalog see every view (the others only those they name).
_CATALOG = re.compile(r"information_schema|duckdb_|\b(show|describe|summarize|pragma)\b", re.IGNORECASE)


def one_shot(reader, statement: str) -> None:
    """`nba-lake sql QUERY`: run one statement over a connection holding only the views it names
    (binding a view reads its files' footers; `select 1` needs none). A statement that lists the
    catalog gets every view, and a failing one is re-run on every view, so its error (DuckDB's
    'Did you mean ...?' included) is the one the full catalog gives."""
    why = refusal(statement)
    if why is not None:
        raise ReadOnly(why)
    only = None if (_CATALOG.search(statement) or _SHOW_TABLES.match(statement)) else reader.referenced(statement)
    try:
        run_statement(reader.connect(only=only), statement)
    except duckdb.Error as exc:
        if only is None or isinstance(exc, ReadOnly):
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
            except ReadOnly as exc:
                out(f"Error: {exc}")
            except duckdb.Error as exc:  # a bad query must not end the shell
                out(f"Error: {error_text(exc)}")
