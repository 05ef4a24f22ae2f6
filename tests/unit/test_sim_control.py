"""Operator controls of the sim: a withheld boxscore disappears from both sources until released."""

from __future__ import annotations

import datetime as dt

import httpx
import polars as pl

from resources.sim import SimClock, SimConfig, SimLeague, sim_transport
from resources.sim.control import clear_withheld, due_releases, pending_releases, withhold

DAY = dt.date(2025, 12, 8)


def _games_seen(client: httpx.Client) -> tuple[set[int], set[str]]:
    bdl = client.get(
        "https://api.balldontlie.io/v1/box_scores", params={"date": str(DAY)}, headers={"Authorization": "k"}
    ).json()
    nba = client.get(
        "https://stats.nba.com/stats/leaguegamelog",
        params={"DateFrom": DAY.strftime("%m/%d/%Y"), "DateTo": DAY.strftime("%m/%d/%Y"), "PlayerOrTeam": "P",
                "Season": "2025-26", "LeagueID": "00", "SeasonType": "Regular Season"},
        headers={"User-Agent": "test"},
    ).json()
    headers = nba["resultSets"][0]["headers"]
    gi = headers.index("GAME_ID")
    return {g["id"] for g in bdl["data"]}, {row[gi] for row in nba["resultSets"][0]["rowSet"]}


def test_withheld_game_is_hidden_until_release(tmp_path):
    league = SimLeague(SimConfig())
    game = league.schedule(2025).filter(pl.col("game_date") == DAY).row(0, named=True)
    now = dt.datetime(2025, 12, 9, 15, tzinfo=dt.UTC)
    clock = SimClock(tmp_path, fixed=now)
    client = httpx.Client(transport=sim_transport(league, clock, tmp_path))
    bdl_before, nba_before = _games_seen(client)
    assert game["bdl_game_id"] in bdl_before and game["game_id"] in nba_before

    withhold(tmp_path, game["game_id"], now + dt.timedelta(hours=2))
    bdl_held, nba_held = _games_seen(client)
    assert bdl_held == bdl_before - {game["bdl_game_id"]}
    assert nba_held == nba_before - {game["game_id"]}
    pending = pending_releases(league, clock, tmp_path)
    assert game["game_id"] in pending["game_id"].to_list()

    clock.fixed = now + dt.timedelta(hours=3)
    assert _games_seen(client) == (bdl_before, nba_before)
    clear_withheld(tmp_path)
    assert _games_seen(client) == (bdl_before, nba_before)


def test_due_releases_are_those_of_games_final_by_now():
    now = dt.datetime(2025, 12, 12, 17, tzinfo=dt.UTC)
    tips = {"final": now - dt.timedelta(hours=3), "in_progress": now - dt.timedelta(hours=1),
            "tonight": now + dt.timedelta(hours=7), "in_weeks": now + dt.timedelta(days=40), "unknown": None}
    pending = pl.DataFrame({"game_id": list(tips), "tipoff_utc": list(tips.values())},
                           schema={"game_id": pl.Utf8, "tipoff_utc": pl.Datetime("us", "UTC")})
    assert due_releases(pending, now)["game_id"].to_list() == ["final", "unknown"]
    assert due_releases(pending.head(0), now).height == 0
