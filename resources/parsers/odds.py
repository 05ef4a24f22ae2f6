"""The Odds API responses: historical event odds, player_points market."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nba_assets import tables
from nba_assets.partitions import ET
from resources.parsers import common as pc
from resources.teams import (
    UnknownTeamError,
    tricode_from_full_name,
)


def _events(body: Any) -> tuple[list[Any], dt.datetime | None] | None:
    """(events, wrapper timestamp): live event odds, the historical wrapper, or a list of events."""
    wrapper_ts = None
    if isinstance(body, Mapping) and "data" in body and "bookmakers" not in body:
        if body.get("timestamp") is not None:
            wrapper_ts = pc._utc("timestamp", body.get("timestamp"))
        body = body.get("data")
    if isinstance(body, Mapping):
        return [body], wrapper_ts
    if isinstance(body, list):
        return body, wrapper_ts
    return None


def parse_odds_event_odds(
    body: dict, landing_file: str, snapshot_ts: dt.datetime | None = None
) -> pc.ParseResult:
    """The Odds API v4 event odds (live body or historical wrapper): one row per (player, bookmaker).

    Over and Under outcomes with the same description and point form one row; a lone side keeps a
    null price on the other. snapshot_ts = wrapper timestamp, else the argument, else the market's
    (or bookmaker's) last_update. Prices come out American; decimal prices are converted.
    """
    ctx = pc._Ctx("oddsapi", "event_odds", landing_file)
    table = tables.PROP_LINES
    out = pc._Collector(ctx, table, ["event_id", "player_lookup", "bookmaker", "snapshot_ts"])
    try:
        found = _events(body)
    except pc._Bad as bad:
        return pc.ParseResult(rows=pc._template(table).clear(), rejects=pc._rejects_frame([ctx.reject(bad)]))
    if found is None:
        rule = "response must be an event, a list of events or a historical wrapper"
        return pc._file_reject(ctx, table, "data", body, rule)
    events, wrapper_ts = found
    given_ts = wrapper_ts or (pc._aware_utc("snapshot_ts", snapshot_ts) if snapshot_ts is not None else None)
    for event in events:
        _parse_event(pc._dict(event), given_ts, ctx, out)
    return out.result()


def _parse_event(event: Mapping[str, Any], given_ts: dt.datetime | None, ctx: pc._Ctx, out: pc._Collector) -> None:
    event_id = pc._opt_str(event.get("id"))
    game_date: dt.date | None = None
    event_error: pc._Bad | None = None
    commence = home = away = None
    try:
        if event_id is None:
            raise pc._Bad("id", event.get("id"), "event id is required")
        commence = pc._utc("commence_time", event.get("commence_time"))
        game_date = commence.astimezone(ET).date()
        home = _team_name("home_team", event.get("home_team"))
        away = _team_name("away_team", event.get("away_team"))
    except pc._Bad as bad:
        event_error = bad
    n_records = 0
    at = {"game_date": game_date, "game_id": event_id}
    for book in out.items(event.get("bookmakers"), "bookmakers", **at):
        book = pc._dict(book)
        book_key = pc._opt_str(book.get("key")) or "?"
        for market in out.items(book.get("markets"), "markets", **at):
            market = pc._dict(market)
            if market.get("key") != "player_points":
                continue
            pairs = _pair_outcomes(out.items(market.get("outcomes"), "outcomes", **at))
            alternates = _ladder_alternates(pairs)
            for (name, point), sides in pairs.items():
                n_records += 1
                where = {"game_date": game_date, "game_id": event_id, "player": name}
                if (name, point) in alternates:
                    # Not an error of the source: kept out by name (WARN), the main line is the row.
                    rule = "alternate line of a ladder (the book's most even-priced line is kept)"
                    out.duplicates.append(ctx.reject(pc._Bad(f"{book_key}.point", point, rule), **where))
                    continue
                try:
                    if event_error is not None:
                        raise event_error
                    row = _prop_row(book_key, book, market, name, point, sides, given_ts)
                except pc._Bad as bad:
                    out.bad(bad, **where)
                    continue
                row |= {
                    "game_date": game_date,
                    "event_id": event_id,
                    "commence_time": commence,
                    "home_team": home,
                    "away_team": away,
                    "minutes_before_tip": (commence - row["snapshot_ts"]).total_seconds() / 60,
                    "landing_file": ctx.landing_file,
                    "source": "oddsapi",
                }
                out.add(row, where)
    if event_error is not None and n_records == 0:
        out.bad(event_error, game_date=game_date, game_id=event_id)


def _team_name(field: str, name: Any) -> str:
    try:
        return tricode_from_full_name(name if isinstance(name, str) else "")
    except UnknownTeamError:
        raise pc._Bad(field, name, "unknown team name") from None


def _pair_outcomes(outcomes: Iterable[Any]) -> dict[tuple[Any, Any], dict[str, list[Any]]]:
    """(description, point) -> {"over": [prices], "under": [prices], "other": [names]}, in file order."""
    pairs: dict[tuple[Any, Any], dict[str, list[Any]]] = {}
    for o in outcomes:
        o = pc._dict(o)
        desc = o.get("description")
        desc = _spaced(desc) if isinstance(desc, str) else _hashable(desc)
        point = o.get("point")
        key = (desc, point if type(point) is float else _hashable(point))
        slot = pairs.get(key)
        if slot is None:
            slot = pairs[key] = {"over": [], "under": [], "other": []}
        name = o.get("name", "")
        side = _SIDES.get(name) if type(name) is str else None  # the API's own spelling: no string work
        if side is None:
            side = str(name).strip().casefold()
        if side in ("over", "under"):
            slot[side].append(_hashable(o.get("price")))
        else:
            slot["other"].append(o.get("name"))
    return pairs


_SIDES = {"Over": "over", "Under": "under"}


@lru_cache(maxsize=65536)
def _spaced(text: str) -> str:
    """A description with its runs of whitespace as one space (each player's name comes once per outcome)."""
    return " ".join(text.split())


@dataclass(frozen=True)
class _Malformed:
    """A list or object where the API puts a name or a number, as its text: the outcome is paired and
    then rejected by the rule of its field (it is neither a name nor a line), not a TypeError."""

    text: str

    def __str__(self) -> str:
        return self.text


def _hashable(value: Any) -> Any:
    return _Malformed(pc._short(value)) if isinstance(value, (list, dict)) else value


def _ladder_alternates(pairs: Mapping[tuple[Any, Any], Mapping[str, list[Any]]]) -> set[tuple[Any, Any]]:
    """The (description, point) pairs that are not a player's main line in one book's market.

    Some books (Kambi's: unibet_us, betrivers) list a ladder of lines per player in player_points
    (a real capture: 20.5, 21.5, 18.5, ... for one player in one snapshot). The main line is the one
    whose Over and Under prices are closest to even (smallest gap of implied probabilities; the lower
    line on a tie). A player with one line, or a ladder with no line priced on both sides, has none.
    """
    lines_of: dict[Any, list[Any]] = {}
    for name, point in pairs:
        lines_of.setdefault(name, []).append(point)
    if all(len(points) == 1 for points in lines_of.values()):
        return set()  # no ladder (the usual market): one line per player
    by_name: dict[Any, list[tuple[float, float, Any]]] = {}
    for (name, point), sides in pairs.items():
        over, under = (list(dict.fromkeys(sides[s])) for s in ("over", "under"))
        if sides["other"] or len(over) != 1 or len(under) != 1:
            continue
        p_over, p_under = _implied(over[0]), _implied(under[0])
        if p_over is None or p_under is None or isinstance(point, bool) or not isinstance(point, (int, float)):
            continue
        by_name.setdefault(name, []).append((abs(p_over - p_under), float(point), point))
    alternates: set[tuple[Any, Any]] = set()
    for name, priced in by_name.items():
        if len(lines_of[name]) > 1:
            main = min(priced)[2]
            alternates |= {(name, p) for p in lines_of[name] if p != main}
    return alternates


def _implied(price: Any) -> float | None:
    american = pc._american(price)
    if american is None:
        return None
    return 100 / (american + 100) if american > 0 else -american / (-american + 100)


def _prop_row(
    book_key: str,
    book: Mapping[str, Any],
    market: Mapping[str, Any],
    name: Any,
    point: Any,
    sides: Mapping[str, list[Any]],
    given_ts: dt.datetime | None,
) -> dict[str, Any]:
    pname, lookup = pc._player(f"{book_key}.description", name)
    if sides["other"]:
        raise pc._Bad(f"{book_key}.name", sides["other"][0], "outcome name must be Over or Under")
    if point is None:
        raise pc._Bad(f"{book_key}.point", None, "line is required")
    if isinstance(point, bool) or not isinstance(point, (int, float)) or not pc.MIN_LINE <= point <= pc.MAX_LINE:
        raise pc._Bad(f"{book_key}.point", point, f"line must be a number {pc.MIN_LINE:g}-{pc.MAX_LINE:g}")
    prices: dict[str, float | None] = {}
    for side in ("over", "under"):
        distinct = list(dict.fromkeys(sides[side]))
        if len(distinct) > 1:
            raise pc._Bad(f"{book_key}.{side}.price", distinct, "conflicting prices for one outcome")
        if not distinct:
            prices[side] = None
            continue
        american = pc._american(distinct[0])
        if american is None:
            raise pc._Bad(f"{book_key}.{side}.price", distinct[0], "price is neither American nor decimal odds")
        prices[side] = american
    ts = given_ts
    if ts is None:
        raw_ts = market.get("last_update") or book.get("last_update")
        if raw_ts is None:
            rule = "snapshot time is unknown (no timestamp or last_update)"
            raise pc._Bad(f"{book_key}.last_update", None, rule)
        ts = pc._utc(f"{book_key}.last_update", raw_ts)
    return {
        "player_name": pname,
        "player_lookup": lookup,
        "bookmaker": book_key,
        "market": "player_points",
        "line": float(point),
        "over_price": prices["over"],
        "under_price": prices["under"],
        "snapshot_ts": ts,
    }
