"""Publishing layer: versioned JSON documents for the people the predictions are for (docs/exports.md).

Each asset is a day-partitioned writer in the `exports` group: it reads its day (and the history it
needs) from the lake, calls a pure builder (nba_assets/logic/exports/) and writes the document whole
through the exports resource. Nothing is stored in the lake; a materialization records each document's
path, size and sha256. Re-running a day writes the same bytes (every time in a document is from the data).
"""


import datetime as dt
from collections.abc import Callable

import dagster as dg
import polars as pl

from nba_assets import tables as t
from nba_assets.automation import GRADED_DAYS, RERUN
from nba_assets.common import OWNERS, SINGLE_RUN, by_day, partition_dates
from nba_assets.logic.exports import encode, paths, players, record, selection, slate
from nba_assets.logic.exports import fields as f
from nba_assets.partitions import game_dates
from resources.exports import ExportsResource
from resources.lake import LakeReader, LakeResource

GROUP = "exports"
CODE_VERSION = "exports_v1"
TONIGHT, BEST_BETS, RESULTS, PLAYERS, LEADERBOARD = (
    x.key for x in (t.EXPORT_TONIGHT, t.EXPORT_BEST_BETS, t.EXPORT_RESULTS, t.EXPORT_PLAYERS, t.EXPORT_LEADERBOARD)
)
EXPORT_KEYS = (TONIGHT, BEST_BETS, RESULTS, PLAYERS, LEADERBOARD)
# The day before: a slate's leaderboard and best-bets record count the graded days before it.
DAY_BEFORE = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


def _export_asset(key: dg.AssetKey, description: str, deps: list, automation: dg.AutomationCondition):
    return dg.asset(
        key=key, group_name=GROUP, description=description, partitions_def=game_dates, backfill_policy=SINGLE_RUN,
        deps=deps, owners=OWNERS, kinds={"polars", "json"}, code_version=CODE_VERSION,
        automation_condition=automation, freshness_policy=t.get(key).freshness_policy,
    )  # fmt: skip


def _write(context: dg.AssetExecutionContext, exports: ExportsResource, day: dt.date,
           documents: dict[str, dict]) -> int:
    """Write `documents` ({relpath: document}); record the day's paths, sizes and hashes. Returns bytes."""
    store, written = exports.store(), []
    for relpath, document in documents.items():
        written.append(store.write(relpath, encode.encode(document)))
    total = sum(w.bytes for w in written)
    meta: dict = {"documents": len(written), "bytes": total}
    if len(written) <= 3:
        meta.update({w.path.rsplit("/", 1)[-1]: f"{w.path} ({w.bytes} B, sha256 {w.sha256[:16]})" for w in written})
    context.add_asset_metadata(meta, partition_key=day.isoformat())
    return total


def day_rows(reader: LakeReader, table: t.Table, days: list[dt.date]) -> Callable[[dt.date], pl.DataFrame]:
    """The range's rows of `table`, read once (one query, not one per day): a function giving a day's."""
    frame = reader.rows(table, since=min(days), before=max(days) + dt.timedelta(days=1))
    parts = by_day(frame)
    return lambda day: parts.get(day, frame.clear())


def slate_documents(name: str, day: dt.date, newest: dt.date | None, doc: dict) -> dict[str, dict]:
    """A slate document's paths: the day's copy, and the top-level one when `day` is the newest slate."""
    return {paths.slate(name, day): doc, **({paths.latest(name): doc} if day == newest else {})}


def latest_slate(reader: LakeReader) -> dt.date | None:
    """The newest day with predictions: its slate documents are also the top-level ones."""
    days = reader.days(t.PLAYER_PROP_PREDICTIONS)
    return max(days) if days else None


def champions(reader: LakeReader) -> pl.DataFrame | None:
    """grading/champion's rows (fields.champion_of reads them), None before it has any."""
    return reader.rows(t.CHAMPION, columns=["game_date", f.CHAMPION_SYSTEM]) if reader.has(t.CHAMPION) else None


class History:
    """The season's graded predictions a range of slate days needs, read once."""

    def __init__(self, reader: LakeReader, days: list[dt.date]):
        self.grades = reader.rows(t.PREDICTION_GRADES, since=record.season_start(min(days)), before=max(days))
        self.champions = champions(reader)
        self.graded = f.graded(self.grades)  # once: every day of a range filters it
        self.by_day = record.GradedByDay(self.graded)  # every day's season before it is a slice of this
        self.graded_days = sorted(self.graded["game_date"].unique().to_list())
        # every day's champion by one as-of join, not one per day and document (each day's is independent)
        self._looked_up = {*days, *self.graded_days}
        self._champion_of = f.champions_by_day(self.champions, sorted(self._looked_up))
        self._graded, self._champion_rows = set(self.graded_days), None

    def champion(self, day: dt.date) -> str | None:
        if day in self._looked_up:
            return self._champion_of.get(day)
        return f.champion_of(self.champions, day)

    def champion_picks(self, day: dt.date) -> pl.DataFrame:
        """Graded picks of each season day before `day`, of that day's champion (the best bets' pool):
        a slice of every graded day's champion rows, joined once (a graded day's champion does not
        depend on the slate day asking)."""
        if self._champion_rows is None:
            by_day = {d: c for d, c in self._champion_of.items() if d in self._graded}
            wanted = pl.DataFrame({"game_date": list(by_day), "system_id": list(by_day.values())},
                                  schema={"game_date": pl.Date, "system_id": pl.Utf8})  # fmt: skip
            self._champion_rows = self.by_day.rows.join(wanted, on=["game_date", "system_id"], how="semi",
                                                        maintain_order="left")  # fmt: skip
        return self.by_day.between(self._champion_rows, record.season_start(day), day)

    def champions_before(self, day: dt.date, since: dt.date | None = None) -> dict[dt.date, str]:
        """{graded day before `day` (and from `since`): its champion}."""
        return {d: self._champion_of[d] for d in self.graded_days
                if d < day and (since is None or d >= since) and d in self._champion_of}  # fmt: skip


@_export_asset(
    TONIGHT,
    "The slate of day D as its last refresh left it: v1/slates/<D>/tonight.json (and v1/tonight.json for the "
    "newest slate). Each game with tip-off, each lined player with the line, every system's prediction, the "
    "champion's side and the injury status. One document per day.",
    [t.PLAYER_PROP_PREDICTIONS.key, t.GAMES.key, t.CHAMPION.key], RERUN,
)
def tonight(context: dg.AssetExecutionContext, lake: LakeResource, exports: ExportsResource) -> dg.MaterializeResult:
    reader, days = lake.reader(), partition_dates(context)
    history, newest, total = History(reader, days), latest_slate(reader), 0
    preds, games = day_rows(reader, t.PLAYER_PROP_PREDICTIONS, days), day_rows(reader, t.GAMES, days)
    for day in days:
        doc = slate.tonight(day, preds(day), games(day), history.champion(day))
        total += _write(context, exports, day, slate_documents("tonight", day, newest, doc))
    return dg.MaterializeResult(metadata={"bytes": total})


@_export_asset(
    BEST_BETS,
    "The picks the selection rule keeps on day D (docs/exports.md, 'Best bets') and the rule's graded record "
    "over the season before D: v1/slates/<D>/best_bets.json (and v1/best_bets.json for the newest slate).",
    [t.PLAYER_PROP_PREDICTIONS.key, t.CHAMPION.key,
     dg.AssetDep(t.PREDICTION_GRADES.key, partition_mapping=DAY_BEFORE)], RERUN,
)
def best_bets(context: dg.AssetExecutionContext, lake: LakeResource, exports: ExportsResource) -> dg.MaterializeResult:
    reader, days = lake.reader(), partition_dates(context)
    history, newest, total = History(reader, days), latest_slate(reader), 0
    preds = day_rows(reader, t.PLAYER_PROP_PREDICTIONS, days)
    for day in days:
        doc = slate.best_bets(day, preds(day), history.champion(day), history.champion_picks(day))
        total += _write(context, exports, day, slate_documents("best_bets", day, newest, doc))
    return dg.MaterializeResult(metadata={"bytes": total})


@_export_asset(
    RESULTS,
    "Day D's picks graded: result, closing line, CLV, profit at the price taken and at -110, which were the "
    "champion's and the best bets: v1/results/<D>.json. One document per day.",
    [t.PREDICTION_GRADES.key, t.GAMES.key, t.CHAMPION.key], GRADED_DAYS,
)
def results(context: dg.AssetExecutionContext, lake: LakeResource, exports: ExportsResource) -> dg.MaterializeResult:
    reader, days = lake.reader(), partition_dates(context)
    history, total = History(reader, days), 0
    day_grades, day_games = day_rows(reader, t.PREDICTION_GRADES, days), day_rows(reader, t.GAMES, days)
    for day in days:
        grades, games = day_grades(day), day_games(day)
        champion = history.champion(day)
        chosen = selection.best_bets(f.graded(grades).filter(pl.col("system_id").eq_missing(champion)))
        ids = {f.pick_id(r["game_id"], r["player_lookup"], r["system_id"]) for r in chosen.iter_rows(named=True)}
        total += _write(context, exports, day, {paths.results(day): record.results(day, grades, games, champion, ids)})
    return dg.MaterializeResult(metadata={"bytes": total})


@_export_asset(
    LEADERBOARD,
    "Per system over the last 7 and 30 days and the season before day D: hit rate, MAE, ROI at the price taken "
    "and at -110, Brier, CLV; the champion and its running record: v1/slates/<D>/leaderboard.json (and "
    "v1/leaderboard.json for the newest slate).",
    [dg.AssetDep(t.PREDICTION_GRADES.key, partition_mapping=DAY_BEFORE), t.PLAYER_PROP_PREDICTIONS.key,
     t.CHAMPION.key], RERUN,
)
def leaderboard(context: dg.AssetExecutionContext, lake: LakeResource, exports: ExportsResource) -> dg.MaterializeResult:
    reader, days = lake.reader(), partition_dates(context)
    history, newest, total = History(reader, days), latest_slate(reader), 0
    for day in days:
        champion = history.champion(day)
        by_day = history.champions_before(day)
        doc = record.leaderboard(day, history.by_day, champion, by_day,
                                 selection.best_bets(history.champion_picks(day)))  # fmt: skip
        total += _write(context, exports, day, slate_documents("leaderboard", day, newest, doc))
    return dg.MaterializeResult(metadata={"bytes": total})


@_export_asset(
    PLAYERS,
    "One document per player whose latest game is day D: last games, line history, each system's prediction "
    "against the result: v1/players/<player_lookup>.json, rewritten by the partition of the player's latest game.",
    [t.PLAYER_GAME_SUMMARY.key, t.PLAYER_PROP_PREDICTIONS.key, t.PREDICTION_GRADES.key], RERUN,
)
def player_pages(context: dg.AssetExecutionContext, lake: LakeResource, exports: ExportsResource) -> dg.MaterializeResult:
    reader, days = lake.reader(), partition_dates(context)
    lo, hi = record.season_start(min(days)), max(days) + dt.timedelta(days=1)
    summaries = reader.rows(t.PLAYER_GAME_SUMMARY, since=lo, before=hi)
    preds = reader.rows(t.PLAYER_PROP_PREDICTIONS, since=lo, before=hi)
    grades = reader.rows(t.PREDICTION_GRADES, since=lo, before=hi)
    # The latest game of each player in the whole lake, not only this range: a later partition owns it.
    latest = players.latest_day(pl.concat([
        reader.rows(t.PLAYER_GAME_SUMMARY, since=min(days), columns=["player_lookup", "game_date"]),
        reader.rows(t.PLAYER_PROP_PREDICTIONS, since=min(days), columns=["player_lookup", "game_date"]),
    ]))  # fmt: skip
    # Split once, by day and by player: a range writes each player's document, and filtering the
    # season's frames per document made the step grow with documents x season rows.
    day_preds, day_summaries = by_day(preds), by_day(summaries)
    mine = [by_day(frame, "player_lookup") for frame in (summaries, f.priced(preds), f.graded(grades))]
    empty = [frame.clear() for frame in (summaries, f.priced(preds), f.graded(grades))]

    def of(p: str) -> list[pl.DataFrame]:
        return [parts.get(p, none) for parts, none in zip(mine, empty, strict=True)]

    total = 0
    for day in days:
        on_day = players.players_of_day(day, day_preds.get(day, preds.clear()),
                                        day_summaries.get(day, summaries.clear()), latest)
        total += _write(context, exports, day, {paths.player(p): players.player(p, day, *of(p)) for p in on_day})
    return dg.MaterializeResult(metadata={"bytes": total})


EXPORT_ASSETS = [tonight, best_bets, results, leaderboard, player_pages]
