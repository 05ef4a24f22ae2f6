"""Ball Don't Lie responses: /v1/box_scores, /v1/stats, /v1/player_injuries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from nba_assets import tables
from resources.parsers.common import (
    BDL_STAT_FIELDS,
    BOX_TABLE,
    ParseResult,
    _aware_utc,
    _Bad,
    _bdl_name,
    _bdl_team_id,
    _box_record,
    _box_stats,
    _Collector,
    _Ctx,
    _dict,
    _file_reject,
    _Game,
    _int_id,
    _iso_date,
    _list,
    _opt_str,
    _player,
    _rejects_frame,
    _season_year,
    _short,
    _template,
    _tricode,
)


def _bdl_game(g: Mapping[str, Any], home: Callable[[], str], away: Callable[[], str]) -> _Game:
    gid = g.get("id")
    game_id = str(gid) if gid is not None and not isinstance(gid, bool) else None
    game_date = season = h = a = None
    try:
        if game_id is None:
            raise _Bad("game.id", gid, "game id is required")
        game_date = _iso_date("game.date", g.get("date"))
        season = _season_year("game.season", g.get("season"))
        h, a = home(), away()
        if h == a:
            raise _Bad("game.home_team", h, "home and away teams must differ")
    except _Bad as bad:
        return _Game(game_id, game_date, season, h, a, error=bad)
    return _Game(game_id, game_date, season, h, a)


def parse_bdl_box_scores(body: dict, landing_file: str) -> ParseResult:
    """/v1/box_scores?date=: games with home_team/visitor_team, each with nested player stat lines."""
    ctx = _Ctx("bdl", "box_scores", landing_file)
    out = _Collector(ctx, BOX_TABLE, ["source_game_id", "player_id"])
    games = _list(body, "data")
    if games is None:
        return _file_reject(ctx, BOX_TABLE, "data", body, "response must hold a list of games in 'data'")
    for g in games:
        g = _dict(g)
        home_t, away_t = _dict(g.get("home_team")), _dict(g.get("visitor_team"))
        game = _bdl_game(
            g,
            lambda h=home_t: _tricode("home_team.abbreviation", h.get("abbreviation")),
            lambda a=away_t: _tricode("visitor_team.abbreviation", a.get("abbreviation")),
        )
        for side_team, side in ((home_t, "home"), (away_t, "away")):
            for line in side_team.get("players") or []:
                line = _dict(line)
                _collect_bdl_line(
                    out, game, lambda s=side: game.home if s == "home" else game.away, line, landing_file
                )
    return out.result()


def _collect_bdl_line(
    out: _Collector, game: _Game, team: Callable[[], str], line: Mapping[str, Any], landing_file: str
) -> None:
    """One BDL player stat line (box_scores or stats) into `out`: a row, or a reject naming it."""
    player = _dict(line.get("player"))
    name = _bdl_name(player)
    where = {"game_date": game.game_date, "game_id": game.game_id, "player": name}
    try:
        row = _box_record(
            game,
            team=team,
            player_id=lambda: _int_id("player.id", player.get("id")),
            player_name=lambda: name,
            name_field="player.first_name+last_name",
            stats=lambda: _box_stats(line, BDL_STAT_FIELDS, "min"),
            landing_file=landing_file,
        )
    except _Bad as bad:
        out.bad(bad, **where)
    else:
        out.add(row, where)


def parse_bdl_stats(body: dict, landing_file: str) -> ParseResult:
    """/v1/stats page: one row per player-game with nested player, team and game (home/visitor ids)."""
    ctx = _Ctx("bdl", "stats", landing_file)
    out = _Collector(ctx, BOX_TABLE, ["source_game_id", "player_id"])
    lines = _list(body, "data")
    if lines is None:
        return _file_reject(ctx, BOX_TABLE, "data", body, "response must hold a list of stat lines in 'data'")
    for line in lines:
        line = _dict(line)
        g, team = _dict(line.get("game")), _dict(line.get("team"))
        game = _bdl_game(
            g,
            lambda g=g: _bdl_team_id("game.home_team_id", g.get("home_team_id")),
            lambda g=g: _bdl_team_id("game.visitor_team_id", g.get("visitor_team_id")),
        )

        def row_team(team: Mapping[str, Any] = team) -> str:
            # The row's own team (the team at game time); player.team_id is the CURRENT team and
            # is wrong for anyone traded since.
            if team.get("abbreviation") is not None:
                return _tricode("team.abbreviation", team.get("abbreviation"))
            return _bdl_team_id("team.id", team.get("id"))

        _collect_bdl_line(out, game, row_team, line, landing_file)
    return out.result()


def parse_bdl_injuries(
    body: dict, landing_file: str, report_ts: dt.datetime, game_date: dt.date
) -> ParseResult:
    """/v1/player_injuries: one row per player as of `report_ts` (team from player.team_id)."""
    ctx = _Ctx("bdl", "player_injuries", landing_file)
    table = tables.INJURIES
    report_ts = _aware_utc("report_ts", report_ts)
    out = _Collector(ctx, table, ["report_ts", "player_lookup"])
    items = _list(body, "data")
    if items is None:
        bad = _Bad("data", _short(body), "response must hold a list of injuries in 'data'")
        rej = ctx.reject(bad, game_date)
        return ParseResult(rows=_template(table).clear(), rejects=_rejects_frame([rej]))
    for item in items:
        item = _dict(item)
        player = _dict(item.get("player"))
        name = _bdl_name(player)
        where = {"game_date": game_date, "player": name}
        try:
            pid = _int_id("player.id", player.get("id"))
            pname, lookup = _player("player.first_name+last_name", name)
            team = _bdl_team_id("player.team_id", player.get("team_id"))
            status = _opt_str(item.get("status"))
            if status is None:
                raise _Bad("status", item.get("status"), "injury status is required")
        except _Bad as bad:
            out.bad(bad, **where)
            continue
        row = {
            "game_date": game_date,
            "report_ts": report_ts,
            "player_id": pid,
            "player_name": pname,
            "player_lookup": lookup,
            "team": team,
            "status": status,
            "return_date": _opt_str(item.get("return_date")),
            "description": _opt_str(item.get("description")),
            "landing_file": landing_file,
        }
        out.add(row, where)
    return out.result()
