"""Input the sources really send but the lake once mishandled silently (issue 27, findings 3-6).

Each case goes through the real path: bodies landed in a landing zone as fetches (with their fetch
times), parsed by the raw feeds' own ingest, then reconciled by the analytics logic.
"""

from __future__ import annotations

import datetime as dt
import json

from nba_assets import tables
from nba_assets.raw import FEEDS
from resources.landing import LandingZone
from tests.conftest import FIXTURES

BOX_2026 = json.loads((FIXTURES / "bdl" / "box_scores_2026-01-09.json").read_text())
DAY = dt.date(2026, 1, 9)
CUP_FINAL_DAY = dt.date(2024, 12, 17)


def _feed(table: tables.Table):
    return next(f for f in FEEDS if f.table == table)


def _land(landing: LandingZone, source: str, endpoint: str, day: dt.date, body: dict) -> None:
    landing.write(source, endpoint, [day], json.dumps(body).encode(), url=f"https://example.test/{endpoint}",
                  params=None)  # fmt: skip


# ------------------------------------------------------------------------- special game types (6)
def _cup_final() -> dict:
    """The 2024-25 NBA Cup final as scheduleleaguev2 lists it (hand-made in the exact format: the
    game id's season-type digit is 6; OKC @ MIL in Las Vegas, 97-81, 2024-12-17 20:30 ET)."""
    return {
        "gameId": "0062400001", "gameCode": "20241217/OKCMIL", "gameStatus": 3, "gameStatusText": "Final",
        "gameDateEst": "2024-12-17T00:00:00Z", "gameDateTimeEst": "2024-12-17T20:30:00Z",
        "gameDateUTC": "2024-12-17T05:00:00Z", "gameTimeUTC": "1900-01-01T01:30:00Z",
        "gameDateTimeUTC": "2024-12-18T01:30:00Z", "arenaName": "T-Mobile Arena", "gameLabel": "Emirates NBA Cup",
        "gameSubLabel": "Championship",
        "homeTeam": {"teamId": 1610612749, "teamTricode": "MIL", "teamName": "Bucks", "score": 97},
        "awayTeam": {"teamId": 1610612760, "teamTricode": "OKC", "teamName": "Thunder", "score": 81},
    }  # fmt: skip


def test_the_nba_cup_final_lands_as_its_own_season_type_with_no_reject(tmp_path):
    landing = LandingZone(tmp_path)
    body = {"leagueSchedule": {"seasonYear": "2024-25", "gameDates": [
        {"gameDate": "12/17/2024 00:00:00", "games": [_cup_final()]}]}}  # fmt: skip
    _land(landing, "nbacom", "schedule", CUP_FINAL_DAY, body)
    got = _feed(tables.SCHEDULE).ingest(landing, [CUP_FINAL_DAY])
    assert got.rejects.height == 0, got.rejects.to_dicts()
    assert got.rows.select("game_id", "season_type", "season_year", "home_team", "away_team", "home_score").rows() == [
        ("0062400001", "cup-final", 2024, "MIL", "OKC", 97)
    ]
    tables.SCHEDULE.contract.validate(got.rows)
