"""The game-line features' effect on the points model, on a lake the pipeline built (sim-only figures).

    .venv/bin/python bench/game_lines_effect.py <data_dir> [--start YYYY-MM-DD] [--end YYYY-MM-DD]

Walk-forward like the pipeline (nba_assets/logic/training.py): for every Monday-start week of the
window, one model trained on the feature rows before it (min_history_days = 28, the default) and one
trained on the same rows with the game-line columns (logic/game_lines.COLUMNS) blanked, so LightGBM
cannot split on them; both predict the week's rows of players who played. Reports per variant the
MAE over those rows, and on the rows with a consensus prop line: the model's MAE, the line's own MAE
(the market as a points prediction) and the share of rows where the model is closer to the actual
than the line. On the simulated league the books' game lines come from the teams' true expectations
with stated noise (resources/sim/game_lines.py), so the effect is a property of the simulation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import polars as pl

from nba_assets import tables as t
from nba_assets.logic import game_lines, modeling, training

MIN_HISTORY_DAYS = 28


def _read(lake: Path, table: t.Table) -> pl.DataFrame:
    files = sorted((lake / table.layer / table.name).glob("*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files], how="vertical_relaxed") if files else table.empty()


def evaluate(data_dir: Path, start: dt.date | None, end: dt.date | None) -> dict:
    lake = data_dir / "lake"
    feats = _read(lake, t.PLAYER_FEATURES)
    actuals = _read(lake, t.PLAYER_GAME_SUMMARY).select("game_id", "player_lookup", "dnp", "points")
    days = feats["game_date"].unique().sort()
    first = start or days[0] + dt.timedelta(days=MIN_HISTORY_DAYS)
    last = end or days[-1]
    weeks = sorted({d - dt.timedelta(days=d.weekday()) for d in days if first <= d <= last})
    blank = feats.with_columns(pl.lit(None, pl.Float64).alias(c) for c in game_lines.COLUMNS)
    played = actuals.filter(~pl.col("dnp")).select("game_id", "player_lookup", pl.col("points").cast(pl.Float64))
    out: dict[str, list[pl.DataFrame]] = {"with": [], "without": []}
    for week in weeks:
        target = feats.filter((pl.col("game_date") >= max(week, first)) & (pl.col("game_date") < week + dt.timedelta(days=7))
                              & (pl.col("game_date") <= last)).join(played, on=["game_id", "player_lookup"])
        for name, frame in (("with", feats), ("without", blank)):
            fit = training.fit_week(week, frame, actuals, training.ModelParams(), MIN_HISTORY_DAYS)
            if fit.model is None or not target.height:
                continue
            rows = target if name == "with" else target.with_columns(pl.lit(None, pl.Float64).alias(c) for c in game_lines.COLUMNS)
            out[name].append(rows.select("game_date", "points", "consensus_line",
                                         modeling.predict_points(fit.model, rows).alias("pred")))
    result = {"window": [str(first), str(last)], "weeks": len(weeks),
              "rows_with_game_lines": feats.filter(pl.col("implied_team_total").is_not_null()).height,
              "feature_rows": feats.height}
    for name, frames in out.items():
        df = pl.concat(frames)
        lined = df.filter(pl.col("consensus_line").is_not_null())
        result[name] = {
            "rows": df.height, "mae": round(float((df["pred"] - df["points"]).abs().mean()), 4),
            "lined_rows": lined.height,
            "lined_mae": round(float((lined["pred"] - lined["points"]).abs().mean()), 4),
            "market_mae": round(float((lined["consensus_line"] - lined["points"]).abs().mean()), 4),
            "closer_than_market": round(float(((lined["pred"] - lined["points"]).abs()
                                               < (lined["consensus_line"] - lined["points"]).abs()).mean()), 4),
        }
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--start", type=dt.date.fromisoformat)
    ap.add_argument("--end", type=dt.date.fromisoformat)
    args = ap.parse_args()
    print(json.dumps(evaluate(args.data_dir, args.start, args.end), indent=2))


if __name__ == "__main__":
    main()
