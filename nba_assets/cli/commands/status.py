"""`nba-lake status`: per table and day, rows, missing days and failing checks; then freshness."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nba_assets import tables
from nba_assets.cli.commands import common as c

# No asset definitions are built: the tables come from the registry (nba_assets/tables.py) and the
# checks, runs and materializations from the instance's records, read without importing Dagster on the
# local instance (nba_assets/dagster_internals/instance_view.py).


def export_cell(data_dir: str, name: str, day: dt.date) -> Text:
    """The size of the day's export document (docs/exports.md), "·" when absent; players are per player."""
    from nba_assets.logic.exports import paths
    from resources.settings import exports_dir

    if name == "players":
        return Text("per player", style="dim")
    root = exports_dir(data_dir)
    if not root or "://" in root:
        return Text("bucket", style="dim")
    doc = Path(root) / (paths.results(day) if name == "results" else paths.slate(name, day))
    return Text(f"{doc.stat().st_size / 1024:.1f} kB", style="green") if doc.exists() else Text("·", style="dim")


@c.app.command()
def status(
    date: Annotated[str | None, typer.Option("--date", help="last day shown (default: today on the sources' clock)")] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=62, help="days shown, ending at --date")] = 7,
) -> None:
    """Per table and day: rows (file footers), missing days, failing checks; then freshness."""
    from nba_assets.cli.check_history import CheckHistory
    from nba_assets.history import GAME_DAY_JOB, HEALTH_WINDOW, week_key
    from resources.files import data_path
    from resources.lake_reader import LAKE_DIR, LakeReader

    s = c.cli_settings()
    end = c.parse_date(date, "--date") if date else c.sources_today(s)
    lake = data_path(s.data_dir) / LAKE_DIR
    if not lake.exists() or not any(p.is_dir() for p in lake.iterdir()):
        raise c.no_lake_error(s.data_dir)
    day_list = [end - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
    view = c.instance_view()
    specs = [tb for tb in tables.ALL if tb.partitioned != tables.NONE and tb.layer in c.LAYERS]
    specs.sort(key=lambda tb: (c.LAYERS.index(tb.layer), tb.path))
    history = CheckHistory(view)
    checks_by_day = {d: history.for_day(d) for d in day_list}

    clock = f"{end} (today on the {s.source} clock)" if not date else str(end)
    t = Table(title=f"lake {s.data_dir}  ·  {days} day(s) to {clock}", expand=False, title_justify="left")
    t.add_column("layer/table", no_wrap=True)
    for d in day_list:
        t.add_column(d.strftime("%a %m-%d"), justify="right", no_wrap=True)
    totals = {"missing": 0, "failing": 0}
    layer = None
    for spec in specs:
        if layer is not None and spec.layer != layer:
            t.add_section()
        layer = spec.layer
        label = spec.label
        weekly = spec.partitioned == tables.WEEKLY
        cells = []
        for d in day_list:
            if spec.layer == "exports":  # a JSON document per day (players: per player), its size
                cell, rows = export_cell(s.data_dir, spec.name, d), None
            elif weekly:  # the model: one file per week, <data_dir>/models/<table>/<monday>.txt
                f = data_path(s.data_dir) / "models" / spec.name / f"{week_key(d)}.txt"
                cell = Text("model", style="green") if f.exists() else Text("·", style="dim")
                rows = None if f.exists() else -1
            else:
                f = lake.joinpath(*spec.path, f"{d}.parquet")
                rows = c.parquet_rows(f) if f.exists() else -1
                if rows == -1:
                    cell = Text("·", style="dim")
                elif rows is None:
                    cell = Text("unreadable", style="red")
                else:
                    cell = Text(f"{rows:,}")
            if rows == -1 and not weekly and spec.layer != "exports":
                totals["missing"] += 1
            failing = [r for r in checks_by_day[d] if r.asset == label and r.failed]
            if failing:
                totals["failing"] += len(failing)
                mark = f" ✗{len(failing)}"
                worst = "red" if any(r.severity == "ERROR" for r in failing) else "yellow"
                cell.append(mark, style=worst)
            cells.append(cell)
        t.add_row(label, *cells)
    c.console.print(t)
    c.console.print(
        "[dim]cells: rows in the day's Parquet file · [/dim]·[dim] = no file · [/dim][red]✗n[/red][dim] = n failing "
        "checks (red ERROR, yellow WARN) · details: nba-lake checks --date D --failed[/dim]"
    )

    # ---- freshness (wall clock: materializations and runs are stamped with real time)
    now = time.time()
    f = Table(title="freshness (wall clock; STALE after 26 h)", expand=False, title_justify="left")
    for col in ("what", "last success", "age", ""):
        f.add_column(col, no_wrap=True)
    raw = [tb.label for tb in specs if tb.layer == "raw"]
    for label, ts in view.last_materializations(raw).items():
        if ts is None:
            f.add_row(label + " materialized", "never", "", Text("NEVER", style="yellow"))
            continue
        age = now - ts
        flag = Text("STALE", style="bold red") if age > HEALTH_WINDOW.total_seconds() else Text("fresh", style="green")
        when = dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        f.add_row(label + " materialized", when, c.age_text(age), flag)
    end_time = view.last_success_end(GAME_DAY_JOB)
    if end_time:
        age = now - end_time
        flag = Text("STALE", style="bold red") if age > HEALTH_WINDOW.total_seconds() else Text("fresh", style="green")
        f.add_row(f"{GAME_DAY_JOB} run succeeded", dt.datetime.fromtimestamp(end_time, dt.UTC).strftime(
            "%Y-%m-%d %H:%M UTC"), c.age_text(age), flag)
    else:
        f.add_row(f"{GAME_DAY_JOB} run succeeded", "never", "",
                  Text("NEVER (the daily schedule runs it under `nba-lake ui`)", style="yellow"))
    c.console.print(f)
    c.console.print(quota_table(s.data_dir, s.quota_floor))
    from nba_assets.cli.coverage import coverage_table

    c.console.print(coverage_table(LakeReader(s.data_dir), day_list))
    c.console.print(
        f"{totals['missing']} missing table-day(s), {totals['failing']} failing check result(s) in the window"
    )
    c.console.print(_last_verify_line(s.data_dir, now))


# Sources metered by a quota; the others are flat-rate or free and report none.
METERED = ("oddsapi",)


def quota_table(data_dir: str, floor: int) -> Table:
    """Each metered source's remaining quota, as its latest response reported it (resources/quota.py)."""
    # pathlib on a local lake: status imports neither Dagster nor universal-pathlib.
    from resources.files import data_path
    from resources.quota import read_quotas

    readings = read_quotas(data_path(data_dir) / "landing", METERED)
    q = Table(title=f"quota (latest reading per source; LOW under {floor:,} credits, NBA_LAKE_QUOTA_FLOOR)",
              expand=False, title_justify="left")
    for col in ("source", "remaining", "used", "last request", "reported at", ""):
        q.add_column(col, no_wrap=True, justify="right" if col in ("remaining", "used", "last request") else "left")
    for source in METERED:
        r = readings.get(source)
        if r is None:
            q.add_row(source, "", "", "", "never", Text("no reading yet (nothing fetched)", style="dim"))
            continue
        remaining = r.get("remaining")
        low = isinstance(remaining, int) and remaining < floor
        flag = Text("LOW", style="bold red") if low else Text("ok", style="green")
        cells = [f"{r[k]:,}" if isinstance(r.get(k), int) else "?" for k in ("remaining", "used", "last")]
        q.add_row(source, *cells, str(r.get("at", "?"))[:16].replace("T", " ") + " UTC", flag)
    return q


def _last_verify_line(data_dir: str, now: float) -> str:
    """The last `nba-lake verify` (or scheduled verify_lake run) as one line, read from its record."""
    from checks.integrity import load

    report = load(data_dir)
    if report is None:
        return "[yellow]no verify recorded yet[/yellow] [dim](nba-lake verify compares the lake with its materializations)[/dim]"
    age = c.age_text(now - dt.datetime.fromisoformat(report.finished_at).timestamp())
    style = "green" if report.clean else "bold red"
    named = "" if report.clean else ": " + ", ".join(f"{f.kind} {f.file}" for f in report.findings[:3]) + (
        " ..." if len(report.findings) > 3 else "")
    return (f"last verify {age} ago ({report.by}, {report.window}): [{style}]{escape(report.summary() + named)}[/]")


