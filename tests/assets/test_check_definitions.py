"""The asset checks through Dagster, on stand-in assets with the real keys and partitions.

The stand-ins return hand-made frames of a clean game day (two games, both sources, a full prop
market), stored by a small in-memory IO manager that behaves like the lake's (one frame per day,
a window loads as one frame, a missing day raises unless the input allows missing partitions).
"""

import datetime as dt
from collections.abc import Callable

import dagster as dg
import duckdb
import polars as pl
import pytest

from checks import definitions as cd
from nba_assets import tables
from nba_assets.partitions import game_dates

DAY = "2026-01-09"
D = dt.date.fromisoformat(DAY)
SINGLE_RUN = dg.BackfillPolicy.single_run()

GAMES = [  # (nbacom id, bdl id, odds event, home, away)
    ("0022500601", "9001", "ev1", "BOS", "NYK"),
    ("0022500602", "9002", "ev2", "MIA", "ORL"),
]
PLAYERS_PER_TEAM = 6
SYSTEMS = ["lgbm_points_v1", "moving_avg_l10"]


def _players(d: dt.date):
    """(game, team, player_lookup, points, minutes) for every player of the day."""
    out = []
    for g in GAMES:
        for team in (g[3], g[4]):
            for i in range(PLAYERS_PER_TEAM):
                out.append((g, team, f"{team.lower()}player{i}", 5 + 3 * i, 12.0 + 4 * i))
    return out


def clean_day(d: dt.date) -> dict[str, pl.DataFrame]:
    """Every table of one clean game day (only the columns the checks read, plus keys)."""
    ps = _players(d)
    tip = dt.datetime.combine(d, dt.time(0, 30), tzinfo=dt.UTC) + dt.timedelta(days=1)

    def box(source: str) -> pl.DataFrame:
        return pl.DataFrame({
            "game_date": [d] * len(ps),
            "source_game_id": [g[0] if source == "nbacom" else g[1] for g, *_ in ps],
            "home_team": [g[3] for g, *_ in ps], "away_team": [g[4] for g, *_ in ps],
            "team": [t for _, t, *_ in ps], "player_id": list(range(len(ps))),
            "player_lookup": [p for _, _, p, *_ in ps],
            "points": [pts for *_, pts, _ in ps], "minutes": [m for *_, m in ps],
        })  # fmt: skip

    games = pl.DataFrame({
        "game_date": [d] * len(GAMES), "game_id": [g[0] for g in GAMES],
        "home_team": [g[3] for g in GAMES], "away_team": [g[4] for g in GAMES],
    })  # fmt: skip
    schedule = games.with_columns(
        pl.lit(3).cast(pl.Int64).alias("status"), pl.lit(tip).dt.cast_time_unit("us").alias("tipoff_utc")
    )
    props = pl.DataFrame([
        {"game_date": d, "event_id": g[2], "home_team": g[3], "away_team": g[4], "player_lookup": p,
         "player_name": p, "bookmaker": b, "line": 10.5, "minutes_before_tip": 90.0,
         "snapshot_ts": tip - dt.timedelta(minutes=90)}
        for g, _, p, *_ in ps for b in ("fanduel", "draftkings")
    ])  # fmt: skip
    summary = pl.DataFrame({
        "game_date": [d] * len(ps), "game_id": [g[0] for g, *_ in ps], "team": [t for _, t, *_ in ps],
        "player_lookup": [p for _, _, p, *_ in ps], "source_used": ["nbacom"] * len(ps),
        "points": [pts for *_, pts, _ in ps], "alt_points": [pts for *_, pts, _ in ps],
        "minutes": [m for *_, m in ps], "alt_minutes": [m for *_, m in ps],
        "source_disagreement": [False] * len(ps),
    })  # fmt: skip
    team_games = summary.group_by("game_date", "game_id", "team").agg(pl.col("points").sum().alias("points_for"))
    opponents = pl.DataFrame({"game_id": [g[0] for g in GAMES for _ in (0, 1)],
                              "team": [x for g in GAMES for x in (g[3], g[4])],
                              "opponent": [x for g in GAMES for x in (g[4], g[3])]})  # fmt: skip
    team_games = team_games.join(opponents, on=["game_id", "team"]).sort("game_id", "team")
    team_games = team_games.join(
        team_games.select("game_id", pl.col("team").alias("opponent"), pl.col("points_for").alias("points_against")),
        on=["game_id", "opponent"],
    )
    points = dict(zip(zip(team_games["game_id"], team_games["team"], strict=True), team_games["points_for"],
                      strict=True))  # fmt: skip
    games = games.with_columns(
        pl.lit(3).cast(pl.Int64).alias("status"),
        pl.Series("home_score", [points[(g[0], g[3])] for g in GAMES]),
        pl.Series("away_score", [points[(g[0], g[4])] for g in GAMES]),
    )
    features = summary.select(
        "game_date", "game_id", "player_lookup", "team",
        pl.lit(80.0).alias("feature_quality_score"),
        pl.col("points").cast(pl.Float64).alias("pts_l10"), pl.col("minutes").alias("min_l10"),
    )  # fmt: skip
    preds = pl.concat([
        features.select("game_date", "game_id", "player_lookup", "feature_quality_score",
                        pl.lit(s).alias("system_id"), (pl.col("pts_l10") + k).alias("predicted_points"))
        for k, s in enumerate(SYSTEMS)
    ])  # fmt: skip
    grades = preds.select("game_date", "game_id", "player_lookup", "system_id").with_columns(
        pl.when(pl.col("player_lookup").str.ends_with("1")).then(pl.lit("LOSS")).otherwise(pl.lit("WIN")).alias("outcome")
    )
    return {
        tables.SCHEDULE.label: schedule, tables.BDL_BOXSCORES.label: box("bdl"), tables.NBACOM_BOXSCORES.label: box("nbacom"),
        tables.PROP_LINES.label: props,
        tables.INJURIES.label: pl.DataFrame({"game_date": [d], "report_ts": [tip - dt.timedelta(hours=5)],
                                      "player_lookup": ["bosplayer5"]}),
        tables.GAMES.label: games, tables.PLAYER_GAME_SUMMARY.label: summary,
        tables.TEAM_GAME_SUMMARY.label: team_games, tables.PLAYER_FEATURES.label: features,
        tables.RECOMMENDATION_HISTORY.label: preds.with_columns(created_at=pl.lit(tip - dt.timedelta(hours=1))),
        tables.PLAYER_PROP_PREDICTIONS.label: preds,
        tables.PREDICTION_GRADES.label: grades,
        tables.SYSTEM_DAILY_PERFORMANCE.label: grades.group_by("game_date", "system_id").agg(
            n_predictions=pl.len(), n_graded=pl.len(), wins=(pl.col("outcome") == "WIN").sum(),
            losses=(pl.col("outcome") == "LOSS").sum(), pushes=pl.lit(0),
        ),
        tables.CHAMPION.label: pl.DataFrame({"game_date": [d], "champion": [SYSTEMS[0]]}),
    }  # fmt: skip


# ------------------------------------------------------------------------------ test lake
class MemoryLake:
    """The lake in a dict: (table, game_date) -> frame; DuckDB views over it like LakeReader's."""

    def __init__(self):
        self.files: dict[tuple[str, str], pl.DataFrame] = {}

    def frames(self, table: str) -> list[pl.DataFrame]:
        return [f for (t, _), f in sorted(self.files.items()) if t == table]

    def tables(self) -> list[str]:
        return sorted({t.replace("/", ".") for t, _ in self.files})

    def query(self, sql: str) -> pl.DataFrame:
        con = duckdb.connect()
        for view in self.tables():
            layer, name = view.split(".")
            con.execute(f"create schema if not exists {layer}")
            con.register(f"_{layer}_{name}", pl.concat(self.frames(f"{layer}/{name}"), how="diagonal_relaxed"))
            con.execute(f"create view {view} as select * from _{layer}_{name}")
        return con.sql(sql).pl()

    def has(self, table) -> bool:
        return table.view in self.tables()

    def rows(self, table, *, since=None, before=None, window_files=False, columns=None) -> pl.DataFrame:
        """LakeReader.rows over the dict (window_files reads the same rows here)."""
        frames = self.frames("/".join(table.path))
        out = pl.concat(frames, how="diagonal_relaxed") if frames else table.empty()
        col = pl.col(table.partition_column)
        if since:
            out = out.filter(col >= since)
        if before:
            out = out.filter(col < before)
        return out.select(columns) if columns is not None else out

    def reader(self) -> "MemoryLake":
        return self


class MemoryIOManager(dg.IOManager):
    def __init__(self, lake: MemoryLake):
        self.lake = lake

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        table = "/".join(context.asset_key.path)
        for key in context.asset_partition_keys:
            self.lake.files[(table, key)] = obj.filter(pl.col("game_date") == dt.date.fromisoformat(key))

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        table = "/".join(context.asset_key.path)
        allow_missing = (context.definition_metadata or {}).get("allow_missing_partitions", False)
        frames = []
        for key in context.asset_partition_keys:
            if (table, key) not in self.lake.files:
                if not allow_missing:
                    raise FileNotFoundError(f"{table}/{key}.parquet")
                continue
            frames.append(self.lake.files[(table, key)])
        # Like the real lake IO manager: a day with no file is the table's typed empty frame.
        return pl.concat(frames, how="diagonal_relaxed") if frames else tables.get(table).empty()


Fault = Callable[[pl.DataFrame, dt.date], pl.DataFrame]


def standin_assets(faults: dict[str, Fault] | None = None) -> list[dg.AssetsDefinition]:
    """One stand-in per table, wired like the real graph (raw -> analytics -> features -> ...)."""
    faults = faults or {}
    deps = {
        tables.GAMES.label: [tables.SCHEDULE.label, tables.BDL_BOXSCORES.label, tables.NBACOM_BOXSCORES.label],
        tables.PLAYER_GAME_SUMMARY.label: [tables.GAMES.label],
        tables.TEAM_GAME_SUMMARY.label: [tables.PLAYER_GAME_SUMMARY.label],
        tables.PLAYER_FEATURES.label: [tables.TEAM_GAME_SUMMARY.label, tables.PROP_LINES.label, tables.INJURIES.label],
        tables.RECOMMENDATION_HISTORY.label: [tables.PLAYER_FEATURES.label],
        tables.PLAYER_PROP_PREDICTIONS.label: [tables.RECOMMENDATION_HISTORY.label],
        tables.PREDICTION_GRADES.label: [tables.PLAYER_PROP_PREDICTIONS.label],
        tables.SYSTEM_DAILY_PERFORMANCE.label: [tables.PREDICTION_GRADES.label],
        tables.CHAMPION.label: [tables.SYSTEM_DAILY_PERFORMANCE.label],
    }

    def make(table: str) -> dg.AssetsDefinition:
        @dg.asset(key=tables.get(table).key, partitions_def=game_dates, backfill_policy=SINGLE_RUN,
                  deps=[tables.get(t).key for t in deps.get(table, [])])  # fmt: skip
        def _standin(context: dg.AssetExecutionContext) -> pl.DataFrame:
            out = []
            for key in context.partition_keys:
                d = dt.date.fromisoformat(key)
                frame = clean_day(d)[table]
                out.append(faults[table](frame, d) if table in faults else frame)
            return pl.concat(out, how="diagonal_relaxed")

        return _standin

    return [make(t) for t in clean_day(D)]


def run(lake: MemoryLake, faults=None, *, partition_key=DAY, tags=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*standin_assets(faults), *cd.build_asset_checks()],
        partition_key=partition_key,
        tags=tags,
        resources={"io_manager": MemoryIOManager(lake), "lake": lake},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def duplicate_first_row(frame: pl.DataFrame, d: dt.date) -> pl.DataFrame:
    return pl.concat([frame, frame.head(1)])


# ------------------------------------------------------------------------------------ tests
@pytest.fixture(scope="module")
def clean_run():
    lake = MemoryLake()
    return run(lake), lake


def test_clean_day_passes_every_check_per_partition(clean_run):
    result, _ = clean_run
    assert result.success
    evs = evaluations(result)
    expected = {(k.asset_key.to_user_string(), k.name) for c in cd.build_asset_checks() for k in c.check_keys}
    assert set(evs) == expected and len(expected) == 38
    failed = {k: e.metadata["summary"].value for k, e in evs.items() if not e.passed}
    assert failed == {}
    assert {e.partition for e in evs.values()} == {DAY}


def test_clean_day_metadata_is_actionable(clean_run):
    evs = evaluations(clean_run[0])
    avail = evs[(tables.PROP_LINES.label, cd.PROP_AVAILABILITY)].metadata
    assert avail["slate_games"].value == 2 and avail["n_offending"].value == 0
    agree = evs[(tables.PLAYER_GAME_SUMMARY.label, cd.SOURCES_AGREE)].metadata
    assert agree["rows_with_both_sources"].value == 24 and agree["fallback_rows"].value == 0
    # no trailing days in the lake yet: the anomaly check says so instead of guessing
    assert evs[(tables.BDL_BOXSCORES.label, cd.ROW_COUNT)].metadata["dates_without_history"].value == DAY


def test_blocking_duplicate_stops_downstream_steps():
    lake = MemoryLake()
    result = run(lake, {tables.BDL_BOXSCORES.label: duplicate_first_row})
    assert not result.success
    ev = evaluations(result)[(tables.BDL_BOXSCORES.label, cd.DUPLICATES)]
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR and ev.partition == DAY
    assert ev.metadata["n_offending"].value == 1
    assert "| game_date | source_game_id | player_id | n_rows |" in ev.metadata["offending_sample"].value
    # the failing data is written (docs/architecture.md B4), but nothing downstream ran in this run
    assert (tables.BDL_BOXSCORES.label, DAY) in lake.files
    assert (tables.GAMES.label, DAY) not in lake.files
    materialized = {e.asset_key.path[0] for e in result.get_asset_materialization_events()}
    assert materialized == {"raw"}
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert "analytics__games" not in started and "raw__bdl_boxscores_no_duplicate_keys" in started


def _ghost(frame: pl.DataFrame, d: dt.date) -> pl.DataFrame:
    return pl.concat([frame, frame.head(1).with_columns(pl.lit("ghostplayer").alias("player_lookup"))])


def _truncate_game_9002(frame: pl.DataFrame, d: dt.date) -> pl.DataFrame:
    return frame.filter((pl.col("source_game_id") != "9002") | (pl.col("player_id") < 15))  # 3 of 12 rows


@pytest.fixture(scope="module")
def faulty_run():
    """One day with several NON-blocking faults at once (one run keeps the suite fast)."""
    lake = MemoryLake()
    for i in range(1, 8):  # a week of normal history already in the lake, for the anomaly baseline
        d = D - dt.timedelta(days=i)
        lake.files[(tables.BDL_BOXSCORES.label, str(d))] = clean_day(d)[tables.BDL_BOXSCORES.label]
    faults = {
        tables.PLAYER_PROP_PREDICTIONS.label: duplicate_first_row,
        tables.PROP_LINES.label: lambda f, d: f.filter(pl.col("event_id") != "ev2"),
        tables.PLAYER_GAME_SUMMARY.label: _ghost,
        tables.BDL_BOXSCORES.label: _truncate_game_9002,
    }
    return run(lake, faults), lake


def test_non_blocking_failures_let_downstream_run(faulty_run):
    result, lake = faulty_run
    assert result.success  # only WARN and non-blocking ERROR failures
    assert (tables.SYSTEM_DAILY_PERFORMANCE.label, DAY) in lake.files
    failed = {k for k, e in evaluations(result).items() if not e.passed}
    assert failed == {
        (tables.PLAYER_PROP_PREDICTIONS.label, cd.DUPLICATES),
        (tables.PROP_LINES.label, cd.PROP_AVAILABILITY),
        (tables.PLAYER_GAME_SUMMARY.label, cd.SUMMARY_HAS_BOXSCORE),
        # the ghost's points are not in its team's total any more: the team row no longer adds up
        (tables.TEAM_GAME_SUMMARY.label, cd.TEAM_ROWS_MATCH_PLAYERS),
        (tables.BDL_BOXSCORES.label, cd.ROW_COUNT),
    }


def test_non_blocking_duplicate_is_an_error(faulty_run):
    ev = evaluations(faulty_run[0])[(tables.PLAYER_PROP_PREDICTIONS.label, cd.DUPLICATES)]
    assert ev.severity == dg.AssetCheckSeverity.ERROR and ev.partition == DAY


def test_warn_check_lists_games_without_props(faulty_run):
    ev = evaluations(faulty_run[0])[(tables.PROP_LINES.label, cd.PROP_AVAILABILITY)]
    assert ev.severity == dg.AssetCheckSeverity.WARN
    assert "0022500602" in ev.metadata["offending_sample"].value
    assert ev.metadata["games_without_lines"].value == 1


def test_orphan_summary_row_is_an_error(faulty_run):
    ev = evaluations(faulty_run[0])[(tables.PLAYER_GAME_SUMMARY.label, cd.SUMMARY_HAS_BOXSCORE)]
    assert ev.severity == dg.AssetCheckSeverity.ERROR
    assert "ghostplayer" in ev.metadata["offending_sample"].value


def test_row_count_anomaly_uses_trailing_days_from_the_lake(faulty_run):
    evs = evaluations(faulty_run[0])
    ev = evs[(tables.BDL_BOXSCORES.label, cd.ROW_COUNT)]
    assert ev.severity == dg.AssetCheckSeverity.WARN and ev.metadata["failing_dates"].value == DAY
    assert "9002" in ev.metadata["offending_sample"].value
    # nbacom has no history in the lake: not judged rather than guessed
    assert evs[(tables.NBACOM_BOXSCORES.label, cd.ROW_COUNT)].metadata["dates_without_history"].value == DAY


def test_today_slate_without_boxscores_evaluates_with_missing_inputs():
    """Morning of game day: schedule and lines exist, boxscores do not; checks must still evaluate."""
    lake = MemoryLake()
    assets, checks = standin_assets(), cd.build_asset_checks()
    morning = [tables.SCHEDULE.key, tables.PROP_LINES.key, tables.GAMES.key]
    selection = dg.AssetSelection.assets(*morning) | dg.AssetSelection.checks_for_assets(*morning)
    result = dg.materialize([*assets, *checks], partition_key=DAY, selection=selection,
                            resources={"io_manager": MemoryIOManager(lake), "lake": lake},
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)  # fmt: skip
    assert result.success and (tables.BDL_BOXSCORES.label, DAY) not in lake.files
    evs = evaluations(result)
    assert evs[(tables.PROP_LINES.label, cd.PROP_PLAYERS_ON_ROSTER)].passed  # not judged without a roster
    assert evs[(tables.PROP_LINES.label, cd.PROP_PLAYERS_ON_ROSTER)].metadata["games_without_roster"].value == 2
    finals = evs[(tables.GAMES.label, cd.FINALS_HAVE_BOXSCORES)]
    assert not finals.passed and finals.metadata["missing_every_source"].value == 2


def test_single_run_range_records_each_day_and_the_latest_day_as_the_steps_record():
    lake = MemoryLake()
    only_on_day = {tables.NBACOM_BOXSCORES.label: lambda f, d: duplicate_first_row(f, d) if d == D else f}
    tags = {"dagster/asset_partition_range_start": "2026-01-08", "dagster/asset_partition_range_end": "2026-01-10"}
    result = run(lake, only_on_day, partition_key=None, tags=tags)
    evs = [e for e in result.get_asset_check_evaluations()
           if (e.asset_key.to_user_string(), e.check_name) == (tables.NBACOM_BOXSCORES.label, cd.DUPLICATES)]
    by_day = {e.partition: e for e in evs}
    assert set(by_day) == {"2026-01-08", DAY, "2026-01-10", None}
    assert not by_day[DAY].passed and by_day[DAY].metadata["failing_dates"].value == DAY
    assert by_day["2026-01-08"].passed and by_day["2026-01-10"].passed
    step = by_day[None]  # the step's own record (what the UI's check list shows): the latest day's result
    assert step.passed and step.metadata["evaluated_dates"].value == "2026-01-10"
    assert step.metadata["range"].value == "2026-01-08..2026-01-10 (3 days)"
    assert step.metadata["range_failing_dates"].value == DAY
    assert evaluations(result)[(tables.BDL_BOXSCORES.label, cd.DUPLICATES)].passed
    assert {(tables.NBACOM_BOXSCORES.label, k) in lake.files for k in ("2026-01-08", DAY, "2026-01-10")} == {True}
    assert (tables.GAMES.label, DAY) not in lake.files  # blocked for the whole range run
