"""The 30 NBA teams and every source's code/id for them.

NBA.com tricodes are canonical. Other sources sometimes use other codes (PHO for PHX, GS for GSW,
...): `canonical_tricode` maps them, and raises on a code it has never seen so an unknown team is an
error that names the code, not a silently dropped game.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Team:
    tricode: str
    nba_id: int  # NBA.com team id (1610612xxx)
    bdl_id: int  # Ball Don't Lie team id (1..30, alphabetical by full name)
    city: str
    name: str
    conference: str
    division: str

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.name}"


TEAMS: tuple[Team, ...] = (
    Team("ATL", 1610612737, 1, "Atlanta", "Hawks", "East", "Southeast"),
    Team("BOS", 1610612738, 2, "Boston", "Celtics", "East", "Atlantic"),
    Team("BKN", 1610612751, 3, "Brooklyn", "Nets", "East", "Atlantic"),
    Team("CHA", 1610612766, 4, "Charlotte", "Hornets", "East", "Southeast"),
    Team("CHI", 1610612741, 5, "Chicago", "Bulls", "East", "Central"),
    Team("CLE", 1610612739, 6, "Cleveland", "Cavaliers", "East", "Central"),
    Team("DAL", 1610612742, 7, "Dallas", "Mavericks", "West", "Southwest"),
    Team("DEN", 1610612743, 8, "Denver", "Nuggets", "West", "Northwest"),
    Team("DET", 1610612765, 9, "Detroit", "Pistons", "East", "Central"),
    Team("GSW", 1610612744, 10, "Golden State", "Warriors", "West", "Pacific"),
    Team("HOU", 1610612745, 11, "Houston", "Rockets", "West", "Southwest"),
    Team("IND", 1610612754, 12, "Indiana", "Pacers", "East", "Central"),
    Team("LAC", 1610612746, 13, "LA", "Clippers", "West", "Pacific"),
    Team("LAL", 1610612747, 14, "Los Angeles", "Lakers", "West", "Pacific"),
    Team("MEM", 1610612763, 15, "Memphis", "Grizzlies", "West", "Southwest"),
    Team("MIA", 1610612748, 16, "Miami", "Heat", "East", "Southeast"),
    Team("MIL", 1610612749, 17, "Milwaukee", "Bucks", "East", "Central"),
    Team("MIN", 1610612750, 18, "Minnesota", "Timberwolves", "West", "Northwest"),
    Team("NOP", 1610612740, 19, "New Orleans", "Pelicans", "West", "Southwest"),
    Team("NYK", 1610612752, 20, "New York", "Knicks", "East", "Atlantic"),
    Team("OKC", 1610612760, 21, "Oklahoma City", "Thunder", "West", "Northwest"),
    Team("ORL", 1610612753, 22, "Orlando", "Magic", "East", "Southeast"),
    Team("PHI", 1610612755, 23, "Philadelphia", "76ers", "East", "Atlantic"),
    Team("PHX", 1610612756, 24, "Phoenix", "Suns", "West", "Pacific"),
    Team("POR", 1610612757, 25, "Portland", "Trail Blazers", "West", "Northwest"),
    Team("SAC", 1610612758, 26, "Sacramento", "Kings", "West", "Pacific"),
    Team("SAS", 1610612759, 27, "San Antonio", "Spurs", "West", "Southwest"),
    Team("TOR", 1610612761, 28, "Toronto", "Raptors", "East", "Atlantic"),
    Team("UTA", 1610612762, 29, "Utah", "Jazz", "West", "Northwest"),
    Team("WAS", 1610612764, 30, "Washington", "Wizards", "East", "Southeast"),
)

BY_TRICODE: dict[str, Team] = {t.tricode: t for t in TEAMS}
BY_NBA_ID: dict[int, Team] = {t.nba_id: t for t in TEAMS}
BY_BDL_ID: dict[int, Team] = {t.bdl_id: t for t in TEAMS}

# Codes other sources (and older feeds) use for the same franchise.
ALIASES: dict[str, str] = {
    "PHO": "PHX",
    "GS": "GSW",
    "GSW": "GSW",
    "NY": "NYK",
    "NO": "NOP",
    "NOR": "NOP",
    "NOH": "NOP",
    "SA": "SAS",
    "UTAH": "UTA",
    "UTH": "UTA",
    "WSH": "WAS",
    "BRK": "BKN",
    "BKN": "BKN",
    "CHO": "CHA",
    "CHH": "CHA",
    "NJN": "BKN",
}

# Full names as The Odds API spells them ("Los Angeles Clippers", not NBA.com's "LA Clippers").
_FULL_NAME_ALIASES: dict[str, str] = {"los angeles clippers": "LAC"}
BY_FULL_NAME: dict[str, str] = {t.full_name.casefold(): t.tricode for t in TEAMS} | _FULL_NAME_ALIASES


class UnknownTeamError(ValueError):
    """A team code or name that maps to none of the 30 franchises."""


def canonical_tricode(code: str | None) -> str:
    """Map any source's team code to the NBA.com tricode, or raise UnknownTeamError naming it."""
    if code is None:
        raise UnknownTeamError("team code is null")
    c = code.strip().upper()
    if c in BY_TRICODE:
        return c
    if c in ALIASES:
        return ALIASES[c]
    raise UnknownTeamError(f"unknown team code {code!r}")


def tricode_from_full_name(name: str) -> str:
    """Map a full team name (The Odds API style) to the tricode, or raise UnknownTeamError."""
    key = " ".join(name.split()).casefold()
    if key in BY_FULL_NAME:
        return BY_FULL_NAME[key]
    raise UnknownTeamError(f"unknown team name {name!r}")
