"""`nba-lake trace --export`: from a pick in a published document back to its prediction and sources.

The target is a pick id (`<game_id>:<player_lookup>:<system_id>`, as every document writes it), a
document (`v1/best_bets.json`, a path under the exports folder or anywhere) or a document and one of its
picks (`v1/results/2025-12-10.json#<pick id>`; without it, the document's first pick). The trace is
`nba-lake trace`'s of the prediction, plus `export`: the document, the pick as exported, and each
exported field next to the lake's value for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nba_assets.cli.trace import TraceError, parse_row_id, trace_prediction
from nba_assets.logic.exports import paths

# Where a pick id is looked for when no document is named: the newest slate's picks, then the results.
SEARCH = (paths.latest("best_bets"), paths.latest("tonight"))
# exported field -> the prediction row's column it was made from (fields.py names the pricing ones)
COMPARED = {"side": "recommendation", "predicted_points": "predicted_points", "system_id": "system_id",
            "player_lookup": "player_lookup", "game_id": "game_id"}  # fmt: skip


def picks_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every pick of a document (best_bets and results list them; tonight has one per player at most)."""
    if document.get("document") == "tonight":
        return [{**p["pick"], "game_id": g["game_id"], "player_lookup": p["player_lookup"]}
                for g in document["games"] for p in g["players"] if p["pick"]]  # fmt: skip
    return list(document.get("picks", []))


def _load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TraceError(f"cannot read export {path}: {exc}") from exc


def find_pick(target: str, exports_root: str) -> tuple[str, dict[str, Any]]:
    """(document path, pick) for `target`; TraceError naming what exists when there is no such pick."""
    doc_part, _, wanted = target.partition("#")
    candidates = [Path(doc_part), Path(exports_root) / doc_part]
    doc_path = next((p for p in candidates if p.suffix == ".json" and p.is_file()), None)
    if doc_path is None:
        if not wanted and doc_part.count(":") == 2:
            wanted = doc_part
            parse_row_id(wanted)  # a clear error for a malformed id
            results = sorted((Path(exports_root) / "v1" / "results").glob("*.json"), reverse=True)
            searched = [Path(exports_root) / rel for rel in SEARCH] + results
            for path in (p for p in searched if p.is_file()):
                hit = next((p for p in picks_of(_load(path)) if p["pick_id"] == wanted), None)
                if hit is not None:
                    return str(path), hit
            raise TraceError(f"pick {wanted} is in none of {', '.join(str(p) for p in searched if p.is_file())}")
        raise TraceError(f"{doc_part!r} is neither an export document (under {exports_root}) nor a pick id "
                         "<game_id>:<player_lookup>:<system_id>")  # fmt: skip
    picks = picks_of(_load(doc_path))
    if not picks:
        raise TraceError(f"{doc_path} has no picks")
    if not wanted:
        return str(doc_path), picks[0]
    hit = next((p for p in picks if p["pick_id"] == wanted), None)
    if hit is None:
        raise TraceError(f"no pick {wanted} in {doc_path}; its picks: {', '.join(p['pick_id'] for p in picks[:5])}")
    return str(doc_path), hit


def trace_export(data_dir: str, exports_root: str, target: str) -> dict[str, Any]:
    """The prediction trace of the exported pick `target`, with its `export` section."""
    document, pick = find_pick(target, exports_root)
    game_id, player, system = parse_row_id(pick["pick_id"])
    trace = trace_prediction(data_dir, game_id, player, system)
    row = trace["prediction"]["row"]
    checks = {}
    for field, column in COMPARED.items():
        if field in pick:
            exported, lake = pick[field], row[column]
            same = abs(exported - lake) < 1e-3 if isinstance(exported, float) and lake is not None else exported == lake
            checks[field] = {"exported": exported, "lake": lake, "matches": bool(same)}
    if "line" in pick:
        lake_line = row.get("pick_line", row["line"])
        checks["line"] = {"exported": pick["line"], "lake": lake_line, "matches": pick["line"] == lake_line}
    trace["export"] = {"document": document, "pick": pick, "checks": checks}
    if not all(c["matches"] for c in checks.values()):
        trace["notes"].append("the export differs from the lake's prediction: " + ", ".join(
            f for f, c in checks.items() if not c["matches"]) + " (re-materialize the export's day)")
    return trace
