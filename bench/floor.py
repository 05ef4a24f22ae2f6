"""The floor: the pipeline's transforms as a bare polars/DuckDB script, no Dagster.

Same pure functions the assets call (nba_assets.logic.*, nba_assets.raw.ingest + resources.parsers),
on frames read straight from the lake the Dagster run wrote, writing one Parquet file per day to a
separate folder. What the floor leaves out is what the framework adds: run/step orchestration, the
event log, input loading through the IO manager, dagster_type contracts, asset checks, metadata.

Raw is not like for like: the Dagster raw steps fetch every response over HTTP from the simulated
league and land it before parsing; the floor only re-parses the landed files (the fetch is the sim's
cost, not the framework's). Its ratio is printed, but kept out of the like-for-like total.

Every floor output is compared with the lake table over the same days (sorted rows, same columns):
`same_as_lake` says the floor computed exactly what Dagster stored, so the timings compare equal work.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from nba_assets import tables
from nba_assets import tables as t


@dataclass
class FloorStep:
    step: str
    read_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0
    rows: int | None = None
    same_as_lake: bool | None = None
    like_for_like: bool = True
    note: str = ""

    @property
    def seconds(self) -> float:
        return self.read_s + self.compute_s + self.write_s


@dataclass
class FloorResult:
    steps: dict[str, FloorStep] = field(default_factory=dict)
    seconds: float = 0.0


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def read_days(lake: Path, table: str, first: dt.date, last: dt.date) -> pl.DataFrame:
    """The table's daily files for first..last as one frame (the IO manager's window load)."""
    files = [lake / table / f"{d.isoformat()}.parquet" for d in _days(first, last)]
    files = [f for f in files if f.exists()]
    if not files:
        return tables.get(table).empty()
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")


def _write_days(df: pl.DataFrame, out: Path, table: str, days: list[dt.date]) -> None:
    """One Parquet file per day, empty days included (what the IO manager does, without the checks)."""
    folder = out / table
    folder.mkdir(parents=True, exist_ok=True)
    parts = df.partition_by("game_date", as_dict=True) if df.height else {}
    by_day = {k[0]: v for k, v in parts.items()}
    for d in days:
        by_day.get(d, df.clear()).write_parquet(folder / f"{d.isoformat()}.parquet")


def same_frames(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    if a.height != b.height or set(a.columns) != set(b.columns):
        return False
    cols = sorted(a.columns)
    # Some columns are lists/structs; sort on the scalar ones.
    keys = [c for c in cols if a.schema[c].is_numeric() or a.schema[c] in (pl.Utf8, pl.Date, pl.Boolean)]
    a2 = a.select(cols).sort(keys, nulls_last=True)
    b2 = b.select(cols).cast(a.select(cols).schema).sort(keys, nulls_last=True)
    return a2.equals(b2)


def _training_inputs(reader, weeks: list[dt.date], min_history_days: int):
    from nba_assets.predictions import training_history, weeks_with_games

    playing = weeks_with_games(reader, weeks)
    history = training_history(reader, sorted(playing), min_history_days) if playing else (None, None)
    return playing, history


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_floor(
    data_dir: Path,
    out_dir: Path,
    start: dt.date,
    end: dt.date,
    *,
    primary: str = "nbacom",
    seed: int = 7,
    min_history_days: int = 28,
) -> FloorResult:
    """Run every transform of start..end without Dagster; inputs from data_dir's lake and landing zone."""
    from io_managers.model_store import ModelStore
    from nba_assets import predictions as prediction_assets
    from nba_assets import raw as raw_assets
    from nba_assets import raw_feeds
    from nba_assets.common import by_week
    from nba_assets.features import SLATE_SEASON_TYPES
    from nba_assets.logic import analytics as alog
    from nba_assets.logic import features as flog
    from nba_assets.logic import grading as glog
    from nba_assets.logic import history, pricing, training
    from nba_assets.logic import report as rlog
    from nba_assets.partitions import week_key, week_range
    from resources.lake import LakeReader
    from resources.landing import LandingZone

    lake = data_dir / "lake"
    out = out_dir / "lake"
    days = _days(start, end)
    res = FloorResult()
    t_all = time.perf_counter()

    def record(step: FloorStep, frame: pl.DataFrame | None, table: str | None) -> None:
        if frame is not None:
            step.rows = frame.height
        if frame is not None and table is not None:
            step.same_as_lake = same_frames(frame, read_days(lake, table, start, end))
        res.steps[step.step] = step

    # ---------------------------------------------------------------- raw: parse the landed files
    landing = LandingZone(str(data_dir))
    raw: dict[str, pl.DataFrame] = {}
    for feed in [*raw_assets.FEEDS, *raw_feeds.FEEDS]:  # the same feeds (parsers, landing folders) the raw assets use
        table = feed.table.label
        st = FloorStep(table, like_for_like=False, note="parse landed JSON only (Dagster also fetches over HTTP)")
        got, st.compute_s = _timed(lambda feed=feed: feed.ingest(landing, days))
        raw[table] = got.rows
        _, st.write_s = _timed(lambda: _write_days(got.rows, out, table, days))
        record(st, got.rows, table)
    st = FloorStep(t.INJURY_REPORT.label, like_for_like=False, note="parse landed PDFs only")
    got, st.compute_s = _timed(lambda: raw_feeds.ingest_reports(landing, days))
    _, st.write_s = _timed(lambda: _write_days(got.rows, out, t.INJURY_REPORT.label, days))
    record(st, got.rows, t.INJURY_REPORT.label)

    # The transforms below read their inputs from the Dagster lake, as the assets do.
    def read(table: str, first: dt.date = start, last: dt.date = end) -> tuple[pl.DataFrame, float]:
        return _timed(lambda: read_days(lake, table, first, last))

    # ---------------------------------------------------------------- analytics
    st = FloorStep(t.GAMES.label)
    (sched, t1), (bdl, t2), (nba, t3) = read(t.SCHEDULE.label), read(t.BDL_BOXSCORES.label), read(t.NBACOM_BOXSCORES.label)
    bdl_games, t4 = read(t.BDL_GAMES.label)
    st.read_s = t1 + t2 + t3 + t4
    games, st.compute_s = _timed(lambda: alog.reconcile_games(sched, bdl, nba, primary=primary, bdl_games=bdl_games))
    _, st.write_s = _timed(lambda: _write_days(games, out, t.GAMES.label, days))
    record(st, games, t.GAMES.label)

    st = FloorStep(t.PLAYER_GAME_SUMMARY.label)
    (games_l, t1), (bdl, t2), (nba, t3) = read(t.GAMES.label), read(t.BDL_BOXSCORES.label), read(t.NBACOM_BOXSCORES.label)
    st.read_s = t1 + t2 + t3
    pgs, st.compute_s = _timed(lambda: alog.build_player_game_summary(games_l, bdl, nba, primary=primary))
    _, st.write_s = _timed(lambda: _write_days(pgs, out, t.PLAYER_GAME_SUMMARY.label, days))
    record(st, pgs, t.PLAYER_GAME_SUMMARY.label)

    st = FloorStep(t.TEAM_GAME_SUMMARY.label)
    pgs_l, st.read_s = read(t.PLAYER_GAME_SUMMARY.label)
    tgs, st.compute_s = _timed(lambda: alog.build_team_game_summary(pgs_l))
    _, st.write_s = _timed(lambda: _write_days(tgs, out, t.TEAM_GAME_SUMMARY.label, days))
    record(st, tgs, t.TEAM_GAME_SUMMARY.label)

    # ---------------------------------------------------------------- features
    st = FloorStep(t.PLAYER_FEATURES.label)
    h0, h1 = start - dt.timedelta(days=flog.HISTORY_DAYS), end - dt.timedelta(days=1)
    (hist, t1), (team_hist, t2) = read(t.PLAYER_GAME_SUMMARY.label, h0, h1), read(t.TEAM_GAME_SUMMARY.label, h0, h1)
    (sched, t3), (inj, t4), (lines, t5) = read(t.SCHEDULE.label), read(t.INJURIES.label), read(t.PROP_LINES.label)
    game_lines, t6 = read(t.GAME_LINES.label)
    st.read_s = t1 + t2 + t3 + t4 + t5 + t6
    feats, st.compute_s = _timed(
        lambda: flog.build_player_features(
            player_games=hist,
            team_games=team_hist,
            slate=sched.filter(pl.col("season_type").is_in(SLATE_SEASON_TYPES)),
            injuries=inj,
            prop_lines=lines,
            target_dates=days,
            game_lines=game_lines,
        )
    )
    _, st.write_s = _timed(lambda: _write_days(feats, out, t.PLAYER_FEATURES.label, days))
    record(st, feats, t.PLAYER_FEATURES.label)

    # ---------------------------------------------------------------- weekly models (walk-forward)
    st = FloorStep(t.POINTS_MODEL.label, note="rows = training rows summed over the weeks")
    store = ModelStore(str(out_dir))
    reader = LakeReader(str(data_dir))
    params = training.ModelParams(seed=seed)
    w0, w1 = week_range(start, end)
    weeks = [dt.date.fromisoformat(w0) + dt.timedelta(days=7 * i)
             for i in range((dt.date.fromisoformat(w1) - dt.date.fromisoformat(w0)).days // 7 + 1)]
    trained_rows = 0
    # The asset's steps (nba_assets/predictions.py points_model): the weeks with games from one schedule
    # read, one read of the history every week trains on, the weeks trained side by side, each saved.
    (playing, window), st.read_s = _timed(lambda: _training_inputs(reader, weeks, min_history_days))
    t0, write_s = time.perf_counter(), 0.0
    for week, outcome in zip(weeks, training.fit_weeks(weeks, *window, params, min_history_days, playing),
                             strict=True):
        if outcome.model is not None:
            trained_rows += outcome.train_rows
            _, w = _timed(lambda week=week, model=outcome.model: store.save(week.isoformat(), model))
            write_s += w
    st.compute_s, st.write_s = time.perf_counter() - t0 - write_s, write_s
    st.rows = trained_rows
    # Same params + same rows -> the same model text: compare with the Dagster run's models.
    ours = sorted((out_dir / "models").rglob("*.txt"))
    st.same_as_lake = None if not ours else all(
        (data_dir / p.relative_to(out_dir)).exists() and (data_dir / p.relative_to(out_dir)).read_bytes() == p.read_bytes()
        for p in ours
    )
    res.steps[st.step] = st

    # ---------------------------------------------------------------- predictions
    st = FloorStep(t.RECOMMENDATION_HISTORY.label, note="every refresh is due: the sim clock is after the range")
    (feats_l, r1), (sched_l, r2), (props_l, r3), (inj_l, r4) = (
        read(t.PLAYER_FEATURES.label), read(t.SCHEDULE.label), read(t.PROP_LINES.label), read(t.INJURIES.label)
    )
    (official_l, r5), (game_lines_l, r6) = read(t.INJURY_REPORT.label), read(t.GAME_LINES.label)
    st.read_s = r1 + r2 + r3 + r4 + r5 + r6
    now = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC)
    holes = prediction_assets.history_holes(LakeReader(str(data_dir)), days)
    t0 = time.perf_counter()
    frames = []
    # As the asset does (nba_assets/predictions.py recommendation_history): every input split by model
    # week once, one history build per week with its model.
    inputs = (feats_l, sched_l, props_l, inj_l, holes, official_l, game_lines_l)
    inputs_by_week = [by_week(f) for f in inputs]
    for key in dict.fromkeys(week_key(d) for d in days):
        model = store.load(key) or store.latest_before(key)
        week_feats, week_sched, week_props, week_inj, week_holes, week_official, week_games = (
            split.get(key, f.clear()) for split, f in zip(inputs_by_week, inputs, strict=True)
        )
        frames.append(history.build_history(
            week_feats, week_sched, week_props, week_inj, model, now, None, week_holes,
            game_lines=week_games, official=week_official,
        ))  # fmt: skip
    hist = pl.concat(frames, how="vertical") if frames else t.RECOMMENDATION_HISTORY.empty()
    st.compute_s = time.perf_counter() - t0
    _, st.write_s = _timed(lambda: _write_days(hist, out, t.RECOMMENDATION_HISTORY.label, days))
    record(st, hist, t.RECOMMENDATION_HISTORY.label)

    st = FloorStep(t.PLAYER_PROP_PREDICTIONS.label)
    hist_l, st.read_s = read(t.RECOMMENDATION_HISTORY.label)
    preds, st.compute_s = _timed(lambda: history.latest(hist_l))
    _, st.write_s = _timed(lambda: _write_days(preds, out, t.PLAYER_PROP_PREDICTIONS.label, days))
    record(st, preds, t.PLAYER_PROP_PREDICTIONS.label)

    # ---------------------------------------------------------------- grading
    st = FloorStep(t.PREDICTION_GRADES.label)
    (preds_l, t1), (acts, t2), (games_l, t3), (props_l, t4) = (
        read(t.PLAYER_PROP_PREDICTIONS.label), read(t.PLAYER_GAME_SUMMARY.label), read(t.GAMES.label),
        read(t.PROP_LINES.label),
    )
    st.read_s = t1 + t2 + t3 + t4

    def grade() -> pl.DataFrame:
        final = glog.final_games(games_l)
        closing = pricing.closing_lines(props_l, games_l.join(final, on="game_id", how="semi"))
        return glog.grade_predictions(preds_l.join(final, on="game_id", how="semi"), acts, closing)

    grades, st.compute_s = _timed(grade)
    _, st.write_s = _timed(lambda: _write_days(grades, out, t.PREDICTION_GRADES.label, days))
    record(st, grades, t.PREDICTION_GRADES.label)

    st = FloorStep(t.SYSTEM_DAILY_PERFORMANCE.label)
    grades_l, st.read_s = read(t.PREDICTION_GRADES.label)
    perf, st.compute_s = _timed(lambda: glog.daily_performance(grades_l))
    _, st.write_s = _timed(lambda: _write_days(perf, out, t.SYSTEM_DAILY_PERFORMANCE.label, days))
    record(st, perf, t.SYSTEM_DAILY_PERFORMANCE.label)

    st = FloorStep(t.SEASON_REPORT.label, note="reads every graded day (as the asset does)")
    import duckdb

    con = duckdb.connect()
    all_grades, st.read_s = _timed(
        lambda: con.sql(
            f"select * from read_parquet('{lake / 'grading/prediction_grades' / '*.parquet'}', union_by_name=true)"
        ).pl()
    )
    _, st.compute_s = _timed(lambda: rlog.season_report(all_grades))
    st.rows = all_grades.height
    res.steps[st.step] = st

    res.seconds = time.perf_counter() - t_all
    return res
