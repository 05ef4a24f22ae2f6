"""Walk-forward training, determinism, the model beating its baseline, and prediction rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from nba_assets.contracts import PlayerFeaturesContract, PredictionContract
from nba_assets.logic import modeling as m
from nba_assets.logic import training as tr

START = dt.date(2024, 11, 1)
CUTOFF = dt.date(2024, 12, 16)  # a Monday: the model week under test
CREATED = dt.datetime(2024, 12, 16, 15, 0, tzinfo=dt.UTC)


def synthetic_league(
    days: int = 60, players: int = 80, seed: int = 0, start: dt.date = START
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Feature rows (PlayerFeaturesContract) and actuals with a known signal.

    points = 0.6 * pts_l10 + 4 * home + N(0, 3): the L10 average alone is off by 0.4 * pts_l10, so a model
    that learns the signal must beat it clearly. About 5% of player-games are DNPs.
    """
    rng = np.random.default_rng(seed)
    n = days * players
    dates = pl.Series(
        [start + dt.timedelta(days=i) for i in range(days) for _ in range(players)], dtype=pl.Date
    )
    pid = np.tile(np.arange(players), days)
    skill = rng.uniform(4, 30, players)[pid]
    l10 = np.clip(skill + rng.normal(0, 2, n), 0, 100)
    home = rng.random(n) < 0.5
    points = np.clip(np.round(0.6 * l10 + 4 * home + rng.normal(0, 3, n)), 0, 100).astype(np.int64)
    has_line = rng.random(n) < 0.8
    line = np.where(has_line, np.round(0.6 * l10 + 2) + 0.5, np.nan)

    def u(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, n)

    feats = pl.DataFrame(
        {
            "game_date": dates,
            "game_id": [f"00224{i // players:05d}" for i in range(n)],  # one game per day suffices
            "player_lookup": [f"player{i}" for i in pid],
            "player_name": [f"Player {i}" for i in pid],
            "team": "BOS",
            "opponent": "NYK",
            "home": home,
            "season_year": 2024,
            "pts_l3": np.clip(l10 + rng.normal(0, 1, n), 0, 100),
            "pts_l5": l10,
            "pts_l10": l10,
            "pts_season": skill,
            "pts_std_l10": u(2, 8),
            "pts_trend_l10": rng.normal(0, 0.5, n),
            "min_l5": u(10, 36),
            "min_l10": u(10, 36),
            "min_change": rng.normal(0, 2, n),
            "usage_proxy_l10": u(0.2, 1),
            "ft_share_l10": u(0, 0.4),
            "dnp_rate_l10": u(0, 0.2),
            "games_last_7d": rng.integers(0, 5, n),
            "minutes_last_7d": u(0, 140),
            "days_rest": rng.integers(0, 4, n),
            "back_to_back": rng.random(n) < 0.2,
            "games_played_season": rng.integers(5, 60, n),
            "opp_pts_allowed_l10": u(100, 125),
            "opp_def_rating_l10": u(100, 125),
            "team_pace_l10": u(95, 105),
            "opp_pace_l10": u(95, 105),
            "teammates_out": rng.integers(0, 3, n),
            "teammates_out_pts_l10": u(0, 20),
            "consensus_line": line,
            "n_books": np.where(has_line, 3, 0),
            "line_minus_l10": line - l10,
            "line_movement": np.where(has_line, 0.0, np.nan),
            "feature_quality_score": u(60, 100),
            "data_as_of": dates.dt.offset_by("-1d"),
            "roster_source": "recent_games",
            "feature_version": "test",
        }
    ).with_columns(pl.selectors.float().fill_nan(None))
    lines_rng = np.random.default_rng(1)  # its own stream: the columns above keep their values
    feats = feats.with_columns(
        implied_team_total=lines_rng.uniform(100, 125, n), team_spread=lines_rng.normal(0, 5, n),
        implied_team_total_movement=lines_rng.normal(0, 1, n), team_spread_movement=lines_rng.normal(0, 1, n),
    ).select(list(PlayerFeaturesContract.to_schema().columns))
    schema = PlayerFeaturesContract.to_schema().columns
    feats = feats.cast({k: c.dtype.type for k, c in schema.items()})
    dnp = rng.random(n) < 0.05
    actuals = feats.select("game_id", "game_date", "player_lookup").with_columns(
        dnp=pl.Series(dnp),
        points=pl.Series(np.where(dnp, 0, points), dtype=pl.Int64),
        minutes=pl.Series(np.where(dnp, 0.0, rng.uniform(10, 36, n)), dtype=pl.Float64),
    )
    return feats, actuals


@pytest.fixture(scope="module")
def league() -> tuple[pl.DataFrame, pl.DataFrame]:
    feats, actuals = synthetic_league()
    PlayerFeaturesContract.validate(feats)
    return feats, actuals


@pytest.fixture(scope="module")
def model(league):
    feats, actuals = league
    return tr.train_points_model(tr.training_frame(feats, actuals, CUTOFF, 28), tr.ModelParams(), CUTOFF)


def tipped(frame: pl.DataFrame) -> pl.DataFrame:
    """Feature rows with a tip-off (midnight UTC after the game date, ~19:00 ET): predictions need one."""
    tip = (pl.col("game_date").cast(pl.Datetime("us")) + pl.duration(hours=24)).dt.replace_time_zone("UTC")
    return frame.with_columns(tipoff_utc=tip)


def slate(feats: pl.DataFrame, day: dt.date = CUTOFF) -> pl.DataFrame:
    return tipped(feats.filter(pl.col("game_date") == day))


def one_player(feats: pl.DataFrame, **overrides) -> pl.DataFrame:
    """One slate row with chosen values (everything else from a real synthetic row)."""
    row = slate(feats).head(1)
    return row.with_columns(
        **{k: pl.lit(v, dtype=row.schema[k]) for k, v in overrides.items()}
    )


# ------------------------------------------------------------------------------- feature columns
def test_feature_columns_are_numeric_contract_columns_without_ids():
    schema = PlayerFeaturesContract.to_schema().columns
    assert set(m.FEATURE_COLUMNS) <= set(schema)
    for banned in ["game_id", "game_date", "player_lookup", "team", "season_year", "feature_quality_score"]:
        assert banned not in m.FEATURE_COLUMNS
    assert {"home", "pts_l10", "consensus_line", "days_rest"} <= set(m.FEATURE_COLUMNS)


# ------------------------------------------------------------------------------- walk-forward
def test_training_frame_never_holds_rows_on_or_after_the_cutoff(league):
    feats, actuals = league
    train = tr.training_frame(feats, actuals, CUTOFF, 28)
    assert train.height > 0
    assert train["game_date"].max() < CUTOFF
    assert train["game_date"].max() == CUTOFF - dt.timedelta(days=1)
    # the cutoff day has feature rows and actuals, and none of them enter
    assert slate(feats).height > 0
    on_cutoff = train.join(slate(feats).select("game_id", "player_lookup"), on=["game_id", "player_lookup"])
    assert on_cutoff.height == 0


def test_training_frame_drops_dnps_and_carries_actual_points(league):
    feats, actuals = league
    train = tr.training_frame(feats, actuals, CUTOFF, 28)
    dnps = actuals.filter(pl.col("dnp") & (pl.col("game_date") < CUTOFF))
    assert dnps.height > 0
    assert train.join(dnps, on=["game_id", "player_lookup"]).height == 0
    check = train.join(actuals, on=["game_id", "player_lookup"])
    assert (check["target"] == check["points"].cast(pl.Float64)).all()


def test_training_frame_is_empty_below_min_history(league):
    feats, actuals = league
    early = START + dt.timedelta(days=20)  # 20 distinct days before it
    assert tr.training_frame(feats, actuals, early, 21).height == 0
    assert tr.training_frame(feats, actuals, early, 20).height > 0


def test_training_frame_keeps_only_the_last_window_days(league):
    feats, actuals = league
    full = tr.training_frame(feats, actuals, CUTOFF, 28, window_days=10_000)
    train = tr.training_frame(feats, actuals, CUTOFF, 28, window_days=30)
    days = full["game_date"].unique().sort()
    assert days.len() > 30 and train["game_date"].n_unique() == 30
    assert train["game_date"].min() == days[-30] and train["game_date"].max() == days[-1]
    assert train.equals(full.filter(pl.col("game_date") >= days[-30]))


def test_training_frame_window_counts_game_days_not_calendar_days(league):
    feats, actuals = league
    # a two-week hole before the cutoff (the All-Star break, an off-season): the window reaches past it
    gap = (pl.col("game_date") < CUTOFF - dt.timedelta(days=14)) | (pl.col("game_date") >= CUTOFF)
    train = tr.training_frame(feats.filter(gap), actuals, CUTOFF, 28, window_days=20)
    assert train["game_date"].n_unique() == 20
    assert train["game_date"].max() == CUTOFF - dt.timedelta(days=15)


def test_training_frame_min_history_counts_days_beyond_the_window(league):
    feats, actuals = league
    early = START + dt.timedelta(days=40)  # 40 game days before it, a 30-day window
    assert tr.training_frame(feats, actuals, early, 41, window_days=30).height == 0
    kept = tr.training_frame(feats, actuals, early, 40, window_days=30)
    assert kept["game_date"].n_unique() == 30


def test_model_metrics_and_version_record_the_walk_forward_window(model):
    assert model.metrics["train_end"] < CUTOFF.isoformat()
    assert model.metrics["train_start"] == START.isoformat()
    assert model.metrics["val_start"] == (CUTOFF - dt.timedelta(days=tr.VAL_DAYS)).isoformat()
    assert model.model_version == f"lgbm_points_v1@{CUTOFF}"
    assert model.cutoff == CUTOFF
    assert model.metrics["early_stopping"] is True
    assert 1 <= model.metrics["num_boost_round"] <= tr.ModelParams().num_boost_round


def test_training_refuses_rows_on_or_after_the_cutoff(league):
    feats, actuals = league
    leaky = tr.training_frame(feats, actuals, CUTOFF + dt.timedelta(days=1), 28)
    with pytest.raises(ValueError, match="walk-forward"):
        tr.train_points_model(leaky, tr.ModelParams(), CUTOFF)


def test_training_needs_history_before_the_validation_window(league):
    feats, actuals = league
    cutoff = START + dt.timedelta(days=tr.VAL_DAYS)
    short = tr.training_frame(feats, actuals, cutoff, 1)
    with pytest.raises(ValueError, match="need training rows"):
        tr.train_points_model(short, tr.ModelParams(), cutoff)
    # one more day is enough: fixed rounds without an inner early-stopping holdout
    longer = tr.training_frame(feats, actuals, cutoff + dt.timedelta(days=1), 1)
    fixed = tr.train_points_model(longer, tr.ModelParams(num_boost_round=20), cutoff + dt.timedelta(days=1))
    assert fixed.metrics["early_stopping"] is False and fixed.metrics["num_boost_round"] == 20


def test_validation_window_counts_game_days_across_an_offseason(league):
    feats, actuals = league
    # a cutoff 100 days after the last game (the summer): the window is the end of the last season
    cutoff = START + dt.timedelta(days=160)
    train = tr.training_frame(feats, actuals, CUTOFF, 28)
    model = tr.train_points_model(train, tr.ModelParams(num_boost_round=20), cutoff)
    assert model.metrics["val_start"] == (CUTOFF - dt.timedelta(days=tr.VAL_DAYS)).isoformat()
    assert model.metrics["val_rows"] > 0


# ------------------------------------------------------------------------------- determinism
def test_same_seed_same_model_regardless_of_row_order(league, model):
    feats, actuals = league
    train = tr.training_frame(feats, actuals, CUTOFF, 28)
    shuffled = train.sample(fraction=1.0, shuffle=True, seed=3)
    again = tr.train_points_model(shuffled, tr.ModelParams(), CUTOFF)
    assert again.booster.model_to_string() == model.booster.model_to_string()
    assert np.array_equal(again.residuals, model.residuals)


def test_a_different_seed_gives_a_different_model(league, model):
    feats, actuals = league
    train = tr.training_frame(feats, actuals, CUTOFF, 28)
    other = tr.train_points_model(train, tr.ModelParams(seed=8), CUTOFF)
    assert other.booster.model_to_string() != model.booster.model_to_string()


def test_weeks_trained_side_by_side_are_the_weeks_trained_one_by_one(league):
    """modeling.fit_weeks (the asset's and the floor's loop): in week order, each week's model the one
    `fit_week` gives alone, whatever the number of weeks at once; a week without games trains nothing."""
    feats, actuals = league
    weeks = [CUTOFF - dt.timedelta(days=7 * k) for k in (3, 2, 1, 0)]
    playing = set(weeks) - {weeks[1]}
    alone = [tr.fit_week(w, feats, actuals, tr.ModelParams(), 15, has_games=w in playing) for w in weeks]
    assert [o.model is None for o in alone] == [False, True, False, False]
    for workers in (1, 2, 3):
        got = list(tr.fit_weeks(weeks, feats, actuals, tr.ModelParams(), 15, playing, workers=workers))
        assert [o.week for o in got] == weeks
        assert [o.reason for o in got] == [o.reason for o in alone]
        assert [o.model and o.model.booster.model_to_string() for o in got] == [
            o.model and o.model.booster.model_to_string() for o in alone
        ]
    assert tr.training_workers() >= 1


# ------------------------------------------------------------------------------- accuracy
def test_model_beats_the_l10_baseline_in_validation_and_out_of_sample(league, model):
    assert model.metrics["val_mae_model"] < 0.8 * model.metrics["val_mae_baseline"]
    feats, actuals = league
    future = tipped(feats.filter(pl.col("game_date") >= CUTOFF))  # never seen by the model
    preds = m.build_predictions(future, model, CREATED).join(
        actuals.filter(~pl.col("dnp")), on=["game_id", "player_lookup"]
    )
    mae = preds.group_by("system_id").agg(
        mae=(pl.col("predicted_points") - pl.col("points")).abs().mean()
    )
    by_system = dict(mae.iter_rows())
    assert by_system[m.MODEL_SYSTEM] < 0.8 * by_system[m.BASELINE_SYSTEM]
    # the signal has noise sd 3: a working model's MAE is near 0.8 * 3, far from the baseline's ~5
    assert by_system[m.MODEL_SYSTEM] < 3.0


def test_default_objective_is_the_median_so_skewed_points_get_a_lower_mae(league):
    """Points are right-skewed; graded by MAE, the conditional median (L1) must beat the mean (L2)."""
    feats, actuals = league
    rng = np.random.default_rng(11)
    # signal 0.6 * pts_l10 plus exponential noise (mean 4, median 2.8): mean and median differ by 1.2
    noise = rng.exponential(4.0, actuals.height)
    skewed = actuals.with_columns(
        points=pl.when(pl.col("dnp")).then(0).otherwise(
            (0.6 * feats["pts_l10"] + pl.Series(noise)).round().cast(pl.Int64)
        )
    )
    train = tr.training_frame(feats, skewed, CUTOFF, 28)
    future = feats.filter(pl.col("game_date") >= CUTOFF).join(
        skewed.filter(~pl.col("dnp")).select("game_id", "player_lookup", "points"), on=["game_id", "player_lookup"]
    )

    def mae(params: tr.ModelParams) -> float:
        model = tr.train_points_model(train, params, CUTOFF)
        pred = m.predict_points(model, future).to_numpy()
        return float(np.mean(np.abs(pred - future["points"].to_numpy())))

    assert tr.ModelParams().objective == "regression_l1"
    median_mae, mean_mae = mae(tr.ModelParams()), mae(tr.ModelParams(objective="regression"))
    assert median_mae < 0.98 * mean_mae  # measured 0.956 (seed 11); theory ~0.94


def test_p_over_is_calibrated_on_the_validation_rows_with_a_line(league, model):
    feats, actuals = league
    val = tr.training_frame(feats, actuals, CUTOFF, 28).filter(
        pl.col("game_date") >= dt.date.fromisoformat(model.metrics["val_start"])
    )
    lined = val.filter(pl.col("consensus_line").is_not_null()).height
    assert model.metrics["calibration_lined_only"] is True
    assert model.residuals.size == lined < val.height
    # too few lined rows: every validation row calibrates
    no_lines = feats.with_columns(consensus_line=pl.lit(None, dtype=pl.Float64))
    sparse = tr.train_points_model(
        tr.training_frame(no_lines, actuals, CUTOFF, 28), tr.ModelParams(num_boost_round=20), CUTOFF
    )
    assert sparse.metrics["calibration_lined_only"] is False
    assert sparse.residuals.size == sparse.metrics["val_rows"]


def test_residuals_are_out_of_sample_and_roughly_centred(model):
    assert model.residuals.size == model.metrics["calibration_rows"] < model.metrics["val_rows"]
    assert np.all(np.diff(model.residuals) >= 0)
    assert abs(float(np.median(model.residuals))) < 1.0


# ------------------------------------------------------------------------------- predictions
def test_predictions_pass_the_contract_with_one_row_per_player_and_system(league, model):
    feats, _ = league
    day = slate(feats)
    preds = m.build_predictions(day, model, CREATED)
    PredictionContract.validate(preds)
    assert preds.height == 3 * day.height
    assert preds.select("game_id", "player_lookup", "system_id").is_duplicated().sum() == 0
    assert set(preds["system_id"]) == {m.MODEL_SYSTEM, m.BASELINE_SYSTEM, m.MARKET_SYSTEM}
    versions = dict(preds.select("system_id", "model_version").unique().iter_rows())
    assert versions == {
        m.MODEL_SYSTEM: model.model_version,
        m.BASELINE_SYSTEM: m.BASELINE_VERSION,
        m.MARKET_SYSTEM: model.model_version.replace(m.MODEL_SYSTEM, m.MARKET_SYSTEM),
    }
    assert preds["created_at"].unique().to_list() == [CREATED]
    assert preds["confidence"].is_between(0, 100).all()
    assert preds["predicted_points"].is_between(0, 80).all()


def test_predictions_are_idempotent(league, model):
    feats, _ = league
    day = slate(feats)
    first = m.build_predictions(day, model, CREATED)
    second = m.build_predictions(day.reverse(), model, CREATED)
    assert first.equals(second)


def test_without_a_model_only_the_baseline_is_produced(league):
    feats, _ = league
    preds = m.build_predictions(slate(feats), None, CREATED)
    PredictionContract.validate(preds)
    assert set(preds["system_id"]) == {m.BASELINE_SYSTEM}
    assert preds.height == slate(feats).height


def test_extreme_inputs_are_clipped_into_contract_ranges(league, model):
    feats, _ = league
    hot = one_player(feats, pts_l10=100.0, pts_l5=100.0, pts_l3=100.0, pts_season=100.0, consensus_line=79.5)
    preds = m.build_predictions(hot, model, CREATED)
    PredictionContract.validate(preds)
    base = preds.filter(pl.col("system_id") == m.BASELINE_SYSTEM).row(0, named=True)
    assert base["predicted_points"] == 80.0


def test_naive_created_at_is_rejected(league):
    feats, _ = league
    with pytest.raises(ValueError, match="timezone-aware"):
        m.build_predictions(slate(feats), None, dt.datetime(2024, 12, 16, 15))


def test_empty_slate_gives_a_typed_empty_frame(league, model):
    feats, _ = league
    preds = m.build_predictions(feats.clear(), model, CREATED)
    assert preds.height == 0
    PredictionContract.validate(preds)


def _baseline_row(feats: pl.DataFrame, **overrides) -> dict:
    preds = m.build_predictions(one_player(feats, **overrides), None, CREATED)
    PredictionContract.validate(preds)
    return preds.row(0, named=True)


@pytest.mark.parametrize(
    ("l10", "line", "recommendation", "reason"),
    [
        (22.0, 19.5, "OVER", None),  # edge +2.5
        (17.0, 19.5, "UNDER", None),  # edge -2.5
        (21.4, 19.5, "PASS", m.PASS_SMALL_EDGE),  # edge +1.9 < threshold
        (17.6, 19.5, "PASS", m.PASS_SMALL_EDGE),  # edge -1.9
        (21.5, 19.5, "OVER", None),  # edge exactly the threshold
    ],
)
def test_recommendation_follows_the_edge_threshold(league, l10, line, recommendation, reason):
    row = _baseline_row(league[0], pts_l10=l10, consensus_line=line, feature_quality_score=90.0)
    assert row["edge"] == pytest.approx(l10 - line)
    assert row["recommendation"] == recommendation
    if reason is None:
        assert row["pass_reason"] is None
    else:
        assert row["pass_reason"].startswith(reason)


def test_low_quality_is_predicted_but_passed_with_a_reason(league, model):
    feats, _ = league
    day = one_player(feats, pts_l10=35.0, consensus_line=15.5, feature_quality_score=m.MIN_QUALITY - 1)
    preds = m.build_predictions(day, model, CREATED)
    PredictionContract.validate(preds)
    assert preds.height == 3  # one row per registered system
    assert (preds["recommendation"] == "PASS").all()
    assert all(r.startswith(m.PASS_LOW_QUALITY) for r in preds["pass_reason"])
    assert preds["predicted_points"].is_not_null().all()
    # the same row with good features is a bet: quality alone made it PASS
    good = m.build_predictions(day.with_columns(feature_quality_score=pl.lit(90.0)), None, CREATED)
    assert good["recommendation"].to_list() == ["OVER"]


def test_player_without_history_is_a_baseline_pass(league):
    row = _baseline_row(
        league[0], pts_l10=None, pts_l5=None, pts_season=None, consensus_line=25.5, feature_quality_score=90.0
    )
    assert row["predicted_points"] == m.NO_HISTORY_POINTS
    assert row["recommendation"] == "PASS"
    assert row["pass_reason"] == m.PASS_NO_HISTORY


def test_no_line_rows_are_consistent(league, model):
    feats, _ = league
    day = slate(feats)
    preds = m.build_predictions(day, model, CREATED)
    no_line = preds.filter(pl.col("line").is_null())
    assert no_line.height > 0
    assert (no_line["line_source"] == "NO_LINE").all()
    assert (no_line["recommendation"] == "NO_LINE").all()
    assert no_line["edge"].is_null().all() and no_line["p_over"].is_null().all()
    assert (no_line["confidence"] == 0).all()
    with_line = preds.filter(pl.col("line").is_not_null())
    assert (with_line["line_source"] == "CONSENSUS").all()
    assert with_line["p_over"].is_not_null().all()
    assert (with_line["recommendation"] != "NO_LINE").all()


# ------------------------------------------------------------------------------- p_over
def test_model_p_over_is_monotone_in_predicted_minus_line(model):
    predicted = np.full(201, 20.0)
    line = np.linspace(40.0, 0.0, 201)  # predicted - line rises from -20 to +20
    p = m.p_over_from_residuals(predicted, line, model.residuals)
    assert np.all(np.diff(p) >= 0)
    assert p[0] < 0.05 and p[-1] > 0.95 and 0.3 < p[100] < 0.7
    assert np.all((p > 0) & (p < 1))


def test_p_over_matches_the_residual_distribution():
    residuals = np.array([-3.0, -1.0, 1.0, 3.0])
    # line - predicted = 0 sits mid-distribution: half of the residuals exceed it
    assert m.p_over_from_residuals(np.array([10.0]), np.array([10.0]), residuals)[0] == pytest.approx(0.5)
    assert m.p_over_from_residuals(np.array([10.0]), np.array([20.0]), residuals)[0] == pytest.approx(0.125)


def test_baseline_p_over_is_normal_and_monotone(league):
    p = m.normal_p_over(np.array([20.0, 20.0, 20.0]), np.array([20.0, 14.0, 26.0]), np.array([6.0] * 3))
    assert p[0] == pytest.approx(0.5)
    assert p[1] == pytest.approx(0.8413, abs=1e-4)  # one sd below the mean
    assert p[2] == pytest.approx(0.1587, abs=1e-4)
    rows = [
        _baseline_row(league[0], pts_l10=l10, consensus_line=20.5, feature_quality_score=90.0)
        for l10 in (10.0, 18.0, 20.5, 23.0, 35.0)
    ]
    ps = [r["p_over"] for r in rows]
    assert ps == sorted(ps) and ps[2] == pytest.approx(0.5)
    confidence = [r["confidence"] for r in rows]
    assert confidence[2] == 0 and confidence[0] > confidence[1] and confidence[4] > confidence[3]


def test_confidence_comes_from_the_edge_and_quality_not_from_p_over(league):
    # same edge, very different p_over (the L10 sd): same confidence; full at CONFIDENCE_FULL_EDGE
    narrow = _baseline_row(league[0], pts_l10=23.5, consensus_line=20.5, pts_std_l10=3.0, feature_quality_score=80.0)
    wide = _baseline_row(league[0], pts_l10=23.5, consensus_line=20.5, pts_std_l10=12.0, feature_quality_score=80.0)
    assert narrow["p_over"] > wide["p_over"] + 0.1
    assert narrow["confidence"] == wide["confidence"] == pytest.approx(3.0 / m.CONFIDENCE_FULL_EDGE * 80.0, abs=0.1)
    far = _baseline_row(league[0], pts_l10=30.0, consensus_line=20.5, feature_quality_score=80.0)
    assert far["confidence"] == 80.0


def test_importance_plot_is_a_png(model):
    png = tr.importance_plot_png(model)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_fit_week_trains_on_history_before_the_week(league):
    feats, actuals = league
    out = tr.fit_week(CUTOFF, feats, actuals, tr.ModelParams(num_boost_round=20), 28)
    assert out.model is not None and out.reason is None and out.week == CUTOFF
    assert out.train_rows == tr.training_frame(feats, actuals, CUTOFF, 28).height > 0
    summary = tr.model_summary(out.model)
    assert summary["training_rows"] == out.train_rows
    assert summary["training_date_range"].split("..")[1] < str(CUTOFF)


def test_fit_week_says_why_there_is_no_model(league):
    feats, actuals = league
    thin = tr.fit_week(CUTOFF, feats, actuals, tr.ModelParams(), min_history_days=10_000)
    assert thin.model is None and thin.reason.startswith("fewer than 10000 days of feature history")
    empty = tr.fit_week(CUTOFF, feats.clear(), actuals, tr.ModelParams(), 28)
    assert empty.model is None and "fewer than 28 days" in empty.reason
    off = tr.fit_week(CUTOFF, feats, actuals, tr.ModelParams(), 28, has_games=False)
    assert off.model is None and off.reason == f"no games in the week of {CUTOFF}: nothing to predict, no model trained"


def test_a_week_whose_training_rows_did_not_change_keeps_its_stored_model(league, monkeypatch, tmp_path):
    """fit_week with the store: the same rows -> the stored model, no fit; a changed row, another
    parameter or a model stored without a fingerprint -> fitted again (and the same model as alone)."""
    from io_managers.model_store import ModelStore

    feats, actuals = league
    params = tr.ModelParams(num_boost_round=20)
    first = tr.fit_week(CUTOFF, feats, actuals, params, 28)
    store = ModelStore(tmp_path)
    store.save(CUTOFF.isoformat(), first.model)
    stored = lambda week: store.load(week.isoformat())  # noqa: E731
    real_fit = tr.train_points_model
    fits = []
    monkeypatch.setattr(tr, "train_points_model", lambda *a: fits.append(a[2]) or real_fit(*a))

    kept = tr.fit_week(CUTOFF, feats, actuals, params, 28, stored=stored)
    assert kept.reused and fits == [] and kept.train_rows == first.train_rows
    assert kept.model.booster.model_to_string() == first.model.booster.model_to_string()

    # One training row's points changed (a late stat correction): fitted again.
    row = tr.training_frame(feats, actuals, CUTOFF, 28).row(0, named=True)
    one = (pl.col("game_id") == row["game_id"]) & (pl.col("player_lookup") == row["player_lookup"])
    changed = actuals.with_columns(points=pl.when(one).then(pl.col("points") + 1).otherwise(pl.col("points")))
    refit = tr.fit_week(CUTOFF, feats, changed, params, 28, stored=stored)
    assert not refit.reused and fits == [CUTOFF]
    other = tr.fit_week(CUTOFF, feats, actuals, tr.ModelParams(num_boost_round=21), 28, stored=stored)
    assert not other.reused and len(fits) == 2

    old = first.model
    old.metrics.pop("training_fingerprint")  # a model saved before fingerprints
    store.save(CUTOFF.isoformat(), old)
    again = tr.fit_week(CUTOFF, feats, actuals, params, 28, stored=stored)
    assert not again.reused and len(fits) == 3
    assert again.model.booster.model_to_string() == first.model.booster.model_to_string()
    assert again.model.metrics["training_fingerprint"] == kept.model.metrics["training_fingerprint"]


def test_training_fingerprint_follows_every_value_and_the_cutoff(league):
    feats, actuals = league
    train = tr.training_frame(feats, actuals, CUTOFF, 28)
    params = tr.ModelParams()
    fp = tr.training_fingerprint(train, params, CUTOFF)
    assert fp == tr.training_fingerprint(train.clone(), params, CUTOFF)
    bumped = train.with_columns(pts_l10=pl.when(pl.int_range(pl.len()) == 5).then(pl.col("pts_l10") + 0.01)
                                .otherwise(pl.col("pts_l10")))
    assert tr.training_fingerprint(bumped, params, CUTOFF) != fp
    assert tr.training_fingerprint(train.head(train.height - 1), params, CUTOFF) != fp
    assert tr.training_fingerprint(train, params, CUTOFF + dt.timedelta(days=7)) != fp
    assert tr.training_fingerprint(train, tr.ModelParams(seed=8), CUTOFF) != fp
