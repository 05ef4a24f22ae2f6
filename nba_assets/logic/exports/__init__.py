"""The publishing layer's pure core: lake frames in, JSON documents (dicts) out (docs/exports.md).

Each builder takes polars frames and the day, and returns one document: `tonight`, `best_bets`,
`results`, `players` (one per player) and `leaderboard`. Every time in a document comes from the data
(the latest prediction, snapshot or grade it used), never from the clock, and `encode` writes a
document's bytes the same way every time, so re-running a day writes byte-identical files.
"""

from nba_assets.logic.exports.encode import SCHEMA_VERSION, VERSION, encode

__all__ = ["SCHEMA_VERSION", "VERSION", "encode"]
