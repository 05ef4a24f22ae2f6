"""SimLeague: the simulated NBA's truth as polars frames, generated lazily per season and cached."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

import polars as pl

from resources.sim import cache
from resources.sim.config import SimConfig
from resources.sim.faults import pick_faults
from resources.sim.game_lines import build_game_lines
from resources.sim.games import simulate_season
from resources.sim.market import build_snapshots, event_id
from resources.sim.players import PlayerPool, players_frame
from resources.sim.schedule import build_schedule, calendar_for

BOX_COLUMNS = [
    "game_id", "game_date", "team", "opponent", "home", "nba_player_id", "bdl_player_id", "player_name",
    "minutes", "dnp", "points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb", "ast",
    "stl", "blk", "tov", "pf", "plus_minus", "role", "dnp_reason", "true_expected_minutes",
    "true_expected_points", "true_form", "true_usage_boost",
]


@dataclass(frozen=True)
class _Season:
    schedule: pl.DataFrame
    boxscores: pl.DataFrame
    players: pl.DataFrame
    injuries: pl.DataFrame
    props: pl.DataFrame
    faults: pl.DataFrame


SEASON_FRAMES = [f.name for f in fields(_Season)]


class SimLeague:
    """Deterministic from `config.seed`: same seed, same league, byte for byte."""

    def __init__(self, config: SimConfig = SimConfig(), cache_root: Path | None = None):
        """`cache_root`: where generated seasons are kept between processes (resources/sim/cache.py)."""
        self.config = config
        self.cache_root = cache_root
        self._pool = PlayerPool(config.seed)
        self._seasons: dict[int, _Season] = {}
        self._game_lines: dict[int, pl.DataFrame] = {}

    def _season(self, season_year: int) -> _Season:
        self._check(season_year)
        if season_year not in self._seasons:
            stored = cache.load(self.cache_root, self.config, season_year, SEASON_FRAMES)
            if stored is not None:
                self._seasons[season_year] = _Season(**stored)
                return self._seasons[season_year]
            seed = self.config.seed
            rosters = self._pool.season(season_year)
            games = simulate_season(seed, build_schedule(seed, season_year), rosters)
            faults = pick_faults(seed, season_year, games.schedule, games.boxscores, self.config.faults)
            props = build_snapshots(seed, season_year, games.schedule, games.boxscores, faults)
            schedule = games.schedule.with_columns(
                event_id=pl.col("game_id").map_elements(lambda g: event_id(seed, g), return_dtype=pl.Utf8)
            )
            self._seasons[season_year] = _Season(
                schedule=schedule,
                boxscores=games.boxscores.select(BOX_COLUMNS).with_columns(
                    season_year=pl.lit(season_year, dtype=pl.Int64)
                ),
                players=players_frame(rosters),
                injuries=games.injuries,
                props=props,
                faults=faults,
            )
            season = self._seasons[season_year]
            cache.store(self.cache_root, self.config, season_year, {f: getattr(season, f) for f in SEASON_FRAMES})
        return self._seasons[season_year]

    def schedule(self, season_year: int) -> pl.DataFrame:
        """One row per game: ids, date (ET), tip-off (UTC), teams, final scores (truth)."""
        return self._season(season_year).schedule

    def boxscores(self, season_year: int) -> pl.DataFrame:
        """One row per (game_id, player) including DNPs; latent columns are prefixed `true_`."""
        return self._season(season_year).boxscores

    def players(self, season_year: int) -> pl.DataFrame:
        """Roster truth: ids, name, team at season start, role, latent traits (no games simulated)."""
        if season_year in self._seasons:
            return self._seasons[season_year].players
        self._check(season_year)
        return players_frame(self._pool.season(season_year))

    def trades(self, season_year: int) -> pl.DataFrame:
        """Mid-season trades (trade_date, nba_player_id, from_team, to_team)."""
        self._check(season_year)
        return self._pool.season(season_year).trades

    def _check(self, season_year: int) -> None:
        if season_year not in self.config.seasons:
            raise ValueError(f"season {season_year} is not simulated (seasons={self.config.seasons})")

    def injuries(self, season_year: int) -> pl.DataFrame:
        """Injury report: one row per (report_date, player) with status Out/Questionable/Day-To-Day."""
        return self._season(season_year).injuries

    def prop_snapshots(self, season_year: int) -> pl.DataFrame:
        """Every Odds API snapshot row (book, player, time), in-game ones flagged `in_game`."""
        return self._season(season_year).props

    def game_lines(self, season_year: int) -> pl.DataFrame:
        """Every spreads/totals snapshot (game, book, time), from the box scores' team expectations."""
        if season_year not in self._game_lines:
            self._game_lines[season_year] = build_game_lines(
                self.config.seed, season_year, self.schedule(season_year), self.boxscores(season_year))
        return self._game_lines[season_year]

    def faults(self, season_year: int) -> pl.DataFrame:
        """One row per injected fault (kind, game, player, detail, release_ts)."""
        return self._season(season_year).faults

    def season_of(self, d: date) -> int | None:
        """The simulated season whose regular-season window contains `d`, if any."""
        for s in self.config.seasons:
            cal = calendar_for(s)
            if cal.opening <= d <= cal.last_day:
                return s
        return None

    def game_dates(self, season_year: int) -> list[date]:
        return self.schedule(season_year)["game_date"].unique().sort().to_list()
