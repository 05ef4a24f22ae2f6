"""The fuzz properties of issue 27's findings 3-6, each a rule the parsers (and the raw ingest's
newest-id rule) now hold for every example: a line with points never stored with 0 minutes, no letter
vanishing from a player key, a renumbered game not doubled, the NBA Cup final kept.
"""

from __future__ import annotations

import copy

import polars as pl
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from resources import parsers as P
from resources.names import player_lookup
from tests.fuzz.conftest import EXAMPLES
from tests.fuzz.endpoints import ENDPOINTS
from tests.fuzz.test_parser_fuzz import baseline

# A known finding needs its first failing example, not the smallest one: no shrinking.
KNOWN = settings(phases=(Phase.explicit, Phase.generate))


def _played(name: str) -> list[int]:
    """Indexes of the lines with more than a cameo's points (finding 3's rule allows <= 3 on 0 minutes)."""
    body, _ = baseline(name)
    return [i for i, line in enumerate(body["data"]) if (line.get("pts") or 0) > 3]


@KNOWN
@given(i=st.sampled_from(_played("bdl_stats")), minutes=st.sampled_from(["", "0", "00", None]))
def test_finding_3_a_line_with_points_is_never_stored_with_zero_minutes(i: int, minutes: object) -> None:
    body = copy.deepcopy(baseline("bdl_stats")[0])
    body["data"][i]["min"] = minutes
    rows = ENDPOINTS["bdl_stats"].parse(body).rows
    EXAMPLES["finding_3"] += 1
    assert rows.filter((pl.col("minutes") == 0) & ~pl.col("dnp") & (pl.col("points") > 3)).height == 0


# Letters with no decomposed ASCII form, and what they stand for (the test's oracle, not the parser's).
NO_DECOMPOSITION = {"Đ": "D", "đ": "d", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae",
                    "Þ": "Th", "þ": "th", "ı": "i", "ß": "ss"}


@KNOWN
@given(i=st.integers(0, 1), letter=st.sampled_from(sorted(NO_DECOMPOSITION)), at=st.integers(0, 5))
def test_finding_4_no_letter_vanishes_from_a_player_key(i: int, letter: str, at: int) -> None:
    body = copy.deepcopy(baseline("bdl_injuries")[0])
    player = body["data"][i]["player"]
    last = player["last_name"]
    at %= len(last) + 1
    player["last_name"] = last[:at] + letter + last[at:]
    ascii_name = f"{player['first_name']} {last[:at]}{NO_DECOMPOSITION[letter]}{last[at:]}"
    rows = ENDPOINTS["bdl_injuries"].parse(body).rows
    EXAMPLES["finding_4"] += 1
    assert player_lookup(ascii_name) in rows["player_lookup"].to_list()


@KNOWN
@given(delta=st.integers(1, 10**6))
def test_finding_5_a_refetch_with_a_changed_game_id_does_not_double_the_game(delta: int) -> None:
    first_body, first = baseline("bdl_stats")
    body = copy.deepcopy(first_body)
    for line in body["data"]:
        line["game"]["id"] += delta
    second = ENDPOINTS["bdl_stats"].parse(body)
    frames, changed = P.newest_game_ids([first.rows, second.rows], "source_game_id")  # as the raw ingest
    both = P.latest_fetch_wins(frames, ["source_game_id", "player_id"])
    assert changed.height == first.rows["source_game_id"].n_unique()  # every renumbered game named
    EXAMPLES["finding_5"] += 1
    assert both.height == both.unique(["game_date", "home_team", "away_team", "player_id"]).height


@KNOWN
@given(game=st.sampled_from(["0012500001", "0012500004", "0012500013"]))
def test_finding_6_a_cup_final_game_id_is_kept(game: str) -> None:
    body = copy.deepcopy(baseline("nbacom_schedule")[0])
    cup = "006" + game[3:]
    for day in body["leagueSchedule"]["gameDates"]:
        for g in day["games"]:
            if g["gameId"] == game:
                g["gameId"] = cup
    rows = ENDPOINTS["nbacom_schedule"].parse(body).rows
    EXAMPLES["finding_6"] += 1
    assert cup in rows["game_id"].to_list()
