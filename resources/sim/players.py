"""The player pool: names, ids, latent traits, and season-by-season rosters (trades, roles, aging).

Names are built from pools that exercise `player_lookup` normalization: accents (Jokić), apostrophes
(De'Aaron, O'Neale), hyphens (Gilgeous-Alexander) and suffixes (Jr., II, III), unique league-wide after
normalization so a lookup identifies exactly one player.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from resources.names import player_lookup
from resources.sim.config import rng_for
from resources.sim.schedule import CALENDARS, calendar_for
from resources.teams import TEAMS

PLAIN_FIRST = (
    "James Marcus Tyler Jalen Jaylen Anthony Devin Kevin Chris Trey Jordan Isaiah Cameron Darius Malik "
    "Tre Zach Brandon Kyle Miles Evan Josh Caleb Derrick Andre Terrence Dillon Keegan Scottie Franz "
    "Brook Jrue Tobias Aaron Mikal Desmond Gradey Walker Cole Ausar Amen Jabari Paolo Keyonte Bennedict "
    "Trayce Jett Kobe Cason Dyson Tari Herbert Naji Obi Royce Max Grant Noah Sam Luke Payton Quentin"
).split()
ACCENT_FIRST = (
    "Luka Nikola Bogdan Jonas Domantas Dennis Jusuf Goran Dario Théo Killian Nicolò Álex Dāvis Kristaps "
    "Jonáš Vlatko Aleksej Matías Joël"
).split()
APOSTROPHE_FIRST = (
    "De'Aaron D'Angelo Ja'Kobe De'Andre Day'Ron Jae'Sean Kel'el Ke'Bryan Da'Vion Ja'Vonte"
).split()
PLAIN_LAST = (
    "Williams Johnson Brown Jones Miller Davis Wilson Moore Taylor Thomas Jackson White Harris Martin "
    "Thompson Robinson Clark Lewis Walker Hall Allen Young King Wright Scott Green Baker Adams Nelson "
    "Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris Murphy "
    "Cook Rogers Morgan Bell Bailey Cooper Richardson Cox Howard Ward Peterson Gray Watson Brooks Sanders "
    "Price Bennett Wood Barnes Ross Henderson Coleman Jenkins Perry Powell Long Patterson Hughes Flores "
    "Washington Butler Simmons Foster Bryant Alexander Russell Griffin Hayes Myers Ford Hamilton Graham "
    "Sullivan Wallace Woods Cole West Owens Reynolds Fisher Ellis Harrison Gibson McDonald Cruz Marshall "
    "Ortiz Murray Freeman Wells Webb Simpson Stevens Tucker Porter Hunter Hicks Crawford Henry Boyd Mason "
    "Kennedy Warren Dixon Reyes Burns Gordon Shaw Holmes Rice Robertson Hunt Black Daniels Palmer Mills "
    "Nichols Grant Knight Ferguson Rose Stone Hawkins Dunn Perkins Hudson Spencer Gardner Stephens Payne "
    "Pierce Berry Matthews Arnold Wagner Willis Watkins Olson Carroll Duncan Snyder Hart Cunningham "
    "Bradley Lane Andrews Harper Fox Riley Armstrong Carpenter Weaver Greene Lawrence Elliott Sims Austin"
).split()
ACCENT_LAST = (
    "Jokić Dončić Vučević Schröder Nurkić Bogdanović Valančiūnas Šarić Porziņģis Bertāns "
    "Hernangómez Nikolić Marjanović Musić Žižić Krejčí Mačiulis Pokuševski Petrušev Jović Şengün "
    "Müller Gärtner Čančar "
    "Smailagić Topić Ivišić Kalaitzákis Sabonís Peña"
).split()
HYPHEN_LAST = (
    "Gilgeous-Alexander Towns-Wright Caldwell-Pope Kidd-Gilchrist Smith-Rowe Jackson-Davis "
    "Robinson-Earl Horton-Tucker Walker-Kimbrough Brooks-Harris"
).split()
APOSTROPHE_LAST = "O'Neale O'Quinn O'Connor D'Souza O'Brien O'Neal".split()
SUFFIXES = ("Jr.", "II", "III")
COLLEGES = (
    "Duke Kentucky Kansas UCLA Gonzaga Arizona Villanova Michigan Baylor Texas Florida Alabama "
    "Houston Tennessee Auburn Creighton Purdue Stanford Virginia Memphis"
).split()
COUNTRIES_EURO = (
    "Serbia", "Slovenia", "Lithuania", "Germany", "Croatia", "Latvia", "France", "Spain", "Türkiye"
)

ROLES = ("star", "starter", "rotation", "bench", "deep_bench")
POSITIONS = ("G", "G", "G-F", "F", "F", "F-C", "C")
ROSTER_SIZE = 15
TRADES_PER_OFFSEASON = 20
MIDSEASON_TRADES = 4


@dataclass
class _Player:
    nba_player_id: int
    bdl_player_id: int
    first_name: str
    last_name: str
    birth_year: int
    position: str
    height: str
    weight: str
    jersey: str
    college: str | None
    country: str
    draft_year: int | None
    talent: float  # latent skill; role and usage follow from it each season
    fga36: float  # shot volume style (FGA per 36 minutes, before role scaling)
    r3: float  # share of shots that are threes
    ftr: float  # free-throw attempts per FGA
    p2: float
    p3: float
    pft: float
    reb36: float
    oreb_share: float
    ast36: float
    blk36: float

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class _NameMaker:
    """Draws names that are unique after `player_lookup` normalization."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.seen: set[str] = set()

    def draw(self) -> tuple[str, str, bool]:
        r = self.rng
        for _ in range(1000):
            euro = r.random() < 0.14
            u = r.random()
            if euro:
                first = ACCENT_FIRST[r.integers(len(ACCENT_FIRST))]
                last = ACCENT_LAST[r.integers(len(ACCENT_LAST))]
            else:
                first = (APOSTROPHE_FIRST if u < 0.08 else PLAIN_FIRST)
                first = first[r.integers(len(first))]
                v = r.random()
                pool = HYPHEN_LAST if v < 0.05 else APOSTROPHE_LAST if v < 0.09 else PLAIN_LAST
                last = pool[r.integers(len(pool))]
                if r.random() < 0.08:
                    last = f"{last} {SUFFIXES[r.integers(len(SUFFIXES))]}"
            key = player_lookup(f"{first} {last}")
            if key not in self.seen:
                self.seen.add(key)
                return first, last, euro
        raise RuntimeError("name pools exhausted")


def _new_player(r: np.random.Generator, names: _NameMaker, ids: dict[str, set[int]], birth_year: int,
                talent: float, draft_year: int | None) -> _Player:
    first, last, euro = names.draw()
    pos = POSITIONS[r.integers(len(POSITIONS))]
    big = pos in ("C", "F-C")
    guard = pos in ("G", "G-F")

    def fresh(kind: str, lo: int, hi: int) -> int:
        while True:
            v = int(r.integers(lo, hi))
            if v not in ids[kind]:
                ids[kind].add(v)
                return v

    inches = int(r.integers(80, 86) if big else r.integers(74, 79) if guard else r.integers(78, 82))
    return _Player(
        nba_player_id=fresh("nba", 1626000, 1642000),
        bdl_player_id=fresh("bdl", 100, 9000) if r.random() < 0.5 else fresh("bdl", 17_000_000, 38_000_000),
        first_name=first,
        last_name=last,
        birth_year=birth_year,
        position=pos,
        height=f"{inches // 12}-{inches % 12}",
        weight=str(int(r.integers(230, 270) if big else r.integers(185, 225))),
        jersey=str(int(r.integers(0, 100))),
        college=None if euro else COLLEGES[r.integers(len(COLLEGES))],
        country=COUNTRIES_EURO[r.integers(len(COUNTRIES_EURO))] if euro else "USA",
        draft_year=draft_year,
        talent=talent,
        fga36=float(np.clip(r.normal(1.0, 0.12), 0.7, 1.35)),
        r3=float(np.clip(r.normal(0.16 if big else 0.42 if guard else 0.35, 0.08), 0.02, 0.65)),
        ftr=float(np.clip(r.normal(0.3 if big else 0.26, 0.07), 0.1, 0.5)),
        p2=float(np.clip(r.normal(0.58 if big else 0.52, 0.03), 0.44, 0.66)),
        p3=float(np.clip(r.normal(0.36, 0.025), 0.28, 0.43)),
        pft=float(np.clip(r.normal(0.7 if big else 0.8, 0.06), 0.5, 0.93)),
        reb36=float(np.clip(r.normal(10.5 if big else 4.5 if guard else 6.5, 1.2), 2.5, 15)),
        oreb_share=float(np.clip(r.normal(0.32 if big else 0.18, 0.05), 0.05, 0.5)),
        ast36=float(np.clip(r.normal(6.0 if guard else 2.8, 1.3), 0.8, 11)),
        blk36=float(np.clip(r.normal(1.6 if big else 0.45, 0.3), 0.05, 3.5)),
    )


# Per role: minutes weight (healthy share of 240), FGA per 36 scale, DNP-coach's-decision probability.
ROLE_MINUTES = {"star": 35.5, "starter": 30.0, "rotation": 21.0, "bench": 12.0, "deep_bench": 6.0}
ROLE_FGA36 = {"star": 26.0, "starter": 15.0, "rotation": 13.5, "bench": 12.5, "deep_bench": 12.0}
ROLE_DNP_CD = {"star": 0.0, "starter": 0.0, "rotation": 0.02, "bench": 0.2, "deep_bench": 0.6}


def _roles_for(talents: np.ndarray) -> list[str]:
    """Rank a team's roster by talent: 1 star (2 when the runner-up is elite), 4 starters, ..."""
    order = np.argsort(-talents, kind="stable")
    roles = [""] * len(talents)
    for rank, i in enumerate(order):
        if rank == 0 or (rank == 1 and talents[i] > 1.6):
            roles[i] = "star"
        elif rank <= 4:
            roles[i] = "starter"
        elif rank <= 8:
            roles[i] = "rotation"
        elif rank <= 11:
            roles[i] = "bench"
        else:
            roles[i] = "deep_bench"
    return roles


@dataclass
class SeasonRosters:
    """One season's roster truth: traits per player, and (player, team, from, to) stints."""

    season_year: int
    players: dict[int, _Player]  # nba_player_id -> player (traits as of this season)
    roles: dict[int, str]
    stints: pl.DataFrame  # nba_player_id, team, from_date, to_date (inclusive)
    trades: pl.DataFrame  # trade_date, nba_player_id, from_team, to_team


class PlayerPool:
    """Generates rosters season by season, in order, each season derived from the previous one."""

    def __init__(self, seed: int):
        self.seed = seed
        self._cache: dict[int, SeasonRosters] = {}
        self._names: _NameMaker | None = None
        self._ids: dict[str, set[int]] = {"nba": set(), "bdl": set()}

    def season(self, season_year: int) -> SeasonRosters:
        if season_year in self._cache:
            return self._cache[season_year]
        first = min(CALENDARS)
        if season_year < first:
            raise ValueError(f"no rosters before {first}")
        # Rosters carry over: season N is built from season N-1's end-of-season teams.
        prev = None if season_year == first else self.season(season_year - 1)
        built = self._build(season_year, prev)
        self._cache[season_year] = built
        return built

    def _build(self, season_year: int, prev: SeasonRosters | None) -> SeasonRosters:
        r = rng_for(self.seed, season_year, "rosters")
        if self._names is None:
            self._names = _NameMaker(rng_for(self.seed, 0, "names"))
        cal = calendar_for(season_year)
        team_of: dict[int, str] = {}
        players: dict[int, _Player] = {}
        trade_rows: list[tuple[date, int, str, str]] = []
        if prev is None:
            for t in TEAMS:
                for _ in range(ROSTER_SIZE):
                    age = int(r.integers(20, 36))
                    p = _new_player(r, self._names, self._ids, season_year - age, float(r.normal(0, 1)),
                                    season_year - age + 20 if r.random() < 0.85 else None)
                    players[p.nba_player_id] = p
                    team_of[p.nba_player_id] = t.tricode
        else:
            end_team = prev.stints.sort("to_date").group_by("nba_player_id").agg(pl.col("team").last())
            last_team = dict(end_team.select("nba_player_id", "team").iter_rows())
            for pid, p in prev.players.items():
                age = season_year - p.birth_year
                if age >= 38 or (age >= 34 and r.random() < 0.35):
                    continue  # retired
                # Aging curve plus noise: young players improve, veterans decline; roles follow.
                drift = 0.3 if age < 24 else 0.1 if age < 28 else 0.0 if age < 31 else -0.25
                p2 = _Player(**{**p.__dict__, "talent": p.talent + drift + float(r.normal(0, 0.3))})
                players[pid] = p2
                team_of[pid] = last_team[pid]
            # Offseason trades: swap players between teams so every roster stays at 15.
            ids = sorted(players)
            for _ in range(TRADES_PER_OFFSEASON):
                a, b = (int(x) for x in r.choice(ids, 2, replace=False))
                if team_of[a] != team_of[b]:
                    team_of[a], team_of[b] = team_of[b], team_of[a]
            # Fill holes left by retirements with rookies.
            counts = {t.tricode: 0 for t in TEAMS}
            for pid in players:
                counts[team_of[pid]] += 1
            for t in TEAMS:
                for _ in range(ROSTER_SIZE - counts[t.tricode]):
                    age = int(r.integers(19, 23))
                    p = _new_player(r, self._names, self._ids, season_year - age,
                                    float(r.normal(-0.4, 0.9)), season_year)
                    players[p.nba_player_id] = p
                    team_of[p.nba_player_id] = t.tricode
        roles: dict[int, str] = {}
        for t in TEAMS:
            pids = sorted(pid for pid in players if team_of[pid] == t.tricode)
            for pid, role in zip(pids, _roles_for(np.array([players[p].talent for p in pids])), strict=True):
                roles[pid] = role
        # A few mid-season swaps around the trade deadline (early February).
        deadline = date(season_year + 1, 2, 5)
        stints: list[tuple[int, str, date, date]] = []
        moved: dict[int, str] = {}
        ids = sorted(players)
        while len(moved) < 2 * MIDSEASON_TRADES:
            a, b = (int(x) for x in r.choice(ids, 2, replace=False))
            if team_of[a] != team_of[b] and a not in moved and b not in moved:
                moved[a], moved[b] = team_of[b], team_of[a]
                trade_rows += [(deadline, a, team_of[a], team_of[b]), (deadline, b, team_of[b], team_of[a])]
        for pid in sorted(players):
            if pid in moved:
                stints.append((pid, team_of[pid], cal.opening, date.fromordinal(deadline.toordinal() - 1)))
                stints.append((pid, moved[pid], deadline, cal.last_day))
            else:
                stints.append((pid, team_of[pid], cal.opening, cal.last_day))
        stint_frame = pl.DataFrame(
            stints,
            schema={"nba_player_id": pl.Int64, "team": pl.Utf8, "from_date": pl.Date, "to_date": pl.Date},
            orient="row",
        )
        trades = pl.DataFrame(
            trade_rows,
            schema={
                "trade_date": pl.Date, "nba_player_id": pl.Int64, "from_team": pl.Utf8, "to_team": pl.Utf8
            },
            orient="row",
        )
        return SeasonRosters(season_year, players, roles, stint_frame, trades)


def players_frame(rosters: SeasonRosters) -> pl.DataFrame:
    """Roster truth: ids, name, team at season start, role and latent traits."""
    first = rosters.stints.sort("from_date").group_by("nba_player_id").agg(pl.col("team").first())
    start_team = dict(zip(first["nba_player_id"].to_list(), first["team"].to_list(), strict=True))
    rows = []
    for pid in sorted(rosters.players):
        p = rosters.players[pid]
        rows.append({
            "nba_player_id": pid,
            "bdl_player_id": p.bdl_player_id,
            "player_name": p.name,
            "player_lookup": player_lookup(p.name),
            "first_name": p.first_name,
            "last_name": p.last_name,
            "team": start_team[pid],
            "role": rosters.roles[pid],
            "position": p.position,
            "height": p.height,
            "weight": p.weight,
            "jersey_number": p.jersey,
            "college": p.college,
            "country": p.country,
            "draft_year": p.draft_year,
            "age": rosters.season_year - p.birth_year,
            "true_talent": p.talent,
            "true_fga36": p.fga36 * ROLE_FGA36[rosters.roles[pid]],
            "true_three_rate": p.r3,
            "true_ft_rate": p.ftr,
            "true_fg2_pct": p.p2,
            "true_fg3_pct": p.p3,
            "true_ft_pct": p.pft,
        })
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return frame.with_columns(season_year=pl.lit(rosters.season_year, dtype=pl.Int64))
