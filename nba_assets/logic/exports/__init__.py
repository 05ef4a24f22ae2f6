"""The publishing layer's pure core: lake frames in, JSON documents (dicts) out (docs/exports.md).

Each builder takes polars frames and the day, and returns one document: `slate.tonight`,
`slate.best_bets`, `record.results`, `players.player` and `record.leaderboard`. Every time in a document
comes from the data (the latest prediction, snapshot or grade it used), never from the clock, and
`encode.encode` writes a document's bytes the same way every time, so re-running a day writes
byte-identical files. `fields` is where the pricing columns are read; `selection` is the best-bets rule.
"""
