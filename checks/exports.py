"""Rules of the exports (docs/exports.md, "Checks"): pure functions on documents (dicts) and frames.

- fresh_before_tipoff: each game's entry in `tonight` is at least as new as the game's latest
  recommendation (ERROR: a page showing a pick the system has since changed).
- lined_players_in_tonight: every player with a pre-tip line on the day is in `tonight` (coverage).
- documents_valid: each document validates against its JSON Schema (checks/export_schemas/*.schema.json).
- results_complete: the morning after, `results/<day>` has every game final and every graded pick.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import polars as pl

from checks.result import RuleResult, from_offending

# Package data (pyproject.toml): an installed deployment (the image) validates against the same files.
SCHEMAS = Path(__file__).resolve().parent / "export_schemas"


@functools.cache
def _schema(document: str, folder: Path) -> dict:
    """`document`'s JSON Schema (checks/export_schemas/<document>.schema.json), read once per process."""
    return json.loads((folder / f"{document}.schema.json").read_text(encoding="utf-8"))


@functools.cache
def validator(document: str, folder: Path = SCHEMAS):
    """The draft 2020-12 validator of `document`'s schema."""
    import jsonschema

    return jsonschema.Draft202012Validator(_schema(document, folder), format_checker=jsonschema.FormatChecker())


@functools.cache
def fast_validator(document: str, folder: Path = SCHEMAS):
    """A compiled validator of the same schema (jsonschema-rs, formats checked): `is_valid` only. It also
    checks `date-time`, which jsonschema's FormatChecker skips without its optional extra, so a document it
    passes passes `validator` too; one it fails goes to `validator`, which words the errors."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema(document, folder), validate_formats=True)


def schema_errors(doc: dict[str, Any], folder: Path = SCHEMAS) -> list:
    """`doc`'s schema errors (jsonschema's, sorted by path); the compiled validator settles the valid ones."""
    if fast_validator(doc.get("document", "?"), folder).is_valid(doc):
        return []
    return sorted(validator(doc.get("document", "?"), folder).iter_errors(doc), key=lambda e: list(e.path))


def _ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def fresh_before_tipoff(day: dt.date, tonight: dict[str, Any] | None, latest: pl.DataFrame) -> RuleResult:
    """`latest`: (game_id, created_at) of each game's newest recommendation of the day. Fails for a
    game whose `tonight` entry is missing or older than it."""
    games = {g["game_id"]: _ts(g["last_refreshed"]) for g in (tonight or {}).get("games", [])}
    rows = []
    for r in latest.iter_rows(named=True):
        shown = games.get(r["game_id"])
        if shown is None or shown < r["created_at"]:
            rows.append({"game_date": day, "game_id": r["game_id"], "latest_recommendation": r["created_at"],
                         "export_last_refreshed": shown})  # fmt: skip
    offending = pl.DataFrame(rows, schema={"game_date": pl.Date, "game_id": pl.Utf8,
                                           "latest_recommendation": pl.Datetime("us", "UTC"),
                                           "export_last_refreshed": pl.Datetime("us", "UTC")})  # fmt: skip
    return from_offending(
        offending, ok=f"tonight is as new as every game's latest recommendation ({latest.height} games)",
        problem="{n} game(s) whose tonight export is older than their latest recommendation",
        extra={"games": latest.height},
    )  # fmt: skip


def lined_players_in_tonight(day: dt.date, tonight: dict[str, Any] | None, lined: pl.DataFrame) -> RuleResult:
    """`lined`: (game_id or event_id, player_lookup) with a pre-tip line on the day."""
    shown = {p["player_lookup"] for g in (tonight or {}).get("games", []) for p in g["players"]}
    missing = lined.select("player_lookup").unique().filter(~pl.col("player_lookup").is_in(sorted(shown)))
    missing = missing.with_columns(game_date=pl.lit(day)).sort("player_lookup")
    n = lined["player_lookup"].n_unique() if lined.height else 0
    return from_offending(
        missing, ok=f"every lined player of the slate is in tonight ({n})",
        problem="{n} lined player(s) missing from tonight",
        extra={"lined_players": n, "in_tonight": n - missing.height,
               "coverage": round((n - missing.height) / n, 4) if n else None},
    )  # fmt: skip


def documents_valid(day: dt.date, documents: dict[str, dict[str, Any] | None], folder: Path = SCHEMAS) -> RuleResult:
    """{path: document or None (missing)}: each exists and validates against its schema."""
    rows = []
    for path, doc in sorted(documents.items()):
        if doc is None:
            rows.append({"game_date": day, "path": path, "error": "missing"})
            continue
        for e in schema_errors(doc, folder)[:3]:
            where = "/".join(str(p) for p in e.absolute_path) or "(document)"
            rows.append({"game_date": day, "path": path, "error": f"{where}: {e.message[:200]}"})
    return from_offending(
        pl.DataFrame(rows, schema={"game_date": pl.Date, "path": pl.Utf8, "error": pl.Utf8}),
        ok=f"{len(documents)} document(s) valid against checks/export_schemas/*.schema.json",
        problem="{n} schema error(s) or missing document(s)", extra={"documents": len(documents)},
    )  # fmt: skip


def results_complete(day: dt.date, results: dict[str, Any] | None, graded_picks: int) -> RuleResult:
    """`graded_picks`: the day's grades with a side. The document is complete, and lists them all."""
    problem = None
    if results is None:
        problem = "no results document"
    elif results["final_games"] == 0 and graded_picks == 0:
        return from_offending(pl.DataFrame(schema={"game_date": pl.Date, "problem": pl.Utf8}), ok="no game of the "
                              "day is final yet: results are due the morning after", problem="")
    elif not results["complete"]:
        problem = (f"{results['graded_games']} of {results['games']} games graded "
                   f"({results['final_games']} final; a final game without a box score is not graded)")
    elif len(results["picks"]) != graded_picks:
        problem = f"{len(results['picks'])} picks exported, {graded_picks} graded"
    rows = [] if problem is None else [{"game_date": day, "problem": problem}]
    return from_offending(
        pl.DataFrame(rows, schema={"game_date": pl.Date, "problem": pl.Utf8}),
        ok=f"results complete ({graded_picks} graded picks)", problem="results incomplete: " + (problem or ""),
    )  # fmt: skip
