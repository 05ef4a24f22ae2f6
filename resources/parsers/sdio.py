"""SportsDataIO NBA odds responses: BettingPlayerPropsByGameID, the player points markets, into prop_lines
rows (source "sportsdataio"); the game (teams, tip-off) comes from the date's BettingEventsByDate body.

A market is a player prop when BettingMarketType is "Player Prop"; its points are BettingBetType
"Total Points". Each outcome is one sportsbook's side: Over and Under of one book and Value pair into one
row (the book's line), its time is the later `Updated` of the two (US Eastern, no offset, as the API
writes every time). Outcomes that are alternates (IsAlternate) or in play (IsInPlay) are not a
pre-game main line and are left out. Book names become Odds API style keys (lowercase letters and
digits: "DraftKings" -> "draftkings"), so both feeds name a book the same.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from nba_assets import tables
from nba_assets.partitions import ET
from resources.parsers import common as pc
from resources.teams import UnknownTeamError, canonical_tricode

SOURCE = "sportsdataio"
POINTS_BET_TYPE = "total points"
PLAYER_PROP = "player prop"


def book_key(name: str) -> str:
    """'DraftKings' -> 'draftkings', 'BetMGM' -> 'betmgm': The Odds API's spelling of a book."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def eastern(field: str, value: Any) -> dt.datetime:
    """A SportsDataIO time (US Eastern, no offset) in UTC."""
    if not isinstance(value, str):
        raise pc._Bad(field, value, "time is required (ISO 8601, US Eastern)")
    try:
        ts = dt.datetime.fromisoformat(value)
    except ValueError:
        raise pc._Bad(field, value, "time is not ISO 8601") from None
    return (ts.replace(tzinfo=ET) if ts.tzinfo is None else ts).astimezone(dt.UTC)


def games_of(events_body: Any) -> dict[str, dict[str, Any]]:
    """GameID -> {home_team, away_team, commence_time} from a BettingEventsByDate body; events whose
    teams or start time cannot be read are left out (their props are then rejected, naming the game)."""
    out: dict[str, dict[str, Any]] = {}
    for e in events_body if isinstance(events_body, list) else []:
        e = pc._dict(e)
        try:
            out[str(e["GameID"])] = {
                "home_team": canonical_tricode(e.get("HomeTeam")),
                "away_team": canonical_tricode(e.get("AwayTeam")),
                "commence_time": eastern("GameStartTime", e.get("GameStartTime") or e.get("StartDate")),
            }
        except (KeyError, UnknownTeamError, pc._Bad):
            continue
    return out


def parse_sdio_player_props(body: Any, landing_file: str, games: Mapping[str, Mapping[str, Any]],
                            game_id: str | None = None) -> pc.ParseResult:
    """BettingPlayerPropsByGameID body -> one prop_lines row per (game, player, book). `game_id`: the
    GameID the request asked for, used where a market does not name its game."""
    ctx = pc._Ctx(SOURCE, "player_props", landing_file)
    table = tables.PROP_LINES
    out = pc._Collector(ctx, table, ["event_id", "player_lookup", "bookmaker", "snapshot_ts"])
    if not isinstance(body, list):
        return pc._file_reject(ctx, table, "body", body, "response must be a list of betting markets")
    for market in body:
        market = pc._dict(market)
        if str(market.get("BettingBetType", "")).casefold() != POINTS_BET_TYPE:
            continue
        if str(market.get("BettingMarketType", PLAYER_PROP)).casefold() != PLAYER_PROP:
            continue
        game_id = pc._opt_str(market.get("GameID")) or game_id
        game = games.get(game_id or "")
        date = game["commence_time"].astimezone(ET).date() if game else None
        name = market.get("PlayerName")
        where = {"game_date": date, "game_id": game_id, "player": name}
        if game is None:
            out.bad(pc._Bad("GameID", game_id, "game is not in the date's betting events"), **where)
            continue
        by_book: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
        for o in out.items(market.get("BettingOutcomes"), "BettingOutcomes", **where):
            o = pc._dict(o)
            if o.get("IsAlternate") or o.get("IsInPlay"):
                continue
            book = pc._dict(o.get("SportsBook")).get("Name")
            side = str(o.get("BettingOutcomeType", "")).strip().casefold()
            by_book.setdefault(str(book), {}).setdefault(side, []).append(o)
        for book, sides in by_book.items():
            try:
                row = _row(book, sides, name, game)
            except pc._Bad as bad:
                out.bad(bad, **where)
                continue
            out.add(row | {"game_date": date, "event_id": f"sdio:{game_id}", "landing_file": landing_file}, where)
    return out.result()


def _row(book: str, sides: Mapping[str, list[Mapping[str, Any]]], name: Any,
         game: Mapping[str, Any]) -> dict[str, Any]:
    if book in ("None", ""):
        raise pc._Bad("SportsBook.Name", None, "sportsbook is required")
    pname, lookup = pc._player("PlayerName", name)
    other = sorted(set(sides) - {"over", "under"})
    if other:
        raise pc._Bad(f"{book}.BettingOutcomeType", other[0], "outcome type must be Over or Under")
    values = {o.get("Value") for s in sides.values() for o in s}
    if len(values) != 1:
        raise pc._Bad(f"{book}.Value", sorted(map(str, values)), "one line per book (Over and Under agree)")
    point = values.pop()
    if isinstance(point, bool) or not isinstance(point, (int, float)) or not pc.MIN_LINE <= point <= pc.MAX_LINE:
        raise pc._Bad(f"{book}.Value", point, f"line must be a number {pc.MIN_LINE:g}-{pc.MAX_LINE:g}")
    prices: dict[str, float | None] = {}
    for side in ("over", "under"):
        outs = sides.get(side, [])
        if len(outs) > 1:
            raise pc._Bad(f"{book}.{side}", len(outs), "one outcome per side and book")
        prices[side] = pc._american(outs[0].get("PayoutAmerican")) if outs else None
        if outs and prices[side] is None:
            raise pc._Bad(f"{book}.{side}.PayoutAmerican", outs[0].get("PayoutAmerican"), "price is not American odds")
    ts = max(eastern(f"{book}.Updated", o.get("Updated")) for s in sides.values() for o in s)
    commence = game["commence_time"]
    return {
        "commence_time": commence,
        "home_team": game["home_team"],
        "away_team": game["away_team"],
        "player_name": pname,
        "player_lookup": lookup,
        "bookmaker": book_key(book),
        "market": "player_points",
        "line": float(point),
        "over_price": prices["over"],
        "under_price": prices["under"],
        "snapshot_ts": ts,
        "minutes_before_tip": (commence - ts).total_seconds() / 60,
        "source": SOURCE,
    }
