"""A player's own injury report as of a prediction: a feature of the row and a gate on the bet.

Point in time: the status used by a prediction made at `created_at` is the latest report of the game
day published at or before `created_at` (`report_ts <= created_at`). Two reports feed it: the NBA's
official injury report (raw/injury_report, several releases a day) and Ball Don't Lie's (raw/injuries).
When an official release at or before `created_at` lists the player, his latest official status is
used (the one books and teams act on); otherwise Ball Don't Lie's latest (`status_asof(..., official)`). A report published later changes
nothing about that row; the next refresh picks it up and, the status having changed, appends a new row
to the recommendation history.

The gate (first match wins, after "no line"):
- OUT          -> PASS, reason `INJURED_OUT: ...`. He will not play; a bet would be voided at best.
- DOUBTFUL     -> PASS, reason `INJURY_DOUBTFUL: ...`. Usually does not play; if he does, minutes are
                  capped, which the form windows cannot know.
- QUESTIONABLE -> a side only when |edge| >= EDGE_THRESHOLD + QUESTIONABLE_EXTRA_EDGE (else PASS,
                  reason `INJURY_QUESTIONABLE: ...`), and confidence multiplied by
                  QUESTIONABLE_CONFIDENCE: he may sit or play limited minutes, so a bet needs a wider
                  margin and carries less confidence.
- PROBABLE / AVAILABLE / no report -> no change.
The feeds spell statuses differently ("Out", "out", "Day-To-Day", "GTD"); `normalise_status` maps them,
and an unknown spelling is an error naming the player and the value (never silently "available").
"""

from __future__ import annotations

import polars as pl

from nba_assets.contracts import INJURY_STATUSES

INJURED_OUT = "INJURED_OUT"
INJURY_DOUBTFUL = "INJURY_DOUBTFUL"
INJURY_QUESTIONABLE = "INJURY_QUESTIONABLE"
QUESTIONABLE_EXTRA_EDGE = 1.0  # points of edge on top of the normal threshold
QUESTIONABLE_CONFIDENCE = 0.5

_SPELLINGS = {
    "out": "OUT",
    "out for season": "OUT",
    "suspended": "OUT",
    "doubtful": "DOUBTFUL",
    "questionable": "QUESTIONABLE",
    "day-to-day": "QUESTIONABLE",
    "day to day": "QUESTIONABLE",
    "gtd": "QUESTIONABLE",
    "game time decision": "QUESTIONABLE",
    "probable": "PROBABLE",
    "available": "AVAILABLE",
    "active": "AVAILABLE",
}
STATUS_SCHEMA = {
    "game_date": pl.Date,
    "player_lookup": pl.Utf8,
    "injury_status": pl.Utf8,
    "injury_report_ts": pl.Datetime("us", "UTC"),
}


def normalise_status(injuries: pl.DataFrame) -> pl.DataFrame:
    """raw/injuries rows with `injury_status` in INJURY_STATUSES; ValueError naming unknown spellings."""
    out = injuries.with_columns(
        injury_status=pl.col("status").str.strip_chars().str.to_lowercase().replace_strict(
            _SPELLINGS, default=None, return_dtype=pl.Utf8
        )
    )
    bad = out.filter(pl.col("injury_status").is_null())
    if bad.height:
        first = bad.row(0, named=True)
        raise ValueError(
            f"injury report {first['report_ts']} for {first['player_lookup']}: status {first['status']!r} is "
            f"not a known spelling of {INJURY_STATUSES} ({bad.height} such rows)"
        )
    return out


def _asof(reports: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` with injury_status and injury_report_ts of the latest report at or before created_at."""
    if reports.height == 0:
        return rows.with_columns(
            pl.lit(None, dtype=pl.Utf8).alias("injury_status"),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("injury_report_ts"),
        )
    reports = (
        normalise_status(reports)
        .select("game_date", "player_lookup", "injury_status", pl.col("report_ts").alias("injury_report_ts"))
        # Two reports at the same instant: the more severe status wins (deterministic).
        .with_columns(_sev=pl.col("injury_status").replace_strict(
            {s: i for i, s in enumerate(INJURY_STATUSES)}, return_dtype=pl.Int64))
        .sort(["injury_report_ts", "_sev"], descending=[False, True])
        .unique(["game_date", "player_lookup", "injury_report_ts"], keep="last", maintain_order=True)
        .drop("_sev")
        .sort("injury_report_ts")
    )
    keyed = rows.with_row_index("_i").sort("created_at")
    out = keyed.join_asof(
        reports,
        left_on="created_at",
        right_on="injury_report_ts",
        by=["game_date", "player_lookup"],
        strategy="backward",
        check_sortedness=False,  # sorted by created_at above; polars cannot verify it within `by` groups
    )
    return out.sort("_i").drop("_i")


def status_asof(injuries: pl.DataFrame, rows: pl.DataFrame, official: pl.DataFrame | None = None) -> pl.DataFrame:
    """`rows` (game_date, player_lookup, created_at, ...) with injury_status and injury_report_ts: the
    latest official status at or before created_at when there is one, else the latest Ball Don't Lie
    report of the game day with report_ts <= created_at (null when there is none)."""
    feed = _asof(injuries, rows)
    if official is None or official.height == 0:
        return feed
    cols = ["game_date", "player_lookup", "status", "report_ts"]
    league = _asof(official.select(cols), rows.select("game_date", "player_lookup", "created_at"))
    pick = league["injury_status"].is_not_null()
    return feed.with_columns(
        pl.when(pick).then(league["injury_status"]).otherwise(pl.col("injury_status")).alias("injury_status"),
        pl.when(pick).then(league["injury_report_ts"]).otherwise(pl.col("injury_report_ts")).alias("injury_report_ts"),
    )


RECONCILE_SCHEMA = {"game_date": pl.Date, "player_lookup": pl.Utf8, "team": pl.Utf8,
                    "official": pl.Utf8, "bdl": pl.Utf8, "verdict": pl.Utf8}


def reconcile(official: pl.DataFrame, bdl: pl.DataFrame) -> pl.DataFrame:
    """Per (game_date, player) on either report: each one's latest status of the day, normalised, and a
    verdict: `agree`, `status_differs`, `official_only` or `bdl_only` (RECONCILE_SCHEMA)."""
    def latest(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        if frame.height == 0:
            return pl.DataFrame(schema={"game_date": pl.Date, "player_lookup": pl.Utf8, f"{name}_team": pl.Utf8,
                                        name: pl.Utf8})
        return (normalise_status(frame.select("game_date", "player_lookup", "team", "status", "report_ts"))
                .sort("report_ts").group_by("game_date", "player_lookup").last()
                .select("game_date", "player_lookup", pl.col("team").alias(f"{name}_team"),
                        pl.col("injury_status").alias(name)))

    both = latest(official, "official").join(latest(bdl, "bdl"), on=["game_date", "player_lookup"], how="full",
                                             coalesce=True)
    verdict = (pl.when(pl.col("bdl").is_null()).then(pl.lit("official_only"))
               .when(pl.col("official").is_null()).then(pl.lit("bdl_only"))
               .when(pl.col("official") == pl.col("bdl")).then(pl.lit("agree"))
               .otherwise(pl.lit("status_differs")))
    return both.select("game_date", "player_lookup", pl.coalesce("official_team", "bdl_team").alias("team"),
                       "official", "bdl", verdict.alias("verdict")).sort("game_date", "player_lookup")


def gate_reason(edge_threshold: float) -> tuple[pl.Expr, pl.Expr]:
    """(is_gated, reason) expressions over injury_status, injury_report_ts and edge (rules above)."""
    status, edge = pl.col("injury_status"), pl.col("edge").abs()
    when = pl.col("injury_report_ts").dt.convert_time_zone("America/New_York").dt.strftime("%Y-%m-%d %H:%M ET")
    wide = edge_threshold + QUESTIONABLE_EXTRA_EDGE
    questionable_small = (status == "QUESTIONABLE") & (edge < wide)
    gated = (status == "OUT") | (status == "DOUBTFUL") | questionable_small
    reason = (
        pl.when(status == "OUT")
        .then(pl.format(f"{INJURED_OUT}: listed out in the report of {{}}", when))
        .when(status == "DOUBTFUL")
        .then(pl.format(f"{INJURY_DOUBTFUL}: listed doubtful in the report of {{}}", when))
        .when(questionable_small)
        .then(pl.format(f"{INJURY_QUESTIONABLE}: |edge| < {wide:g} while listed questionable ({{}})", when))
    )
    return gated.fill_null(False), reason


def confidence_factor() -> pl.Expr:
    """Multiplier on confidence: QUESTIONABLE_CONFIDENCE for questionable players, else 1."""
    return pl.when(pl.col("injury_status") == "QUESTIONABLE").then(QUESTIONABLE_CONFIDENCE).otherwise(1.0)
