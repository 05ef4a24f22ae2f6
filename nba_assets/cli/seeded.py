"""Which failed check results of a backfill are the simulated league's seeded faults.

The simulated league injects faults on purpose, deterministically from its seed
(`resources/sim/faults.py`): a malformed or duplicated boxscore row, a game without prop lines, a
boxscore released days late, a stat correction, an odds snapshot taken in-game. The checks exist to
catch them, so on the sim a backfill's summary shows failed checks by design. This module puts each
failed check-day beside the seeded faults of its game date, so the summary can say which failures are
those faults and which are something else (early-season feature quality, a real bug), and where to
read each day's (`nba-lake checks --failed --date D`, the asset's Checks tab in the UI).

A failure is a seeded fault's when a fault on its game date is of a kind that check flags
(`FLAGGED_BY`): the checks flag a fault's bad records on the day the fault is on. The transient kinds
(429, 5xx, a failing page) are retried by the clients and in-game odds snapshots are ignored by every
consumer, so they leave nothing to flag; and a check that fails for another reason on a fault's day
(early-season feature quality, say) is not the fault's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence

import polars as pl

from checks import definitions as C
from checks.coverage_checks import FINAL_PREDICTIONS_GRADED
from nba_assets.raw import REJECTS_CHECK, SOURCE_DUPLICATES_CHECK
from resources.sim import faults as F

# Seeded fault kind -> the checks its records fail on the fault's game date.
FLAGGED_BY = {
    # An NBA.com one also garbles a line of the day's official injury reports (resources/sim/routes_injury.py):
    # its player is then on Ball Don't Lie's report only.
    F.MALFORMED_RECORD: (REJECTS_CHECK, C.SOURCES_AGREE, C.TEAM_POINTS_MATCH_FINAL, C.TEAM_ROWS_MATCH_PLAYERS,
                         C.INJURY_REPORTS_AGREE),
    F.DUPLICATE_ROW: (SOURCE_DUPLICATES_CHECK, C.DUPLICATES),
    F.ZERO_PROP_GAME: (C.PROP_AVAILABILITY,),
    F.STAT_CORRECTION: (C.SOURCES_AGREE, C.TEAM_POINTS_MATCH_FINAL),
    # not yet released when the day ran (the sim clock before the release)
    F.LATE_BOXSCORE: (C.FINALS_HAVE_BOXSCORES, C.FINALS_IN_EVERY_SOURCE, C.SOURCES_AGREE, C.ROW_COUNT,
                      C.TEAM_ROWS_MATCH_PLAYERS, C.TEAM_POINTS_MATCH_FINAL, FINAL_PREDICTIONS_GRADED),
}
_FLAGS = pl.DataFrame([(k, c) for k, checks in FLAGGED_BY.items() for c in checks], schema=["kind", "check"],
                      orient="row")
FAILED_SCHEMA = {"asset": pl.Utf8, "check": pl.Utf8, "partition": pl.Utf8}
MAX_DAYS_SHOWN = 8


def game_day(partition: str | None) -> dt.date | None:
    """The game date of a daily partition key; None for a week's or an unpartitioned result."""
    try:
        return dt.date.fromisoformat(partition) if partition and len(partition) == 10 else None
    except ValueError:
        return None


def attribute(
    failed: Iterable[tuple[str, str, str | None]], faults: pl.DataFrame, weekly: Collection[str] = ()
) -> pl.DataFrame:
    """One row per failed check result (asset, check, partition) with `game_date` and `seeded`: the
    kinds of the seeded faults on that game date that this check flags, sorted and comma-joined (null
    when there is none). A `weekly` asset's partition is a week (its Monday), not a game date."""
    rows = pl.DataFrame(list(failed), schema=FAILED_SCHEMA, orient="row")
    days = [None if a in weekly else game_day(p) for a, p in zip(rows["asset"], rows["partition"], strict=True)]
    rows = rows.with_columns(game_date=pl.Series(days, dtype=pl.Date))
    kinds = (
        faults.select("kind", "game_date").unique().join(_FLAGS, on="kind")
        .group_by("game_date", "check")
        .agg(seeded=pl.col("kind").sort().str.join(", "))
    )
    return rows.join(kinds, on=["game_date", "check"], how="left").sort("game_date", "asset", "check",
                                                                         nulls_last=True)


def summary_lines(attributed: pl.DataFrame, sim: bool) -> list[str]:
    """What the terminal says under a backfill's tables about its failed check results (rich markup)."""
    n = attributed.height
    if n == 0:
        return []
    seeded = attributed.filter(pl.col("seeded").is_not_null())
    other = attributed.filter(pl.col("seeded").is_null())
    lines = [f"[bold]{n} failed check result(s)[/bold] (one per check and day):"]
    if sim and seeded.height:
        days = seeded.group_by("game_date", maintain_order=True).agg(
            kinds=pl.col("seeded").str.split(", ").list.explode(keep_nulls=False, empty_as_null=False).unique().sort().str.join(", "),
            checks=(pl.col("asset") + " " + pl.col("check")).unique(maintain_order=True))
        lines.append(
            f"  {seeded.height} on {days.height} day(s) where the simulated league seeded a fault on purpose "
            "(resources/sim/faults.py; NBA_LAKE_SIM_FAULTS=none gives a clean league); the checks caught them:"
        )
        for d, kinds, checks in days.head(MAX_DAYS_SHOWN).iter_rows():
            lines.append(f"    {d}  {kinds}: {', '.join(checks)}")
        if days.height > MAX_DAYS_SHOWN:
            lines.append(f"    ... {days.height - MAX_DAYS_SHOWN} more day(s)")
    if other.height:
        what = "not from a seeded fault" if sim else "to look at"
        groups = other.group_by("asset", "check", maintain_order=True).agg(
            n=pl.len(), first=pl.col("partition").min(), last=pl.col("partition").max())
        lines.append(f"  {other.height} {what}:")
        for asset, check, k, first, last in groups.iter_rows():
            span = "" if first is None else (f" ({first})" if first == last else f" ({first}..{last})")
            lines.append(f"    {asset} {check} x{k}{span}")
    example = (other if other.height else seeded).filter(pl.col("game_date").is_not_null())
    day = example["game_date"][0] if example.height else None  # a day to start reading at
    where = f"nba-lake checks --failed --date {day}" if day else "nba-lake checks --failed --date YYYY-MM-DD"
    lines.append(f"  read a day's: [bold]{where}[/bold], or in the UI the asset's Checks tab (pick the partition)")
    return lines


def seeded_faults(seed: int, profile: str, days: Sequence[dt.date]) -> pl.DataFrame:
    """The seeded faults of the seasons the sim league generates for `days` (empty frame: none)."""
    from resources.sim.schedule import calendar_for
    from resources.sources import sim_league

    league = sim_league(seed, profile)
    frames = [league.faults(s) for s in league.config.seasons
              if any(calendar_for(s).opening <= d <= calendar_for(s).last_day for d in days)]
    return pl.concat(frames) if frames else pl.DataFrame(schema=F.FAULT_SCHEMA)
