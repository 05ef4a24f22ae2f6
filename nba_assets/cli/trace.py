"""Row-level lineage: from one prediction (or one player-game summary row) back to the API responses.

    prediction (game, player, system)
      -> its feature row on D (data_as_of, quality, every feature value)
      -> the player's summary rows its windows used (same season, before D, within HISTORY_DAYS)
           -> the raw boxscore rows behind each, in both sources
                -> each one's landing file (path, sha256, fetch time, redacted URL and params)
      -> the model that scored it (week, training rows and dates, validation metrics)
      -> the prop-line snapshots behind the consensus line (book, line, snapshot time, pre-tip or not)

It reads only the lake's Parquet files (one file per table per day, each written atomically, so a
run writing meanwhile never shows a half file), the landing zone and the model sidecars, and it
reads only the days it needs. The result is a plain dict whose shape is docs/trace.schema.json;
`nba-lake trace` prints it as a tree or as JSON. Re-computations (window means, the consensus
median) are reported beside the stored values so a reader sees that the path explains the number.

Row ids: a prediction is `<game_id>:<player_lookup>:<system_id>`, a summary row `<game_id>:<player_lookup>`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from nba_assets import tables as t
from nba_assets.logic.features import HISTORY_DAYS, WINDOWS
from nba_assets.logic.system_ids import BASELINE_SYSTEM, MODEL_SYSTEM
from resources.files import LAKE_DIR, MANIFEST, data_path, is_local, read_parquet
from resources.http import redact_params, redact_url
from resources.names import player_lookup

TRACE_FORMAT = 1
PREDICTIONS = t.PLAYER_PROP_PREDICTIONS
FEATURES = t.PLAYER_FEATURES
SUMMARY = t.PLAYER_GAME_SUMMARY
GAMES = t.GAMES
PROPS = t.PROP_LINES
# Where each raw table's rows were parsed from: (landing source, endpoints).
RAW_LANDING = {
    t.BDL_BOXSCORES: ("bdl", ("stats", "box_scores")),
    t.NBACOM_BOXSCORES: ("nbacom", ("leaguegamelog",)),
    PROPS: ("oddsapi", ("event_odds",)),
}
# prop_lines rows only the second props feed saw (source "sportsdataio") come from its folder.
MORE_LANDING = {PROPS: (("sportsdataio", ("player_props",)),)}
RAW_BOX = {"bdl": t.BDL_BOXSCORES, "nbacom": t.NBACOM_BOXSCORES}
BOX_COLUMNS = ["source_game_id", "team", "player_id", "player_name", "minutes", "dnp", "points", "landing_file"]
SNAPSHOT_COLUMNS = ["bookmaker", "line", "over_price", "under_price", "snapshot_ts", "commence_time",
                    "minutes_before_tip", "landing_file"]  # fmt: skip


class TraceError(ValueError):
    """The row asked for is not in the lake (message says which and where it looked)."""


# ------------------------------------------------------------------------------------------ reading
class LakeFiles:
    """The lake's day files, the landing zone and the model sidecars under one data dir."""

    def __init__(self, data_dir: str):
        self.data_dir = str(data_dir)
        self.base = data_path(self.data_dir)
        self.lake = self.base / LAKE_DIR
        self._manifests: dict[str, dict[str, dict]] = {}
        self._read: dict[tuple[str, str], pl.DataFrame | None] = {}  # (table, day) -> its file, read once

    def day_path(self, table: t.Table, day: dt.date | str) -> Path:
        return self.lake.joinpath(*table.path, f"{day}.parquet")

    def day(self, table: t.Table, day: dt.date | str) -> pl.DataFrame | None:
        """One day's file of `table`; None when the lake has no file for that day."""
        key = (table.label, str(day))
        if key not in self._read:
            path = self.day_path(table, day)
            self._read[key] = read_parquet(path) if path.exists() else None
        return self._read[key]

    def preload(self, table: t.Table, days: Iterable[dt.date | str]) -> None:
        """Read these days' files of `table` at once (polars reads them in parallel; a trace reads ~40
        small files, one by one ~10 ms each); `day` then answers from memory. Local lakes only: an
        object store's files are read one by one by `day`."""
        todo = [(table.label, str(d)) for d in days if (table.label, str(d)) not in self._read]
        paths = {key: self.day_path(table, key[1]) for key in todo}
        found = {key: p for key, p in paths.items() if is_local(p) and p.exists()}
        frames = pl.collect_all([pl.scan_parquet(os.fspath(p)) for p in found.values()]) if found else []
        self._read.update(zip(found, frames, strict=True))
        self._read.update({key: None for key, p in paths.items() if is_local(p) and key not in found})

    def days(self, table: t.Table, days: list[dt.date], where: pl.Expr) -> pl.DataFrame:
        self.preload(table, days)
        frames = [f.filter(where) for d in days if (f := self.day(table, d)) is not None]
        frames = [f for f in frames if f.height]
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def game_date(self, game_id: str) -> dt.date:
        """The game's date from analytics/games: a polars scan of a local lake's day files (two
        columns, ~40 ms; DuckDB's import and views took ~0.4 s), DuckDB's views over an object store."""
        folder = self.lake.joinpath(*GAMES.path)
        if is_local(folder):
            files = sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []
            if not files:
                raise TraceError(f"no {GAMES} table under {self.lake}: nothing to trace")
            got = (pl.scan_parquet(files, missing_columns="insert", extra_columns="ignore")
                   .filter(pl.col("game_id") == game_id).select("game_date").head(1).collect())
        else:
            from resources.lake_reader import LakeReader

            reader = LakeReader(self.data_dir)
            if GAMES.view not in reader.tables():
                raise TraceError(f"no {GAMES} table under {self.lake}: nothing to trace")
            safe = game_id.replace("'", "")
            got = reader.query(f"select game_date from {GAMES.view} where game_id = '{safe}' limit 1")
        if got.height == 0:
            raise TraceError(f"game {game_id!r} is not in {GAMES} (ids look like 0022500352)")
        return got["game_date"][0]

    # ---- landing zone
    def landing(self, table: t.Table, day: dt.date, name: str) -> dict[str, Any]:
        """Where a raw row's landing file is, what it holds (sha256) and how it was fetched."""
        source, endpoints = RAW_LANDING[table]
        places = [(src, ep) for src, eps in (RAW_LANDING[table], *MORE_LANDING.get(table, ())) for ep in eps]
        for source_, endpoint in places:
            folder = self.base / "landing" / source_ / endpoint / str(day)
            path = folder / name
            if path.exists():
                body = path.read_bytes()
                sha = hashlib.sha256(body).hexdigest()
                entry = self._manifest(folder).get(name)
                info: dict[str, Any] = {
                    "path": str(path), "exists": True, "sha256": sha, "bytes": len(body),
                    "content_address_ok": name == sha[:16] + ".json",
                    "fetched_at": entry.get("fetched_at") if entry else None,
                    "url": redact_url(entry["url"]) if entry and entry.get("url") else None,
                    "params": redact_params(entry.get("params")) if entry else None,
                    "page": entry.get("page") if entry else None,
                    "note": None if entry else "no manifest entry: the file was dropped into the folder by hand",
                }  # fmt: skip
                return info
        where = self.base / "landing" / source / f"{{{','.join(endpoints)}}}" / str(day) / name
        return {
            "path": str(where), "exists": False, "sha256": None, "bytes": None, "content_address_ok": None,
            "fetched_at": None, "url": None, "params": None, "page": None,
            "note": f"landing file missing: {name} is not under {where.parent} (moved or deleted); "
            "the lake row stays, but the response it came from cannot be shown",
        }  # fmt: skip

    def _manifest(self, folder: Path) -> dict[str, dict]:
        """file name -> its latest manifest entry (torn lines skipped)."""
        key = str(folder)
        if key not in self._manifests:
            entries: dict[str, dict] = {}
            path = folder / MANIFEST
            if path.exists():
                for line in path.read_text().splitlines():
                    try:
                        e = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(e, dict) and e.get("file"):
                        entries[e["file"]] = e
            self._manifests[key] = entries
        return self._manifests[key]

    # ---- models
    def model_sidecar(self, week: str) -> tuple[Path, dict | None]:
        path = self.base / "models" / "points_model" / f"{week}.json"
        return path, (json.loads(path.read_text()) if path.exists() else None)


# ------------------------------------------------------------------------------------ pure helpers
def _jsonable(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).isoformat() if v.tzinfo else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v


def row_dict(df: pl.DataFrame) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in df.row(0, named=True).items()}


def parse_row_id(row_id: str) -> tuple[str, str, str | None]:
    """'<game_id>:<player>:<system>' or '<game_id>:<player>' -> (game_id, player_lookup, system or None)."""
    parts = [p.strip() for p in row_id.split(":")]
    if len(parts) not in (2, 3) or not all(parts):
        raise TraceError(
            f"row id {row_id!r} is not <game_id>:<player_lookup>[:<system_id>] (e.g. 0022500352:lukadoncic:lgbm_points_v1)"
        )
    return parts[0], player_lookup(parts[1]) or parts[1], parts[2] if len(parts) == 3 else None


def window_membership(history: pl.DataFrame, season_year: int, day: dt.date) -> pl.DataFrame:
    """The player's summary rows a feature row on `day` can use, newest first, with the windows each
    played game falls in (l3, l5, l10 over played games of the season; season = every played game)."""
    start = day - dt.timedelta(days=HISTORY_DAYS)
    rows = history.filter(
        (pl.col("game_date") < day) & (pl.col("game_date") >= start) & (pl.col("season_year") == season_year)
    ).sort(["game_date", "game_id"], descending=True)
    played = (~pl.col("dnp")) & (pl.col("minutes") > 0)
    rank = pl.when(played).then(played.cast(pl.Int64).cum_sum()).otherwise(None)
    rows = rows.with_columns(rank.alias("played_rank"), played.alias("played"))
    windows = [
        pl.when(pl.col("played_rank") <= n).then(pl.lit(f"l{n}")).otherwise(None) for n in WINDOWS
    ]
    return rows.with_columns(
        pl.concat_list(*windows, pl.when(pl.col("played")).then(pl.lit("season")).otherwise(None))
        .list.drop_nulls()
        .alias("windows")
    )


def recompute_windows(rows: pl.DataFrame, features: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """pts_l3/l5/l10 and pts_season recomputed from the listed rows, beside the stored values."""
    out = {}
    played = rows.filter(pl.col("played"))
    for name, take in [*((f"pts_l{n}", n) for n in WINDOWS), ("pts_season", None)]:
        pts = played["points"] if take is None else played["points"].head(take)
        value = float(pts.mean()) if pts.len() else None
        stored = features.get(name)
        same = (value is None and stored is None) or (
            value is not None and stored is not None and abs(value - stored) < 1e-6
        )
        out[name] = {"stored": stored, "recomputed": _jsonable(value), "games": pts.len(), "matches": same}
    return out


def pre_tip(snapshots: pl.DataFrame, tipoff: dt.datetime | None) -> pl.Expr:
    """The rule features use: minutes_before_tip > 0, before the event's start and the slate tip-off."""
    cond = (pl.col("minutes_before_tip") > 0) & (pl.col("snapshot_ts") < pl.col("commence_time"))
    if tipoff is not None:
        cond = cond & (pl.col("snapshot_ts") < pl.lit(tipoff).cast(snapshots.schema["snapshot_ts"]))
    return cond


def consensus_snapshots(snapshots: pl.DataFrame, tipoff: dt.datetime | None) -> tuple[pl.DataFrame, float | None]:
    """Every snapshot flagged pre_tip / used (each book's latest pre-tip line) and their median."""
    flagged = snapshots.with_columns(pre_tip(snapshots, tipoff).alias("pre_tip")).sort(
        ["bookmaker", "snapshot_ts", "line"]
    )
    latest = (
        flagged.filter(pl.col("pre_tip"))
        .group_by("bookmaker", maintain_order=True)
        .agg(pl.col("snapshot_ts").last(), pl.col("line").last())
    )
    used = flagged.join(
        latest.with_columns(pl.lit(True).alias("used_in_consensus")), on=["bookmaker", "snapshot_ts", "line"],
        how="left",
    ).with_columns(pl.col("used_in_consensus").fill_null(False))  # fmt: skip
    median = latest["line"].median() if latest.height else None
    return used, (float(median) if median is not None else None)


# -------------------------------------------------------------------------------------- assembling
def _one(df: pl.DataFrame | None, what: str, where: str) -> pl.DataFrame:
    if df is None or df.height == 0:
        raise TraceError(f"no {what} in {where}")
    return df.head(1)


def raw_rows(files: LakeFiles, summary: dict[str, Any], notes: list[str]) -> list[dict[str, Any]]:
    """Both sources' raw rows for one summary row (same day, team, player), each with its landing file."""
    out = []
    day = dt.date.fromisoformat(summary["game_date"])
    for source, table in RAW_BOX.items():
        df = files.day(table, day)
        if df is None:
            continue
        hit = df.filter(
            (pl.col("player_lookup") == summary["player_lookup"]) & (pl.col("team") == summary["team"])
        ).select([c for c in BOX_COLUMNS if c in df.columns])
        for r in hit.iter_rows(named=True):
            landing = files.landing(table, day, r["landing_file"])
            if not landing["exists"]:
                notes.append(f"{table} {day} {summary['player_lookup']}: {landing['note']}")
            out.append({"source": source, "table": table.label, "file": str(files.day_path(table, day)),
                        "used": source == summary["source_used"], **_jsonable(r), "landing": landing})  # fmt: skip
    if not any(r["used"] for r in out):
        notes.append(
            f"{summary['game_date']} {summary['game_id']} {summary['player_lookup']}: no raw row in "
            f"{RAW_BOX.get(summary['source_used'], summary['source_used'])}, the source the summary names"
        )
    return out


def _summary_entry(files: LakeFiles, r: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    keep = ["game_date", "game_id", "team", "opponent", "home", "player_lookup", "player_name", "dnp",
            "minutes", "points", "source_used", "source_disagreement", "alt_points"]  # fmt: skip
    entry = {k: _jsonable(r[k]) for k in keep if k in r}
    entry["windows"] = list(r.get("windows") or [])
    entry["file"] = str(files.day_path(SUMMARY, r["game_date"]))
    entry["raw"] = raw_rows(files, entry, notes)
    return entry


def model_info(files: LakeFiles, prediction: dict[str, Any]) -> dict[str, Any]:
    system, version = prediction["system_id"], prediction["model_version"]
    if system == BASELINE_SYSTEM:
        return {"kind": "baseline", "system_id": system, "model_version": version, "week": None, "file": None,
                "rule": "mean points of the last 10 played games (pts_l10), else L5, else season mean",
                "metrics": None, "note": None}  # fmt: skip
    week = version.split("@", 1)[1] if "@" in version else None
    info: dict[str, Any] = {"kind": "lightgbm", "system_id": system, "model_version": version, "week": week,
                            "file": None, "rule": None, "metrics": None, "note": None}  # fmt: skip
    if week is None:
        info["note"] = f"model_version {version!r} names no week"
        return info
    path, sidecar = files.model_sidecar(week)
    info["file"] = str(path.with_suffix(".txt"))
    if sidecar is None:
        info["note"] = f"model sidecar missing: {path}"
        return info
    m = sidecar.get("metrics", {})
    info["metrics"] = _jsonable({
        "cutoff": sidecar.get("cutoff"), "train_rows": m.get("train_rows"), "train_start": m.get("train_start"),
        "train_end": m.get("train_end"), "train_days": m.get("train_days"), "val_rows": m.get("val_rows"),
        "val_start": m.get("val_start"), "val_mae_model": m.get("val_mae_model"),
        "val_mae_baseline": m.get("val_mae_baseline"), "val_bias_model": m.get("val_bias_model"),
        "num_boost_round": m.get("num_boost_round"), "model_sha256": sidecar.get("model_sha256"),
    })  # fmt: skip
    return info


def prop_lines(
    files: LakeFiles, feature: dict[str, Any], game: dict[str, Any], tip: dt.datetime | None, notes: list[str]
) -> dict[str, Any]:
    day = dt.date.fromisoformat(feature["game_date"])
    df = files.day(PROPS, day)
    out: dict[str, Any] = {"consensus_line": feature.get("consensus_line"), "n_books": feature.get("n_books"),
                           "recomputed_consensus": None, "matches": None, "snapshots": []}  # fmt: skip
    if df is None:
        notes.append(f"{PROPS} has no file for {day}")
        return out
    mine = df.filter(
        (pl.col("player_lookup") == feature["player_lookup"])
        & (pl.col("home_team") == game["home_team"]) & (pl.col("away_team") == game["away_team"])
    )  # fmt: skip
    flagged, median = consensus_snapshots(mine, tip)
    out["recomputed_consensus"] = median
    stored = feature.get("consensus_line")
    out["matches"] = (median is None and stored is None) or (
        median is not None and stored is not None and abs(median - stored) < 1e-9
    )
    for r in flagged.iter_rows(named=True):
        snap = {c: _jsonable(r[c]) for c in SNAPSHOT_COLUMNS if c in r}
        snap |= {"pre_tip": r["pre_tip"], "used_in_consensus": r["used_in_consensus"],
                 "landing": files.landing(PROPS, day, r["landing_file"])}  # fmt: skip
        if not snap["landing"]["exists"]:
            notes.append(f"{PROPS} {day} {r['bookmaker']} {snap['snapshot_ts']}: {snap['landing']['note']}")
        out["snapshots"].append(snap)
    return out


def trace_prediction(data_dir: str, game_id: str, player: str, system: str) -> dict[str, Any]:
    """The whole path of one prediction (see the module docstring); raises TraceError when absent."""
    files = LakeFiles(data_dir)
    lookup = player_lookup(player) or player
    day = files.game_date(game_id)
    key = (pl.col("game_id") == game_id) & (pl.col("player_lookup") == lookup)
    where = str(files.day_path(PREDICTIONS, day))
    preds = files.day(PREDICTIONS, day)
    if preds is not None and preds.filter(key).height and not preds.filter(key & (pl.col("system_id") == system)).height:
        systems = sorted(preds.filter(key)["system_id"].unique().to_list())
        raise TraceError(f"no {system!r} prediction for {lookup} in {game_id}; systems there: {', '.join(systems)}")
    pred = row_dict(_one(preds.filter(key & (pl.col("system_id") == system)) if preds is not None else None,
                         f"prediction for {lookup} in game {game_id} ({day})", where))  # fmt: skip
    notes: list[str] = []
    feats = files.day(FEATURES, day)
    feature = row_dict(_one(feats.filter(key) if feats is not None else None, f"feature row for {lookup}",
                            str(files.day_path(FEATURES, day))))  # fmt: skip
    game_row = _one(files.day(GAMES, day).filter(pl.col("game_id") == game_id), f"game {game_id}",
                    str(files.day_path(GAMES, day)))  # fmt: skip
    game = row_dict(game_row)
    history_days = [day - dt.timedelta(days=i) for i in range(1, HISTORY_DAYS + 1)]
    history = files.days(SUMMARY, history_days, pl.col("player_lookup") == lookup)
    rows = window_membership(history, feature["season_year"], day) if history.height else history
    if rows.height:  # every summary row's raw rows: both sources' files of its day, read at once
        for table in RAW_BOX.values():
            files.preload(table, rows["game_date"].unique().to_list())
    summary = [_summary_entry(files, r, notes) for r in rows.iter_rows(named=True)] if rows.height else []
    if feature.get("data_as_of") and summary and summary[0]["game_date"] != feature["data_as_of"]:
        notes.append(f"data_as_of {feature['data_as_of']} is not the newest summary row ({summary[0]['game_date']})")
    return {
        "trace_format": TRACE_FORMAT,
        "kind": "prediction",
        "row_id": f"{game_id}:{lookup}:{system}",
        "data_dir": files.data_dir,
        "prediction": {"file": where, "row": pred},
        "features": {"file": str(files.day_path(FEATURES, day)), "row": feature,
                     "window_check": recompute_windows(rows, feature) if rows.height else {}},  # fmt: skip
        "game": {"file": str(files.day_path(GAMES, day)), "row": game},
        "summary_rows": summary,
        "model": model_info(files, pred),
        "prop_lines": prop_lines(files, feature, game, game_row["tipoff_utc"][0], notes),
        "notes": notes,
    }


def trace_summary(data_dir: str, game_id: str, player: str) -> dict[str, Any]:
    """One player-game summary row down to its raw rows and their landing files."""
    files = LakeFiles(data_dir)
    lookup = player_lookup(player) or player
    day = files.game_date(game_id)
    where = str(files.day_path(SUMMARY, day))
    df = files.day(SUMMARY, day)
    row = _one(df.filter((pl.col("game_id") == game_id) & (pl.col("player_lookup") == lookup)) if df is not None
               else None, f"summary row for {lookup} in game {game_id} ({day})", where)  # fmt: skip
    notes: list[str] = []
    entry = _summary_entry(files, row.with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias("windows"))
                           .row(0, named=True), notes)  # fmt: skip
    return {
        "trace_format": TRACE_FORMAT,
        "kind": "player_game",
        "row_id": f"{game_id}:{lookup}",
        "data_dir": files.data_dir,
        "summary": {"file": where, "row": row_dict(row), "raw": entry["raw"]},
        "notes": notes,
    }


__all__ = ["MODEL_SYSTEM", "TraceError", "parse_row_id", "trace_prediction", "trace_summary"]
