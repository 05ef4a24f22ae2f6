"""Operator tooling, on top of the code location: the `nba-lake` CLI (one module per command), the run
helper that backfills ranges in-process, the late-boxscore scenario, and the one shim over Dagster's
private APIs. Nothing in the asset layers imports from here."""
