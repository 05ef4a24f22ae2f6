"""The table registry: every table of the lake declared once.

A `Table` says where it lives (layer, name), what it must look like (its pandera contract), what one row
is (grain, business key) and how it is partitioned. Everything else derives from it: the Dagster asset
key, the `layer/table` label used in logs, metadata and the CLI, the `layer.table` DuckDB view name, the
lake folder. Code elsewhere refers to `tables.GAMES`, never to the string "analytics/games".

This module sits at the bottom of the import order (next to the contracts and the partitions): the
IO manager, the lake reader, parsers, logic, checks and assets all import it, and it imports none of them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg
    import pandera.polars as pa
    import polars as pl

# Dagster, pandera and polars are imported only when a table's key, contract or frame is asked for:
# importing the registry stays free, so commands that only need names and layers (`nba-lake status`,
# `sql`, `trace`) do not pay ~1 s for pandera and pandas at start.

DAILY = "daily"  # one partition (and one Parquet file) per game date
WEEKLY = "weekly"  # one partition per Monday-start week (the model)
NONE = "none"  # not partitioned
CONTRACT_MODULES = ("nba_assets.contracts", "nba_assets.contracts_grading")  # where contract_name is looked up
# Tables whose day holds final facts: a re-run losing more than half a day's rows is a fault, not news
# (a game is a tenth of a busy day; a corrected box score moves a few rows, not half of them).
FINAL_FACTS = 0.5

# (warn, fail) hours without a write, by how a table is partitioned. A daily table gets a partition
# every day, off-days included (the game-day run writes today's, automation what follows from it), so
# 26 h allows one late morning and 30 h means a day was missed. Weekly and unpartitioned tables (the
# model, the season report) are refreshed weekly: a day's grace, then a second day.
FRESH_HOURS: dict[str, tuple[float, float]] = {DAILY: (26.0, 30.0), WEEKLY: (7 * 24 + 24.0, 7 * 24 + 48.0),
                                               NONE: (7 * 24 + 24.0, 7 * 24 + 48.0)}


@dataclass(frozen=True)
class Table:
    layer: str
    name: str
    grain: str  # what one row is, in words
    contract_name: str | None = None  # its class in nba_assets.contracts; None: not a lake table (model, plot)
    business_key: tuple[str, ...] = ()  # one row per key (within a partition)
    partitioned: str = DAILY
    partition_column: str | None = "game_date"
    monitored: bool = True  # has a freshness policy (False: an observation-only asset, nothing to keep fresh)
    group_name: str | None = None  # its group in the UI's graph; None: its layer
    # A derived table (nba_assets/derived.py): "<module>:<function>" computing its day from its inputs'
    # same day, and the inputs as (argument, "layer/table") pairs.
    derive: str | None = None
    inputs: tuple[tuple[str, str], ...] = ()
    # The shrink guard (io_managers/shrink.py): a re-write may drop at most this share of a day's rows,
    # and never all of them, unless the schedule marks the day's games postponed or cancelled. None: the
    # table shrinks legitimately (the current injury report, a pulled line) and is not guarded.
    max_drop: float | None = None

    @property
    def group(self) -> str:
        return self.group_name or self.layer

    @property
    def path(self) -> list[str]:
        return [self.layer, self.name]

    @property
    def contract(self) -> type[pa.DataFrameModel] | None:
        """The pandera contract (class `contract_name` of CONTRACT_MODULES), imported on first use."""
        if self.contract_name is None:
            return None
        for module in CONTRACT_MODULES:
            if (contract := getattr(importlib.import_module(module), self.contract_name, None)) is not None:
                return contract
        raise AttributeError(f"{self.label}: no contract {self.contract_name} in {', '.join(CONTRACT_MODULES)}")

    @property
    def fresh_hours(self) -> tuple[float, float] | None:
        """(warn, fail) hours without a write (FRESH_HOURS), None when not monitored."""
        return FRESH_HOURS[self.partitioned] if self.monitored else None

    @property
    def freshness_policy(self) -> dg.FreshnessPolicy | None:
        """The policy Dagster evaluates and shows (its FreshnessDaemon); the alerts sensor applies the
        same hours on the sources' clock (sensors/alerts.py)."""
        import datetime as dt

        import dagster as dg

        if self.fresh_hours is None:
            return None
        warn, fail = self.fresh_hours
        return dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=fail), warn_window=dt.timedelta(hours=warn))

    @property
    def key(self) -> dg.AssetKey:
        import dagster as dg

        return dg.AssetKey(self.path)

    @property
    def label(self) -> str:
        """'analytics/games': the asset key as the UI, logs and the CLI print it."""
        return f"{self.layer}/{self.name}"

    @property
    def view(self) -> str:
        """'analytics.games': the DuckDB view over the table's files."""
        return f"{self.layer}.{self.name}"

    @property
    def in_lake(self) -> bool:
        """Stored as one Parquet file per day under <data_dir>/lake/<layer>/<name>/."""
        return self.contract_name is not None

    def empty(self) -> pl.DataFrame:
        """A typed, empty frame (off-days still get a file with the right schema)."""
        if self.contract is None:
            raise ValueError(f"{self.label} has no contract, hence no frame schema")
        from nba_assets.contracts import empty_frame

        return empty_frame(self.contract)

    def __str__(self) -> str:
        return self.label


# --------------------------------------------------------------------------------------------- raw
SCHEDULE = Table("raw", "schedule", "one row per scheduled game (NBA.com schedule)",
                 "ScheduleContract", ("game_id",), max_drop=FINAL_FACTS)
BDL_GAMES = Table("raw", "bdl_games", "one row per scheduled game (Ball Don't Lie /v1/games, the second schedule)",
                  "BdlGamesContract", ("source_game_id",), max_drop=FINAL_FACTS)
BDL_BOXSCORES = Table("raw", "bdl_boxscores", "one row per player per game (Ball Don't Lie box score)",
                      "BoxscoreContract", ("source_game_id", "player_id"), max_drop=FINAL_FACTS)
NBACOM_BOXSCORES = Table("raw", "nbacom_boxscores", "one row per player per game (NBA.com box score)",
                         "BoxscoreContract", ("source_game_id", "player_id"), max_drop=FINAL_FACTS)
PROP_LINES = Table("raw", "prop_lines", "one row per prop-line snapshot: event, player, bookmaker, time",
                   "PropLineContract", ("event_id", "player_lookup", "bookmaker", "snapshot_ts"))
INJURIES = Table("raw", "injuries", "one row per player per injury report",
                 "InjuryContract", ("report_ts", "player_lookup"))
GAME_LINES = Table("raw", "game_lines", "one row per game-line snapshot: event, bookmaker, time (spread and total)",
                   "GameLineContract", ("event_id", "bookmaker", "snapshot_ts"))
INJURY_REPORT = Table("raw", "injury_report", "one row per player per official NBA injury report release",
                      "InjuryReportContract", ("report_ts", "player_lookup"))
# ------------------------------------------------------------------------------------ analytics
GAMES = Table("analytics", "games", "one row per game, every source's id reconciled",
              "GamesContract", ("game_id",), max_drop=FINAL_FACTS)
PLAYER_GAME_SUMMARY = Table("analytics", "player_game_summary", "one row per player per game (DNPs included)",
                            "PlayerGameSummaryContract", ("game_id", "player_lookup"), max_drop=FINAL_FACTS)
TEAM_GAME_SUMMARY = Table("analytics", "team_game_summary", "one row per team per game",
                          "TeamGameSummaryContract", ("game_id", "team"),
                          derive="nba_assets.logic.analytics:build_team_game_summary",
                          inputs=(("player_games", "analytics/player_game_summary"),), max_drop=FINAL_FACTS)
# ------------------------------------------------------------------------------------- features
PLAYER_FEATURES = Table("features", "player_features", "one row per player on day D's slate, inputs < D",
                        "PlayerFeaturesContract", ("game_date", "player_lookup"), max_drop=FINAL_FACTS)
# ---------------------------------------------------------------------------------- predictions
POINTS_MODEL = Table("predictions", "points_model", "one LightGBM model per Monday-start week (a file)",
                     partitioned=WEEKLY, partition_column=None)
RECOMMENDATION_HISTORY = Table(
    "predictions", "recommendation_history",
    "one row per (re)prediction: player, game, system and the time it was made (append-only)",
    "RecommendationHistoryContract", ("game_id", "player_lookup", "system_id", "created_at"),
    max_drop=FINAL_FACTS,  # append-only: a day of it shrinking is history lost
)
PLAYER_PROP_PREDICTIONS = Table(
    "predictions", "player_prop_predictions",
    "one row per player per game per prediction system: the latest recommendation_history row",
    "PredictionContract", ("game_id", "player_lookup", "system_id"),
)
# -------------------------------------------------------------------------------------- grading
PREDICTION_GRADES = Table("grading", "prediction_grades", "one row per graded prediction",
                          "PredictionGradeContract", ("game_id", "player_lookup", "system_id"), max_drop=FINAL_FACTS)
SYSTEM_DAILY_PERFORMANCE = Table("grading", "system_daily_performance", "one row per system per graded day",
                                 "SystemDailyPerformanceContract", ("game_date", "system_id"), max_drop=FINAL_FACTS)
CHAMPION = Table("grading", "champion", "one row per game day: the system backing its picks, from grades before it",
                 "ChampionContract", ("game_date",))
SEASON_REPORT = Table("grading", "season_report", "the season's plots and figures (metadata only)",
                      partitioned=NONE, partition_column=None)
# ------------------------------------------------------------------------------------- exports
# JSON documents, not lake tables (nba_assets/exports.py, docs/exports.md): one write per game day.
EXPORT_TONIGHT = Table("exports", "tonight", "one JSON document per game day: the slate, v1/slates/<day>/tonight.json",
                       partition_column=None)
EXPORT_BEST_BETS = Table("exports", "best_bets", "one JSON document per game day: v1/slates/<day>/best_bets.json",
                         partition_column=None)
EXPORT_RESULTS = Table("exports", "results", "one JSON document per game day: v1/results/<day>.json",
                       partition_column=None)
EXPORT_LEADERBOARD = Table("exports", "leaderboard", "one JSON document per game day: v1/slates/<day>/leaderboard.json",
                           partition_column=None)
EXPORT_PLAYERS = Table("exports", "players", "one JSON document per player, written by the day of their latest game",
                       partition_column=None)
# ----------------------------------------------------------------------------------- monitoring
PIPELINE_HEALTH = Table("ops", "pipeline_health", "observations of failed runs (no stored rows)",
                        partitioned=NONE, partition_column=None, monitored=False, group_name="monitoring")

# Every entry above, in declaration order (layer by layer): adding a table is adding its entry.
ALL: tuple[Table, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Table))
# The daily Parquet tables of the lake, in layer order.
LAKE: tuple[Table, ...] = tuple(t for t in ALL if t.in_lake)
# The layers of the daily pipeline, upstream first ("ops" is the health observation, not a layer of data).
LAYERS: tuple[str, ...] = tuple(dict.fromkeys(t.layer for t in ALL if t.layer != "ops"))

_BY_LABEL = {t.label: t for t in ALL}


def _text(label: str | dg.AssetKey) -> str:
    """'layer/table' for a label ('layer/table' or 'layer.table') or an asset key."""
    return label.replace(".", "/", 1) if isinstance(label, str) else label.to_user_string()


def get(label: str | dg.AssetKey | Table) -> Table:
    """The table for 'layer/table', 'layer.table', an asset key or a Table; KeyError naming the known ones."""
    if isinstance(label, Table):
        return label
    text = _text(label)
    try:
        return _BY_LABEL[text]
    except KeyError:
        raise KeyError(f"no table {text!r}; known: {', '.join(_BY_LABEL)}") from None


def lake_table(label: str | dg.AssetKey) -> Table | None:
    """The lake table for a label or key, None for anything else (a model, a report, an unknown key)."""
    t = _BY_LABEL.get(_text(label))
    return t if t is not None and t.in_lake else None


def write_docs(path: str = "docs/data.md") -> None:
    """Rewrite the registry section of docs/data.md from `markdown()`."""
    from pathlib import Path

    doc = Path(path)
    head, rest = doc.read_text(encoding="utf-8").split(REGISTRY_BEGIN, 1)
    tail = rest.split(REGISTRY_END, 1)[1]
    doc.write_text(head + REGISTRY_BEGIN + markdown() + REGISTRY_END + tail, encoding="utf-8")


REGISTRY_BEGIN, REGISTRY_END = "<!-- registry:begin -->\n", "<!-- registry:end -->"


def markdown() -> str:
    """The registry as a markdown table (docs/data.md embeds it; a test keeps the two identical)."""
    lines = [
        "| asset key | DuckDB view | grain | business key | partitioned | contract | a re-run may drop |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in ALL:
        key = ", ".join(t.business_key) or "-"
        contract = t.contract_name or "-"
        view = t.view if t.in_lake else "-"
        drop = "-" if not t.in_lake else "any rows" if t.max_drop is None else f"up to {t.max_drop:.0%} of a day"
        lines.append(f"| `{t.label}` | {view} | {t.grain} | {key} | {t.partitioned} | {contract} | {drop} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m nba_assets.tables: regenerate docs/data.md's table list
    write_docs()
