"""Model evaluation over the graded lake: every prediction system (and the market line), DuckDB only.

Definitions (the same as grading/system_daily_performance, pooled over rows instead of days):
- MAE / bias: over rows where the player played (actual_points not null).
- hit rate: W / (W + L); pushes, PASS, VOID and NO_LINE rows are not bets.
- coverage: share of predictions with a line.
- Brier: (p_over - 1[actual > line])^2 over rows with line, actual and p_over, pushes (actual == line) left out.
- market: the consensus line itself as a points prediction, on rows with a line (the simulator's
  books see the true expectation with ~4% error: the bar a line-aware model is measured against).

Scopes:
- `season`: every graded row of each system (the systems cover different rows: lgbm only exists
  from the first week with enough history).
- `same_rows`: (game_id, player_lookup) rows graded by EVERY system with an actual: the fair comparison.
- `same_rows_with_line`: the same, restricted to rows with a line (the props market).
- `by_month`: same_rows per month.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

MODEL = "lgbm_points_v1"
BASELINE = "moving_avg_l10"

_METRICS = """
    count(*) as n,
    count(actual_points) as n_actual,
    avg(abs(predicted_points - actual_points)) as mae,
    avg(predicted_points - actual_points) as bias,
    sum(case when outcome = 'WIN' then 1 else 0 end) as wins,
    sum(case when outcome = 'LOSS' then 1 else 0 end) as losses,
    sum(case when outcome = 'PUSH' then 1 else 0 end) as pushes,
    sum(case when outcome = 'WIN' then 1 else 0 end)::double
      / nullif(sum(case when outcome in ('WIN', 'LOSS') then 1 else 0 end), 0) as hit_rate,
    avg(case when line is not null then 1.0 else 0.0 end) as coverage,
    avg(case when line is not null and actual_points is not null and p_over is not null
             and actual_points <> line
        then power(p_over - case when actual_points > line then 1.0 else 0.0 end, 2) end) as brier,
    avg(case when line is not null and actual_points is not null then abs(line - actual_points) end)
      as market_mae
"""


# Share of current predictions the player's injury status changed: a side turned into PASS by the gate
# (INJURED_OUT / INJURY_DOUBTFUL / INJURY_QUESTIONABLE on a row that would otherwise have been a bet:
# |edge| >= 2 and feature quality >= 50), or a bet whose confidence was halved (questionable).
INJURY_EFFECT = """
    select system_id, count(*) as n,
      avg(case when injury_status is not null then 1.0 else 0.0 end) as with_injury_report,
      avg(case when pass_reason like 'INJUR%' and abs(edge) >= 2 and feature_quality_score >= 50
               then 1.0 else 0.0 end) as side_to_pass,
      avg(case when injury_status = 'QUESTIONABLE' and recommendation in ('OVER', 'UNDER')
               then 1.0 else 0.0 end) as confidence_halved,
      avg(case when (pass_reason like 'INJUR%' and abs(edge) >= 2 and feature_quality_score >= 50)
                 or (injury_status = 'QUESTIONABLE' and recommendation in ('OVER', 'UNDER'))
               then 1.0 else 0.0 end) as changed
    from {view} group by 1 order by 1
"""
# History shape: rows per (game, player, system) and per refresh.
HISTORY_SHAPE = """
    select refresh, count(*) as rows, count(distinct game_id || player_lookup || system_id) as keys
    from {view} group by 1 order by 1
"""


def _rows(df: pl.DataFrame) -> list[dict]:
    return [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in df.iter_rows(named=True)]


def evaluate(data_dir: str | Path, results_dir: Path | None = None, name: str = "bench") -> dict:
    """Metrics per system and scope (see the module docstring), plus the calibration table."""
    from nba_assets.logic import report as rlog
    from nba_assets.tables import PREDICTION_GRADES
    from resources.lake import LakeReader

    grades_view = PREDICTION_GRADES.view
    reader = LakeReader(str(data_dir))
    if not reader.has(PREDICTION_GRADES):
        return {"error": f"no {grades_view} in the lake"}
    con = reader.connect()
    # The same rows: player-games graded by EVERY system present (lgbm and the market-anchored system
    # exist only from the first week with a model), with an actual.
    con.sql(
        f"""
        create or replace temp view both_rows as
        select game_id, player_lookup from {grades_view}
        where actual_points is not null
        group by 1, 2
        having count(distinct system_id) = (select count(distinct system_id) from {grades_view})
        """
    )
    out: dict = {}
    out["season"] = _rows(
        con.sql(f"select system_id, {_METRICS}, min(game_date) as first_day from {grades_view} "
                "group by 1 order by 1").pl()
    )
    same = f"from {grades_view} g semi join both_rows using (game_id, player_lookup)"
    out["same_rows"] = _rows(con.sql(f"select system_id, {_METRICS} {same} group by 1 order by 1").pl())
    out["same_rows_with_line"] = _rows(
        con.sql(f"select system_id, {_METRICS} {same} where line is not null group by 1 order by 1").pl()
    )
    out["by_month"] = _rows(
        con.sql(
            f"select strftime(game_date, '%Y-%m') as month, system_id, {_METRICS} {same} "
            "group by 1, 2 order by 1, 2"
        ).pl()
    )
    out["lgbm_first_day"] = con.sql(
        f"select min(game_date)::varchar from {grades_view} where system_id = '{MODEL}'"
    ).fetchall()[0][0]

    def pick(scope: str, system: str, key: str):
        return next((r[key] for r in out[scope] if r["system_id"] == system), None)

    ratios = {}
    for scope in ("same_rows", "same_rows_with_line"):
        m, b = pick(scope, MODEL, "mae"), pick(scope, BASELINE, "mae")
        mk = pick(scope, BASELINE, "market_mae")
        ratios[scope] = {
            "lgbm_mae": m, "l10_mae": b, "market_mae": mk,
            "lgbm_over_l10": round(m / b, 4) if m and b else None,
            # The line exists only on lined rows: a ratio to L10 means something only in that scope.
            "market_over_l10": round(mk / b, 4) if mk and b and scope == "same_rows_with_line" else None,
        }
    out["ratios"] = ratios
    out["target_met"] = bool(ratios["same_rows"]["lgbm_over_l10"] is not None and ratios["same_rows"]["lgbm_over_l10"] <= 0.95)

    from nba_assets.tables import PLAYER_PROP_PREDICTIONS, RECOMMENDATION_HISTORY

    preds, hist = PLAYER_PROP_PREDICTIONS, RECOMMENDATION_HISTORY
    out["injury_effect"] = _rows(con.sql(INJURY_EFFECT.format(view=preds.view)).pl()) if reader.has(preds) else []
    out["history"] = _rows(con.sql(HISTORY_SHAPE.format(view=hist.view)).pl()) if reader.has(hist) else []

    grades = con.sql(f"select * from {grades_view}").pl()
    rep = rlog.season_report(grades)
    out["calibration"] = _rows(rep.calibration)
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        png = results_dir / f"{name}_calibration.png"
        png.write_bytes(rep.calibration_png)
        out["calibration_png"] = str(png)
    return out


def format_eval(ev: dict) -> str:
    if "error" in ev:
        return f"model evaluation: {ev['error']}"
    lines = [f"model evaluation (lgbm first graded day: {ev['lgbm_first_day']})"]
    hdr = f"  {'scope':<22}{'system':<17}{'rows':>7}{'actual':>8}{'MAE':>8}{'bias':>8}{'W-L-P':>16}{'hit':>7}{'cover':>7}{'Brier':>7}{'mktMAE':>8}"
    lines.append(hdr)
    for scope in ("season", "same_rows", "same_rows_with_line"):
        for r in ev[scope]:
            def f(v, p=3):
                return "-" if v is None else f"{v:.{p}f}"
            wlp = f"{r['wins']}-{r['losses']}-{r['pushes']}"
            lines.append(
                f"  {scope:<22}{r['system_id']:<17}{r['n']:>7}{r['n_actual']:>8}{f(r['mae']):>8}{f(r['bias']):>8}"
                f"{wlp:>16}{f(r['hit_rate']):>7}{f(r['coverage']):>7}{f(r['brier']):>7}{f(r['market_mae']):>8}"
            )
    for scope, r in ev["ratios"].items():
        lines.append(
            f"  {scope}: lgbm MAE {r['lgbm_mae']} / L10 MAE {r['l10_mae']} = {r['lgbm_over_l10']}"
            f"   (market line MAE {r['market_mae']}, market / L10 = {r['market_over_l10']})"
        )
    lines.append(f"  target lgbm MAE <= 0.95 x L10 (same rows): {'MET' if ev['target_met'] else 'NOT MET'}")
    for r in ev.get("injury_effect", []):
        lines.append(f"  injury status, {r['system_id']}: changed {r['changed']:.4f} of {r['n']} predictions "
                     f"(side -> PASS {r['side_to_pass']:.4f}, confidence halved {r['confidence_halved']:.4f}; "
                     f"with a report {r['with_injury_report']:.4f})")
    for r in ev.get("history", []):
        lines.append(f"  history refresh {r['refresh']}: {r['rows']} rows")
    lines.append("  by month (same rows): " + "  ".join(
        f"{r['month']} {r['system_id'][:4]} {r['mae']:.3f}" for r in ev["by_month"]
    ))
    if "calibration_png" in ev:
        lines.append(f"  calibration plot: {ev['calibration_png']}")
    return "\n".join(lines)
