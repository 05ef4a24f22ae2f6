"""`nba-lake trace`: one prediction (or player-game summary row) back to the API responses it came from.

The work is in nba_assets/cli/trace.py (reading) and trace_view.py (the tree); this is the command.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from nba_assets.cli.commands import common as c

EXAMPLE = "nba-lake trace 0022500352:bogdanmusic:lgbm_points_v1"


@c.app.command()
def trace(
    row_id: Annotated[
        str | None,
        typer.Argument(help="<game_id>:<player_lookup>:<system_id> (a prediction) or <game_id>:<player_lookup> "
                       "(a player-game summary row)"),
    ] = None,
    game: Annotated[str | None, typer.Option("--game", help="NBA game id, e.g. 0022500352")] = None,
    player: Annotated[str | None, typer.Option("--player", help="player name or player_lookup")] = None,
    system: Annotated[
        str | None, typer.Option("--system", help="lgbm_points_v1 or moving_avg_l10; omit for the summary row")
    ] = None,
    export: Annotated[
        str | None,
        typer.Option("--export", help="an exported pick: its pick id, a document (v1/best_bets.json) or "
                     "document#pick_id; traced back to its prediction and sources"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON in the shape of docs/trace.schema.json")] = False,
) -> None:
    """Why this number: a prediction (or summary row) back to its rows, model, lines and API responses."""
    from nba_assets.cli.trace import TraceError, parse_row_id, trace_prediction, trace_summary
    from nba_assets.cli.trace_view import prediction_tree, summary_tree

    s = c.cli_settings()
    try:
        if export:
            if row_id or game or player or system:
                raise c.CliError("give --export OR a row id / --game --player", "e.g. nba-lake trace --export "
                                 "v1/best_bets.json")
            from nba_assets.cli.trace_export import trace_export
            from resources.settings import exports_dir

            t = trace_export(s.data_dir, exports_dir(s.data_dir), export)
        else:
            if row_id:
                if game or player or system:
                    raise c.CliError("give a row id OR --game/--player[/--system], not both", f"e.g. {EXAMPLE}")
                game, player, system = parse_row_id(row_id)
            if not game or not player:
                raise c.CliError("say which row: a row id, or --game G --player P [--system S]", f"e.g. {EXAMPLE}")
            t = trace_prediction(s.data_dir, game, player, system) if system else trace_summary(s.data_dir, game, player)
    except TraceError as exc:
        raise c.CliError(
            str(exc),
            'list rows: nba-lake sql "select game_id, player_lookup, system_id from '
            'predictions.player_prop_predictions limit 5"',
            exit_code=1,
        ) from exc
    if as_json:
        sys.stdout.write(json.dumps(t, indent=2, ensure_ascii=False) + "\n")
        return
    c.console.print(prediction_tree(t) if t["kind"] == "prediction" else summary_tree(t))
