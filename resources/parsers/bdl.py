"""Ball Don't Lie responses: /v1/box_scores, /v1/stats, /v1/games, /v1/player_injuries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from nba_assets import tables
from resources.parsers import common as pc


def _bdl_game(
    g: Mapping[str, Any], home: Callable[[], str], away: Callable[[], str], *, key_by_teams: bool = False
) -> pc._Game:
    """Game facts of a BDL game object. With `key_by_teams` (box_scores), a game without an `id`, as the
    2023-24 version of /v1/box_scores answers, is identified by (date, home, away) like everywhere else
    in the lake, and a missing `season` is the season of its date."""
    gid = g.get("id")
    game_id = str(gid) if gid is not None and not isinstance(gid, bool) else None
    game_date = season = h = a = None
    try:
        if game_id is None and not key_by_teams:
            raise pc._Bad("game.id", gid, "game id is required")
        game_date = pc._iso_date("game.date", g.get("date"))
        if key_by_teams and g.get("season") is None:
            season = game_date.year if game_date.month >= 9 else game_date.year - 1
        else:
            season = pc._season_year("game.season", g.get("season"))
        h, a = home(), away()
        if h == a:
            raise pc._Bad("game.home_team", h, "home and away teams must differ")
        if game_id is None:
            game_id = team_game_id(game_date, h, a)
    except pc._Bad as bad:
        return pc._Game(game_id, game_date, season, h, a, error=bad)
    return pc._Game(game_id, game_date, season, h, a)


def team_game_id(game_date: dt.date, home: str, away: str) -> str:
    """The source_game_id of a BDL game that carries no id: "<date>/<away>@<home>" (one game per pair
    of teams a day)."""
    return f"{game_date.isoformat()}/{away}@{home}"


def _box_lines(endpoint: str, body: Any, landing_file: str, what: str):
    """(collector, items of 'data') for a box-line response; (None, the file's reject) when 'data' is
    not a list."""
    ctx = pc._Ctx("bdl", endpoint, landing_file)
    items = pc._list(body, "data")
    if items is None:
        rule = f"response must hold a list of {what} in 'data'"
        return None, pc._file_reject(ctx, pc.BOX_TABLE, "data", body, rule)
    return pc._Collector(ctx, pc.BOX_TABLE, ["source_game_id", "player_id"]), items


def parse_bdl_box_scores(body: dict, landing_file: str) -> pc.ParseResult:
    """/v1/box_scores?date=: games with home_team/visitor_team, each with nested player stat lines.

    Strict on what the table needs (date, both teams, each line's player and stats), tolerant of what
    an API version adds or drops: the 2023-24 version has no game `id`, `datetime`, quarter scores or
    `plus_minus`; none of those is read, and a game without an id is keyed by (date, home, away).
    """
    out, games = _box_lines("box_scores", body, landing_file, "games")
    if out is None:
        return games
    for g in games:
        g = pc._dict(g)
        home_t, away_t = pc._dict(g.get("home_team")), pc._dict(g.get("visitor_team"))
        game = _bdl_game(
            g,
            lambda h=home_t: pc._tricode("home_team.abbreviation", h.get("abbreviation")),
            lambda a=away_t: pc._tricode("visitor_team.abbreviation", a.get("abbreviation")),
            key_by_teams=True,
        )
        listed = bool(home_t.get("players") or away_t.get("players"))
        side_name = {"home": "home_team", "away": "visitor_team"}
        if game.error is None and not listed and str(g.get("status")).lower() == "final":
            # Not an empty day: a finished game whose box score came back without a single player.
            out.bad(pc._Bad("players", None, "a final game lists its players"),
                    game_date=game.game_date, game_id=game.game_id, player=None)
        for side_team, side in ((home_t, "home"), (away_t, "away")):
            players = out.items(side_team.get("players"), f"{side_name[side]}.players",
                                game_date=game.game_date, game_id=game.game_id, player=None)
            for line in players:
                line = pc._dict(line)
                _collect_bdl_line(
                    out, game, lambda s=side: game.home if s == "home" else game.away, line, landing_file
                )
    return out.result()


def _collect_bdl_line(
    out: pc._Collector, game: pc._Game, team: Callable[[], str], line: Mapping[str, Any], landing_file: str
) -> None:
    """One BDL player stat line (box_scores or stats) into `out`: a row, or a reject naming it."""
    player = pc._dict(line.get("player"))
    name = pc._bdl_name(player)
    where = {"game_date": game.game_date, "game_id": game.game_id, "player": name}
    try:
        row = pc._box_record(
            game,
            team=team,
            player_id=lambda: pc._int_id("player.id", player.get("id")),
            player_name=lambda: name,
            name_field="player.first_name+last_name",
            stats=lambda: pc._box_stats(line, pc.BDL_STAT_FIELDS, "min"),
            landing_file=landing_file,
        )
    except pc._Bad as bad:
        out.bad(bad, **where)
    else:
        out.add(row, where)


def parse_bdl_stats(body: dict, landing_file: str) -> pc.ParseResult:
    """/v1/stats page: one row per player-game with nested player, team and game (home/visitor ids)."""
    out, lines = _box_lines("stats", body, landing_file, "stat lines")
    if out is None:
        return lines
    for line in lines:
        line = pc._dict(line)
        g, team = pc._dict(line.get("game")), pc._dict(line.get("team"))
        game = _bdl_game(
            g,
            lambda g=g: pc._bdl_team_id("game.home_team_id", g.get("home_team_id")),
            lambda g=g: pc._bdl_team_id("game.visitor_team_id", g.get("visitor_team_id")),
        )

        def row_team(team: Mapping[str, Any] = team) -> str:
            # The row's own team (the team at game time); player.team_id is the CURRENT team and
            # is wrong for anyone traded since.
            if team.get("abbreviation") is not None:
                return pc._tricode("team.abbreviation", team.get("abbreviation"))
            return pc._bdl_team_id("team.id", team.get("id"))

        _collect_bdl_line(out, game, row_team, line, landing_file)
    return out.result()


def parse_bdl_injuries(
    body: dict, landing_file: str, report_ts: dt.datetime, game_date: dt.date
) -> pc.ParseResult:
    """/v1/player_injuries: one row per player as of `report_ts` (team from player.team_id)."""
    ctx = pc._Ctx("bdl", "player_injuries", landing_file)
    table = tables.INJURIES
    report_ts = pc._aware_utc("report_ts", report_ts)
    out = pc._Collector(ctx, table, ["report_ts", "player_lookup"])
    items = pc._list(body, "data")
    if items is None:
        bad = pc._Bad("data", pc._short(body), "response must hold a list of injuries in 'data'")
        rej = ctx.reject(bad, game_date)
        return pc.ParseResult(rows=pc._template(table).clear(), rejects=pc._rejects_frame([rej]))
    for item in items:
        item = pc._dict(item)
        player = pc._dict(item.get("player"))
        name = pc._bdl_name(player)
        where = {"game_date": game_date, "player": name}
        try:
            pid = pc._int_id("player.id", player.get("id"))
            pname, lookup = pc._player("player.first_name+last_name", name)
            team = pc._bdl_team_id("player.team_id", player.get("team_id"))
            status = pc._opt_str(item.get("status"))
            if status is None:
                raise pc._Bad("status", item.get("status"), "injury status is required")
        except pc._Bad as bad:
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
            "return_date": pc._opt_str(item.get("return_date")),
            "description": pc._opt_str(item.get("description")),
            "landing_file": landing_file,
        }
        out.add(row, where)
    return out.result()


def _bdl_status(g: Mapping[str, Any]) -> int:
    """1 scheduled, 2 in progress, 3 final. BDL's `status` is "Final", the period's text ("2nd Qtr",
    "Halftime") or, before tip-off, the tip time; `period` > 0 tells a game under way."""
    text, period = g.get("status"), g.get("period")
    if not isinstance(text, str) or not text.strip():
        raise pc._Bad("status", text, "status text is required")
    if text.strip().lower() == "final":
        return 3
    if period is not None and (isinstance(period, bool) or not isinstance(period, int) or period < 0):
        raise pc._Bad("period", period, "period must be a non-negative integer")
    return 2 if period else 1


def _bdl_score(field: str, value: Any, final: bool) -> int | None:
    if value is None and not final:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= pc.MAX_SCORE:
        raise pc._Bad(field, value, f"score must be an integer 0-{pc.MAX_SCORE}")
    return value


def parse_bdl_games(body: dict, landing_file: str) -> pc.ParseResult:
    """/v1/games?dates[]=: one row per game (the second schedule). A game needs its id, date, season,
    both teams and a status; tip-off (`datetime`) is optional; a final game needs both scores."""
    ctx = pc._Ctx("bdl", "games", landing_file)
    table = tables.BDL_GAMES
    items = pc._list(body, "data")
    if items is None:
        return pc._file_reject(ctx, table, "data", body, "response must hold a list of games in 'data'")
    out = pc._Collector(ctx, table, ["source_game_id"])
    for g in items:
        g = pc._dict(g)
        home_t, away_t = pc._dict(g.get("home_team")), pc._dict(g.get("visitor_team"))
        game = _bdl_game(g, lambda: pc._tricode("home_team.abbreviation", home_t.get("abbreviation")),
                         lambda: pc._tricode("visitor_team.abbreviation", away_t.get("abbreviation")))
        where = {"game_date": game.game_date, "game_id": game.game_id, "player": None}
        try:
            if game.error is not None:
                raise game.error
            status = _bdl_status(g)
            tip = g.get("datetime")
            row = {
                "game_date": game.game_date, "source_game_id": game.game_id, "season_year": game.season_year,
                "postseason": g.get("postseason") is True, "home_team": game.home, "away_team": game.away,
                "tipoff_utc": None if tip is None else pc._utc("datetime", tip), "status": status,
                "home_score": _bdl_score("home_team_score", g.get("home_team_score"), status == 3),
                "away_score": _bdl_score("visitor_team_score", g.get("visitor_team_score"), status == 3),
                "landing_file": landing_file,
            }  # fmt: skip
        except pc._Bad as bad:
            out.bad(bad, **where)
            continue
        out.add(row, where)
    return out.result()
