"""Boxscore manifests: a cheap fingerprint of what a source has for a day vs what the lake holds.

A manifest maps (game_date, source) to a hash of the day's player lines as (home, away, player,
points, minutes). The same function fingerprints a source probe and the lake's raw table, so a new
game (late boxscore) or a changed line (stat correction) shows up as a differing hash, and an
unchanged day hashes identically: the sensor then requests nothing.
"""

from __future__ import annotations

import hashlib

import polars as pl

FINGERPRINT_COLUMNS = ["game_date", "home_team", "away_team", "player_lookup", "points", "minutes"]
ManifestKey = tuple[str, str]  # (game_date ISO, source)


def boxscore_manifest(rows: pl.DataFrame, source: str) -> dict[ManifestKey, str]:
    """Fingerprint each game_date of `rows` (a raw boxscore-shaped frame) for `source`."""
    if rows.height == 0:
        return {}
    df = (
        rows.select(FINGERPRINT_COLUMNS)
        .unique()
        .with_columns(pl.col("minutes").round(1))
        .sort(FINGERPRINT_COLUMNS)
    )
    out: dict[ManifestKey, str] = {}
    for (day,), part in df.group_by(["game_date"], maintain_order=True):
        h = hashlib.sha256()
        for row in part.drop("game_date").iter_rows():
            h.update(repr(row).encode())
        out[(str(day), source)] = h.hexdigest()[:16]
    return out


def changed_days(
    probe: dict[ManifestKey, str],
    lake: dict[ManifestKey, str],
    already_requested: dict[str, str],
) -> dict[ManifestKey, str]:
    """(day, source) entries whose probe hash differs from the lake and was not requested already.

    A day the probe reports with no rows (no final games yet) is not a change; a day the probe has
    and the lake lacks is (a late boxscore). `already_requested` maps "day|source" to the hash we
    last asked a run for, so an in-flight run is not requested twice.
    """
    changed = {}
    for key, digest in probe.items():
        if lake.get(key) == digest:
            continue
        if already_requested.get(f"{key[0]}|{key[1]}") == digest:
            continue
        changed[key] = digest
    return changed
