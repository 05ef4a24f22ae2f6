"""Across fetches of one day: which source id of a game is kept when a source renumbers it."""

from __future__ import annotations

import polars as pl

GAME_KEY = ["game_date", "home_team", "away_team"]
GAME_ID_CHANGED_RULE = "game id changed between fetches of one game (date, home, away): the newest fetch's id is kept"
_CHANGE_SCHEMA = {**dict.fromkeys(GAME_KEY, pl.Utf8), "game_date": pl.Date, "old_id": pl.Utf8, "new_id": pl.Utf8}


def newest_game_ids(frames: list[pl.DataFrame], id_col: str) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """Frames in fetch order (oldest first): for each game (game_date, home_team, away_team) the id in
    the newest frame that has the game wins, and rows of that game under another id are dropped.

    A game is one (date, home, away) everywhere in the lake, so a source that renumbers a game between
    fetches must not leave both numberings (the day doubled, then analytics refused "several game
    ids"). The pages of one fetch share the game's id, so a game split over pages keeps every page.
    Returns the frames and one row per (game, old id, new id) dropped, for the record.
    """
    latest: dict[tuple, str] = {}
    games = [frame.select(*GAME_KEY, id_col).unique().rows() if frame.height else [] for frame in frames]
    for ids in games:
        for *game, gid in ids:
            latest[tuple(game)] = gid
    changes: list[tuple] = []
    kept = []
    for frame, ids in zip(frames, games, strict=True):
        if not frame.height:
            kept.append(frame)
            continue
        stale = {(*game, gid) for *game, gid in ids if latest[tuple(game)] != gid}
        if stale:
            changes.extend((*game, old, latest[tuple(game)]) for *game, old in sorted(stale))
            keep = [tuple(r) not in stale for r in frame.select(*GAME_KEY, id_col).iter_rows()]
            frame = frame.filter(pl.Series(keep, dtype=pl.Boolean))
        kept.append(frame)
    changed = pl.DataFrame(changes, schema=_CHANGE_SCHEMA, orient="row").unique(maintain_order=True)
    return kept, changed
