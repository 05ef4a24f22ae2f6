"""`tonight` and `best_bets`: the slate of one game day as the last refresh left it."""

from __future__ import annotations

import datetime as dt
import itertools
from operator import itemgetter
from typing import Any

import polars as pl

from nba_assets.logic.exports import fields as f
from nba_assets.logic.exports import selection
from nba_assets.logic.exports.encode import SCHEMA_VERSION
from nba_assets.logic.exports.fields import pick_id
from nba_assets.logic.exports.record import graded_record


def _header(name: str, day: dt.date, predictions: pl.DataFrame) -> dict[str, Any]:
    """The fields every slate document starts with; `as_of` is the newest prediction it shows."""
    as_of = predictions["created_at"].max() if predictions.height else None
    return {"schema_version": SCHEMA_VERSION, "document": name, "game_date": day, "as_of": as_of}


def _line(row: dict[str, Any]) -> dict[str, Any] | None:
    if row[f.PICK_LINE] is None and row[f.CONSENSUS_LINE] is None:
        return None
    return {
        "consensus": row[f.CONSENSUS_LINE],
        "book_count": row[f.BOOK_COUNT],
        "best": {"book": row[f.PICK_BOOK], "line": row[f.PICK_LINE], "price": row[f.PICK_PRICE]},
        "snapshot_ts": row["line_snapshot_ts"],
    }


def _prediction(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "system_id": row["system_id"], "predicted_points": row["predicted_points"], "p_over": row["p_over"],
        "edge": row["edge"], "recommendation": row["recommendation"], "confidence": row["confidence"],
        "refresh": row["refresh"], "created_at": row["created_at"],
    }  # fmt: skip


def _latest(values) -> Any:
    """The largest non-null value (polars' max), None when there is none."""
    return max((v for v in values if v is not None), default=None)


def _player(gid: str, lookup: str, prow: list[dict[str, Any]], champion: str | None) -> dict[str, Any]:
    """A lined player's entry in tonight: `prow`, the player's predictions of the game sorted by system."""
    chosen = [r for r in prow if r["system_id"] == champion]
    # the line as the champion's row has it (its pick's offer), else the first system's
    first = (chosen or prow)[0]
    pick = None
    if chosen and chosen[0]["recommendation"] in ("OVER", "UNDER"):
        c = chosen[0]
        pick = {"pick_id": pick_id(gid, lookup, c["system_id"]), "side": c["recommendation"],
                "system_id": c["system_id"], "line": c[f.PICK_LINE], "book": c[f.PICK_BOOK],
                "price": c[f.PICK_PRICE], "edge": c["edge"], "p_over": c["p_over"]}  # fmt: skip
    return {
        "player_lookup": lookup,
        "injury_status": first["injury_status"],
        "line": _line(first),
        "pick": pick,
        "predictions": [_prediction(r) for r in prow],
        "last_refreshed": _latest(r["created_at"] for r in prow),
    }


def tonight(day: dt.date, predictions: pl.DataFrame, games: pl.DataFrame, champion: str | None) -> dict[str, Any]:
    """The slate of `day`: each game (tip-off, teams, last refresh), each lined player with the line,
    every system's prediction, the champion's side and the injury status. Players without a line are
    left out (nothing to bet); games without a lined player are listed with no players."""
    every = f.priced(predictions)
    refreshed = dict(every.group_by("game_id").agg(pl.col("created_at").max()).iter_rows()) if every.height else {}
    preds = every.filter(pl.col(f.PICK_LINE).is_not_null() | pl.col(f.CONSENSUS_LINE).is_not_null())
    doc = _header("tonight", day, every)
    doc["champion"] = champion
    teams = {r["game_id"]: r for r in games.select("game_id", "home_team", "away_team", "tipoff_utc").iter_rows(named=True)}
    out_games = []
    game_ids = sorted(set(teams) | set(preds["game_id"].to_list()))
    # One sort and one pass over the rows: a season's slates split per game and player in polars spent
    # most of their time in per-player frame operations.
    by_game: dict[str, list[dict[str, Any]]] = {}
    for row in preds.sort(["game_id", "player_lookup", "system_id"], maintain_order=True).iter_rows(named=True):
        by_game.setdefault(row["game_id"], []).append(row)
    for gid in game_ids:
        rows = by_game.get(gid, [])
        info = teams.get(gid, {})
        tip = info.get("tipoff_utc") or _latest(r["tipoff_utc"] for r in rows)
        players = [_player(gid, lookup, list(prow), champion)
                   for lookup, prow in itertools.groupby(rows, key=itemgetter("player_lookup"))]  # fmt: skip
        out_games.append({
            "game_id": gid, "tipoff_utc": tip, "home_team": info.get("home_team"), "away_team": info.get("away_team"),
            "last_refreshed": refreshed.get(gid), "players": players,
        })  # fmt: skip
    out_games.sort(key=lambda g: (g["tipoff_utc"] is None, g["tipoff_utc"] or dt.datetime.min.replace(tzinfo=dt.UTC),
                                  g["game_id"]))
    doc["games"] = out_games
    return doc


def best_bets(
    day: dt.date, predictions: pl.DataFrame, champion: str | None, past_picks: pl.DataFrame
) -> dict[str, Any]:
    """The picks the selection rule keeps from the champion's picks of `day`, and the rule's graded
    record over `past_picks` (the graded champion picks of the season before `day`)."""
    preds = f.priced(predictions)
    doc = _header("best_bets", day, preds)
    doc["champion"] = champion
    doc["rule"] = selection.RULE
    chosen = selection.best_bets(preds.filter(pl.col("system_id").eq_missing(champion))) if champion else preds.clear()
    doc["picks"] = [
        {
            "rank": r["rank"], "pick_id": pick_id(r["game_id"], r["player_lookup"], r["system_id"]),
            "game_id": r["game_id"], "tipoff_utc": r["tipoff_utc"], "player_lookup": r["player_lookup"],
            "system_id": r["system_id"], "side": r["recommendation"], "line": r[f.PICK_LINE], "book": r[f.PICK_BOOK],
            "price": r[f.PICK_PRICE], "consensus_line": r[f.CONSENSUS_LINE], "predicted_points": r["predicted_points"],
            "edge_points": r["edge_points"], "probability": r["probability"], "injury_status": r["injury_status"],
            "created_at": r["created_at"],
        }  # fmt: skip
        for r in chosen.iter_rows(named=True)
    ]
    doc["record"] = graded_record(selection.best_bets(past_picks) if past_picks.height else past_picks)
    return doc
