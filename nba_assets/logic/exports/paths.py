"""Where each document lives below the exports root (docs/exports.md, "Layout")."""

from __future__ import annotations

import datetime as dt

from nba_assets.logic.exports.encode import VERSION

SLATE_DOCUMENTS = ("tonight", "best_bets", "leaderboard")


def latest(name: str) -> str:
    """The newest slate's document: v1/tonight.json, v1/best_bets.json, v1/leaderboard.json."""
    return f"{VERSION}/{name}.json"


def slate(name: str, day: dt.date) -> str:
    """A day's slate document, kept: v1/slates/<day>/<name>.json."""
    return f"{VERSION}/slates/{day.isoformat()}/{name}.json"


def results(day: dt.date) -> str:
    return f"{VERSION}/results/{day.isoformat()}.json"


def player(lookup: str) -> str:
    return f"{VERSION}/players/{lookup}.json"
