"""`nba-lake web [--port P]`: the exports page (web/) and the exports on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nba_assets.cli.commands import common as c


@c.app.command()
def web(
    port: Annotated[int, typer.Option(min=1, max=65535, help="port on 127.0.0.1")] = 8080,
) -> None:
    """Serve the exports page and the JSON exports (v1/...) on 127.0.0.1 until Ctrl-C."""
    from nba_assets.cli.commands.ui import port_taken
    from nba_assets.cli.web import server
    from resources.settings import exports_dir

    s = c.cli_settings()
    root = exports_dir(s.data_dir)
    if "://" in root or not root:
        raise c.CliError(
            f"the exports are in {root or 'a bucket not configured'}, not a local folder",
            "in prod the exports bucket serves the page itself (docs/exports.md, 'Serving in prod')",
        )
    if not (Path(root) / "v1" / "tonight.json").exists():
        raise c.CliError(f"no exports in {root} yet", "materialize them: nba-lake backfill --start D --end D "
                         "--select exports (or nba-lake demo)", exit_code=1)
    try:
        srv = server(root, port)
    except OSError as exc:
        raise port_taken(port, "web", "exports page") from exc
    c.console.print(f"[green]exports page:[/green] http://127.0.0.1:{port}/  (exports: {root}; Ctrl-C to stop)")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        c.console.print("stopped")
    finally:
        srv.server_close()
