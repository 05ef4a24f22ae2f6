"""The exports' asset checks (rules in checks/exports.py), read from the written documents and the lake.

Severity: a `tonight` older than a game's latest recommendation is ERROR (people would bet on a pick the
system has changed); a document that does not match its schema is ERROR (every reader of v1 relies on
it). A lined player missing from `tonight` is WARN (coverage: the prediction checks name the reason),
and so are incomplete results the morning after (a late box score completes them when it lands).
"""

# No `from __future__ import annotations`: Dagster compares the `context` annotation by identity.
import datetime as dt
from collections.abc import Callable

import dagster as dg
import polars as pl

from checks import exports as rules
from checks.definitions import ERROR, WARN, check_result
from checks.per_day import DayRule
from checks.result import RuleResult, combine
from nba_assets import exports as assets
from nba_assets import tables as t
from nba_assets.common import by_day
from nba_assets.logic.exports import paths, players
from nba_assets.partitions import game_dates
from resources.landing import loads_json

FRESH_BEFORE_TIPOFF = "export_newer_than_recommendations"
LINED_PLAYERS_IN_TONIGHT = "lined_players_in_tonight"
DOCUMENTS_VALID = "documents_match_schema"
RESULTS_COMPLETE = "results_complete_morning_after"


class Day:
    """What a rule reads for one day: the written documents and the lake's rows of the day."""

    def __init__(self, context: dg.AssetCheckExecutionContext, day: str, shared: dict):
        self.context, self.day, self.shared = context, dt.date.fromisoformat(day), shared  # shared: the step's
        self.store, self.reader = context.resources.exports.store(), context.resources.lake.reader()

    def doc(self, relpath: str) -> dict | None:
        data = self.store.read(relpath)
        return loads_json(data) if data is not None else None

    def rows(self, table: t.Table, columns: list[str]) -> pl.DataFrame:
        """The day's rows of `table`: the step's whole range is read once (one query, not one per day and
        check evaluation) and kept in `shared`."""
        key = (table.label, tuple(columns))
        if key not in self.shared:
            first, last = self.shared["span"]
            day_col = table.partition_column
            frame = self.reader.rows(table, since=first, before=last + dt.timedelta(days=1),
                                     columns=list(dict.fromkeys([*columns, day_col])))
            self.shared[key] = (by_day(frame, day_col), frame.clear())  # split once, not filtered per day
        parts, empty = self.shared[key]
        return parts.get(self.day, empty).select(columns)


def day_check(key: dg.AssetKey, name: str, severity: dg.AssetCheckSeverity, description: str,
              rule: Callable[[Day], RuleResult]) -> dg.AssetChecksDefinition:
    """A partitioned check of export `key` evaluating `rule` on each day of the step."""

    @dg.asset_check(asset=key, name=name, partitions_def=game_dates, required_resource_keys={"lake", "exports"},
                    description=description)  # fmt: skip
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        days = list(context.partition_keys)
        # what every day of the step reads alike, read once (ISO dates: min and max are the range's ends)
        shared: dict = {"span": (dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days)))}
        one_day = lambda d: rule(Day(context, d, shared))  # noqa: E731
        return check_result(context, severity, DayRule(whole=lambda: combine(*(one_day(d) for d in days)), day=one_day))

    return _check


def _fresh(day: Day) -> RuleResult:
    history = day.rows(t.RECOMMENDATION_HISTORY, ["game_id", "created_at"])
    latest = history.group_by("game_id").agg(pl.col("created_at").max()).sort("game_id")
    return rules.fresh_before_tipoff(day.day, day.doc(paths.slate("tonight", day.day)), latest)


def _lined(day: Day) -> RuleResult:
    lines = day.rows(t.PROP_LINES, ["player_lookup", "minutes_before_tip"])
    lined = lines.filter(pl.col("minutes_before_tip") > 0)  # pre-tip snapshots only
    return rules.lined_players_in_tonight(day.day, day.doc(paths.slate("tonight", day.day)), lined)


def _results(day: Day) -> RuleResult:
    grades = day.rows(t.PREDICTION_GRADES, ["recommendation"])
    picks = grades.filter(pl.col("recommendation").is_in(["OVER", "UNDER"])).height
    return rules.results_complete(day.day, day.doc(paths.results(day.day)), picks)


def day_documents(day: Day, key: dg.AssetKey) -> list[str]:
    """The paths the export `key` writes for the day (players: those whose latest game is the day)."""
    if key == assets.RESULTS:
        return [paths.results(day.day)]
    if key == assets.PLAYERS:
        cols = ["player_lookup", "game_date"]
        summaries, preds = day.rows(t.PLAYER_GAME_SUMMARY, cols), day.rows(t.PLAYER_PROP_PREDICTIONS, cols)
        if "latest" not in day.shared:  # each player's latest game from the step's first day on, read once
            first = min(dt.date.fromisoformat(k) for k in day.context.partition_keys)
            later = pl.concat([day.reader.rows(tb, since=first, columns=cols)
                               for tb in (t.PLAYER_GAME_SUMMARY, t.PLAYER_PROP_PREDICTIONS)])  # fmt: skip
            day.shared["latest"] = players.latest_day(later)
        return [paths.player(p) for p in players.players_of_day(day.day, preds, summaries, day.shared["latest"])]
    return [paths.slate(key.path[-1], day.day)]


def _valid(key: dg.AssetKey) -> Callable[[Day], RuleResult]:
    return lambda day: rules.documents_valid(day.day, {p: day.doc(p) for p in day_documents(day, key)})


EXPORT_CHECKS = [
    day_check(assets.TONIGHT, FRESH_BEFORE_TIPOFF, ERROR,
              "Before a game's tip-off its tonight export is at least as new as its latest recommendation "
              "(each game's last_refreshed vs predictions/recommendation_history). ERROR.", _fresh),
    day_check(assets.TONIGHT, LINED_PLAYERS_IN_TONIGHT, WARN,
              "Every player with a pre-tip line on the day (raw/prop_lines) is in tonight. WARN; metadata: lined "
              "players, in tonight, coverage.", _lined),
    day_check(assets.RESULTS, RESULTS_COMPLETE, WARN,
              "The morning after, results/<day> has every game graded and lists every graded pick (a side on a "
              "line). WARN: a late box score completes it when it lands.", _results),
    *(day_check(key, DOCUMENTS_VALID, ERROR,
                "Every document the day wrote exists and validates against its JSON Schema "
                "(checks/export_schemas/*.schema.json). ERROR; metadata: the path and the first errors.", _valid(key))
      for key in assets.EXPORT_KEYS),
]  # fmt: skip
