"""`nba-lake trace` as a readable tree (the JSON form is the dict itself, docs/trace.schema.json)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.tree import Tree

OK, BAD = "[green]✓[/green]", "[red]✗[/red]"


def _rel(path: str | None, data_dir: str) -> str:
    if not path:
        return "?"
    return path[len(data_dir) + 1:] if path.startswith(data_dir + "/") else path


def _num(v: Any, digits: int = 2) -> str:
    if v is None:
        return "null"
    if isinstance(v, float):
        return f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return str(v)


def _landing_text(landing: dict[str, Any], data_dir: str) -> str:
    if not landing["exists"]:
        return f"[red]landing file missing[/red]: {escape(landing['note'] or '')}"
    when = (landing["fetched_at"] or "?")[:16].replace("T", " ")
    return (f"← {escape(_rel(landing['path'], data_dir))} sha256 {landing['sha256'][:12]}… "
            f"{OK if landing['content_address_ok'] else BAD} fetched {when} UTC"
            + (f" [yellow]{escape(landing['note'])}[/yellow]" if landing.get("note") else ""))  # fmt: skip


def _url(landing: dict[str, Any]) -> str:
    params = landing.get("params") or {}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"[dim]GET {escape((landing['url'] or '?') + ('?' + query if query else ''))}[/dim]"


def _raw(node: Tree, raw: list[dict[str, Any]], data_dir: str) -> None:
    for r in sorted(raw, key=lambda r: not r["used"]):
        child = node.add(
            f"{'[bold]' + r['source'] + '[/bold] (used)' if r['used'] else r['source']}: game {r['source_game_id']} "
            f"player {r['player_id']}, {r['points']} pts {_num(r['minutes'], 1)} min{' DNP' if r.get('dnp') else ''} "
            + _landing_text(r["landing"], data_dir)
        )
        if r["used"] and r["landing"]["exists"]:
            child.add(_url(r["landing"]))


def _summary_line(s: dict[str, Any]) -> str:
    where = "vs" if s.get("home") else "@"
    windows = " ".join(s["windows"]) or "no window (DNP)"
    return escape(
        f"{s['game_date']} {s['game_id']} {s['team']} {where} {s.get('opponent', '?')}: {s['points']} pts "
        f"{_num(s['minutes'], 1)} min{' DNP' if s['dnp'] else ''}  [{windows}]"
    )


def prediction_tree(t: dict[str, Any]) -> Tree:
    d = t["data_dir"]
    p, f, g = t["prediction"]["row"], t["features"]["row"], t["game"]["row"]
    root = Tree(f"[bold]prediction {escape(t['row_id'])}[/bold]  {p['game_date']} "
                f"{g['away_team']} @ {g['home_team']}  [dim]({escape(d)})[/dim]")  # fmt: skip
    line = f"line {_num(p['line'])} ({p['line_source']}, {p['n_books']} books)" if p["line"] is not None else "no line"
    pred = root.add(
        f"predicted {_num(p['predicted_points'])} pts vs {line} → [bold]{p['recommendation']}[/bold]"
        + (f" ({escape(p['pass_reason'])})" if p.get("pass_reason") else "")
        + f"; p_over {_num(p['p_over'], 3)}, confidence {_num(p['confidence'], 1)}, made {p['created_at']}"
    )
    pred.add(f"[dim]{escape(_rel(t['prediction']['file'], d))}[/dim]")
    if "export" in t:
        e = t["export"]
        ok = all(c["matches"] for c in e["checks"].values())
        exp = root.add(f"exported in {escape(e['document'])} {OK if ok else BAD} "
                       + ", ".join(f"{k} {_num(c['exported'])}" + ("" if c["matches"] else f" (lake {_num(c['lake'])})")
                                   for k, c in e["checks"].items()))  # fmt: skip
        exp.add(f"[dim]pick {escape(e['pick']['pick_id'])}[/dim]")
    feats = root.add(
        f"feature row ({f['feature_version']}): data_as_of {f['data_as_of']}, quality {_num(f['feature_quality_score'])}"
        f"  [dim]{escape(_rel(t['features']['file'], d))}[/dim]"
    )
    skip = {"game_date", "game_id", "player_lookup", "player_name", "team", "opponent", "season_year",
            "feature_version", "data_as_of", "feature_quality_score"}  # fmt: skip
    values = [f"{k} {_num(v)}" for k, v in f.items() if k not in skip]
    for i in range(0, len(values), 6):
        feats.add(" · ".join(values[i : i + 6]))
    checks = t["features"]["window_check"]
    if checks:
        feats.add("recomputed from the summary rows below: " + "  ".join(
            f"{k} {_num(c['recomputed'])} {OK if c['matches'] else BAD}" for k, c in checks.items()))  # fmt: skip
    rows = t["summary_rows"]
    # newest first: every row down to the oldest one in the 10-game window (DNPs between included)
    last = max((i for i, s in enumerate(rows) if "l10" in s["windows"]), default=-1)
    recent = rows[: last + 1]
    summ = root.add(f"summary rows its windows used: {len(rows)} this season before {f['game_date']} "
                    f"({sum(1 for s in rows if 'season' in s['windows'])} played)")  # fmt: skip
    for s in recent:
        _raw(summ.add(_summary_line(s)), s["raw"], d)
    older = len(rows) - len(recent)
    if older:
        summ.add(f"[dim]… {older} older row(s) used only by season-to-date features (all of them: --json)[/dim]")
    m = t["model"]
    if m["kind"] == "baseline":
        root.add(f"model {m['model_version']}: baseline, {escape(m['rule'])}")
    else:
        mt = m["metrics"] or {}
        node = root.add(
            f"model {m['model_version']}: week {m['week']}, trained on {_num(mt.get('train_rows'))} rows "
            f"{mt.get('train_start')}..{mt.get('train_end')}; validation {_num(mt.get('val_rows'))} rows from "
            f"{mt.get('val_start')}: MAE {_num(mt.get('val_mae_model'), 3)} vs baseline "
            f"{_num(mt.get('val_mae_baseline'), 3)}"
        )
        node.add(f"[dim]{escape(_rel(m['file'], d))}[/dim]" + (f"  [red]{escape(m['note'])}[/red]" if m["note"] else ""))
    pl_ = t["prop_lines"]
    used = [s for s in pl_["snapshots"] if s["used_in_consensus"]]
    props = root.add(
        f"prop lines: consensus {_num(pl_['consensus_line'])} = median of {len(used)} book(s)' latest pre-tip "
        f"line (recomputed {_num(pl_['recomputed_consensus'])} {OK if pl_['matches'] else BAD})"
    )
    for s in used:
        props.add(f"{s['bookmaker']} {_num(s['line'])} at {s['snapshot_ts'][:16].replace('T', ' ')} UTC "
                  f"({_num(s['minutes_before_tip'], 0)} min before tip) " + _landing_text(s["landing"], d))  # fmt: skip
    others = len(pl_["snapshots"]) - len(used)
    in_game = sum(1 for s in pl_["snapshots"] if not s["pre_tip"])
    if others:
        props.add(f"[dim]… {others} other snapshot(s): earlier lines of the same books"
                  + (f", {in_game} taken after tip-off (never used)" if in_game else "") + "[/dim]")
    _notes(root, t["notes"])
    return root


def summary_tree(t: dict[str, Any]) -> Tree:
    d, s = t["data_dir"], t["summary"]
    r = s["row"]
    root = Tree(f"[bold]summary row {escape(t['row_id'])}[/bold]  [dim]({escape(d)})[/dim]")
    node = root.add(
        f"{r['game_date']} {r['game_id']} {r['team']} {'vs' if r['home'] else '@'} {r['opponent']}: "
        f"{r['player_name']} {r['points']} pts "
        f"{_num(r['minutes'], 1)} min, source {r['source_used']}"
        + (f" (other source: {r['alt_points']} pts)" if r.get("alt_points") is not None else "")
        + f"  [dim]{escape(_rel(s['file'], d))}[/dim]"
    )
    _raw(node, s["raw"], d)
    for r in s["raw"]:
        if not r["used"] and r["landing"]["exists"]:
            node.add(f"{r['source']}: " + _url(r["landing"]))
    _notes(root, t["notes"])
    return root


def _notes(root: Tree, notes: list[str]) -> None:
    if notes:
        n = root.add("[yellow]notes[/yellow]")
        for note in notes:
            n.add(f"[yellow]{escape(note)}[/yellow]")
