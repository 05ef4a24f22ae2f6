"""The Odds API event odds with the spreads and totals markets: one row per (event, bookmaker, snapshot)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from nba_assets import tables
from nba_assets.partitions import ET
from resources.parsers import common as pc
from resources.parsers.odds import _events, _team_name

SPREAD_RANGE = (-40.0, 40.0)
TOTAL_RANGE = (150.0, 300.0)


def parse_odds_game_lines(body: Any, landing_file: str, captured_at: Any = None) -> pc.ParseResult:
    """Event odds (historical wrapper, live body or a list of events) -> raw/game_lines rows.

    A book's row holds its spread (the home side's point; the away side's must be its negative) and its
    total (Over and Under on one point), each with American prices (decimal prices are converted); a
    book offering only one of the markets keeps the other null. snapshot_ts = the response's time: the
    historical wrapper's timestamp; for a current body, each time it was captured (`captured_at`: one
    ISO time or a list, the manifest's `captures`/`requested_at`; the same body captured at two refreshes
    gives a row per capture), else the market's (or the book's) last_update. A malformed market is
    rejected naming the event, the book, the field and the rule; the book's other market and the other
    books are kept.
    """
    ctx = pc._Ctx("oddsapi", "game_lines", landing_file)
    table = tables.GAME_LINES
    out = pc._Collector(ctx, table, list(table.business_key))
    try:
        found = _events(body)
    except pc._Bad as bad:
        return pc.ParseResult(rows=pc._template(table).clear(), rejects=pc._rejects_frame([ctx.reject(bad)]))
    if found is None:
        return pc._file_reject(ctx, table, "data", body, "response must be an event, a list of events or a historical wrapper")
    events, wrapper_ts = found
    times: list[dt.datetime | None] = [wrapper_ts]
    if wrapper_ts is None and captured_at is not None:
        try:
            many = captured_at if isinstance(captured_at, (list, tuple)) else [captured_at]
            times = sorted({pc._utc("requested_at", c) for c in many})
        except pc._Bad as bad:
            return pc.ParseResult(rows=pc._template(table).clear(), rejects=pc._rejects_frame([ctx.reject(bad)]))
    for ts in times:
        for event in events:
            _parse_event(pc._dict(event), ts, ctx, out)
    return out.result()


def _parse_event(event: Mapping[str, Any], wrapper_ts: dt.datetime | None, ctx: pc._Ctx, out: pc._Collector) -> None:
    event_id = pc._opt_str(event.get("id"))
    try:
        if event_id is None:
            raise pc._Bad("id", event.get("id"), "event id is required")
        commence = pc._utc("commence_time", event.get("commence_time"))
        home = _team_name("home_team", event.get("home_team"))
        away = _team_name("away_team", event.get("away_team"))
    except pc._Bad as bad:
        if event.get("bookmakers"):
            out.bad(bad, game_id=event_id)
        return
    game_date = commence.astimezone(ET).date()
    at = {"game_date": game_date, "game_id": event_id}
    names = {"home": event.get("home_team"), "away": event.get("away_team")}
    for book in out.items(event.get("bookmakers"), "bookmakers", **at):
        book = pc._dict(book)
        key = pc._opt_str(book.get("key")) or "?"
        row: dict[str, Any] = {"home_spread": None, "home_spread_price": None, "away_spread_price": None,
                               "total": None, "over_price": None, "under_price": None}
        stamp = None
        for market in out.items(book.get("markets"), f"{key}.markets", **at):
            market = pc._dict(market)
            kind = market.get("key")
            if kind not in ("spreads", "totals"):
                continue
            try:
                outcomes = {str(o.get("name")): o for o in map(pc._dict, out.items(market.get("outcomes"), f"{key}.{kind}", **at))}
                row |= _spreads(key, outcomes, names) if kind == "spreads" else _totals(key, outcomes)
                stamp = stamp or market.get("last_update")
            except pc._Bad as bad:
                out.bad(bad, **at)
        if row["home_spread"] is None and row["total"] is None:
            continue
        try:
            ts = wrapper_ts or pc._utc(f"{key}.last_update", stamp or book.get("last_update"))
        except pc._Bad as bad:
            out.bad(pc._Bad(bad.field, bad.value, "snapshot time is unknown or not ISO 8601"), **at)
            continue
        row |= {"game_date": game_date, "event_id": event_id, "commence_time": commence, "home_team": home,
                "away_team": away, "bookmaker": key, "snapshot_ts": ts,
                "minutes_before_tip": (commence - ts).total_seconds() / 60, "landing_file": ctx.landing_file}
        out.add(row, at)


def _number(field: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise pc._Bad(field, value, f"point must be a number {lo:g}..{hi:g}")
    return float(value)


def _price(field: str, value: Any) -> float | None:
    if value is None:
        return None
    american = pc._american(value)
    if american is None:
        raise pc._Bad(field, value, "price is neither American nor decimal odds")
    return american


def _spreads(book: str, outcomes: Mapping[str, Mapping[str, Any]], names: Mapping[str, Any]) -> dict[str, Any]:
    home, away = outcomes.get(str(names["home"])), outcomes.get(str(names["away"]))
    if home is None or away is None:
        raise pc._Bad(f"{book}.spreads.outcomes", sorted(outcomes), "spreads need one outcome per team, named as the event's teams")
    point = _number(f"{book}.spreads.point", home.get("point"), *SPREAD_RANGE)
    other = _number(f"{book}.spreads.point", away.get("point"), *SPREAD_RANGE)
    if other != -point:
        raise pc._Bad(f"{book}.spreads.point", [point, other], "the away point must be the home point's negative")
    return {"home_spread": point, "home_spread_price": _price(f"{book}.spreads.price", home.get("price")),
            "away_spread_price": _price(f"{book}.spreads.price", away.get("price"))}


def _totals(book: str, outcomes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    over, under = outcomes.get("Over"), outcomes.get("Under")
    if over is None or under is None:
        raise pc._Bad(f"{book}.totals.outcomes", sorted(outcomes), "totals need an Over and an Under outcome")
    point = _number(f"{book}.totals.point", over.get("point"), *TOTAL_RANGE)
    if under.get("point") != over.get("point"):
        raise pc._Bad(f"{book}.totals.point", [over.get("point"), under.get("point")], "Over and Under must share one point")
    return {"total": point, "over_price": _price(f"{book}.totals.price", over.get("price")),
            "under_price": _price(f"{book}.totals.price", under.get("price"))}
