"""The `nba-lake` command and the operator tooling behind it, on top of the code location: one module
per command (`commands/`), the runner that executes ranges, trace, the late-boxscore scenario. Nothing
the code location loads imports from here (the import contract in pyproject.toml)."""
