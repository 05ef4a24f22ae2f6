"""The official injury report against Ball Don't Lie's: who is out on one and absent from the other.

WARN: one source missed a player; the gate uses the official status when there is one
(nba_assets/logic/injuries.py reconciles the two per game day and player).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from checks.result import RuleResult, from_offending
from nba_assets.logic import injuries as injury_logic

_ONE_SIDED_OUT = pl.col("verdict").is_in(["official_only", "bdl_only"]) & (pl.coalesce("official", "bdl") == "OUT")


def injury_reports_conflict(official: pl.DataFrame, bdl: pl.DataFrame) -> RuleResult:
    """Players one report has OUT that the other does not list at all (the official report's teams
    only: Ball Don't Lie also lists teams not playing); a status the later official release updated
    (Questionable, then Out or Available) is counted in `verdicts`, not a conflict."""
    return _conflicts(injury_logic.reconcile(official, bdl.filter(pl.col("team").is_in(official["team"].implode()))))


def injury_reports_conflict_by_day(official: pl.DataFrame, bdl: pl.DataFrame,
                                   days: Sequence[str]) -> dict[str, RuleResult]:
    """`injury_reports_conflict` of each ISO day's rows, in one pass: a day's Ball Don't Lie rows are
    kept for the teams of that day's official report, and the reconciliation is per day and player."""
    teams = official.select("game_date", "team").unique()
    rec = injury_logic.reconcile(official, bdl.join(teams, on=["game_date", "team"], how="semi"))
    by_day = {str(k[0]): v for k, v in rec.partition_by("game_date", as_dict=True, maintain_order=True).items()}
    return {d: _conflicts(by_day.get(d, rec.head(0))) for d in days}


def _conflicts(rec: pl.DataFrame) -> RuleResult:
    verdicts = {v: n for v, n in rec.group_by("verdict").len().sort("verdict").iter_rows()}
    return from_offending(rec.filter(_ONE_SIDED_OUT), ok="the official and Ball Don't Lie reports agree on who is out",
                          problem="{n} player(s) out on one injury report and absent from the other ({dates} day(s))",
                          extra={"verdicts": verdicts})
