"""docs/adding-a-table.md, followed literally on a copy of the project.

Every code block of the page is applied to the file its directive names (append, insert before a
line, create); the docs are regenerated with the page's command; then, on the copy, the suite's
contract tests (the code location's shape, the docs' table list) and the new table's own test pass,
and the new table materializes for a day through the real IO manager with its duplicate check. The
product files touched are counted: three.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "adding-a-table.md"
COPIED = ["nba_assets", "resources", "sensors", "checks", "io_managers", "tests", "docs", "pyproject.toml",
          "dagster.yaml", "workspace.yaml"]
DIRECTIVE = re.compile(r"<!-- (append|insert-before|create): (\S+?)(?: \| (.+?))? -->\n```python\n(.*?)```", re.S)

MATERIALIZE = """
import datetime as dt, os
import dagster as dg, polars as pl
from nba_assets import tables as t
from checks.definitions import build_asset_checks
from nba_assets.definitions import ALL_ASSETS
from resources.env import resources_for

day = dt.date(2026, 1, 9)
folder = os.path.join(os.environ["NBA_LAKE_DATA_DIR"], "lake", "analytics", "team_game_summary")
os.makedirs(folder)
pl.DataFrame({
    "game_date": [day, day], "game_id": ["0022500600", "0022500600"], "season_year": [2025, 2025],
    "team": ["BOS", "TOR"], "opponent": ["TOR", "BOS"], "home": [True, False],
    "points_for": [101, 110], "points_against": [110, 101], "possessions": [99.0, 99.0],
    "pace": [99.0, 99.0], "off_rating": [102.0, 111.1], "def_rating": [111.1, 102.0], "win": [False, True],
}).write_parquet(os.path.join(folder, f"{day}.parquet"))
checks = [c for c in build_asset_checks() if any(k.asset_key == t.GAME_MARGINS.key for k in c.check_keys)]
res = dg.materialize([*ALL_ASSETS, *checks], selection=[t.GAME_MARGINS.key], partition_key=str(day),
                     resources=resources_for(), instance=dg.DagsterInstance.ephemeral())
assert res.success
checks = {e.check_name: e.passed for e in res.get_asset_check_evaluations()}
assert checks.get("no_duplicate_keys") is True, checks
out = pl.read_parquet(os.path.join(os.environ["NBA_LAKE_DATA_DIR"], "lake", "analytics", "game_margins",
                                   f"{day}.parquet"))
assert out["margin"].to_list() == [-9], out
print("materialized", out.height)
"""


def _apply(copy: Path) -> set[str]:
    blocks = DIRECTIVE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) == 4, "the page's four code blocks (contract, entry, function, test)"
    touched = set()
    for how, rel, anchor, code in blocks:
        path = copy / rel
        if how == "create":
            assert not path.exists(), rel
            path.write_text(code, encoding="utf-8")
        elif how == "append":
            path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
            assert text.count(anchor + "\n") == 1, (rel, anchor)
            path.write_text(text.replace(anchor + "\n", code + "\n" + anchor + "\n"), encoding="utf-8")
        touched.add(rel)
    return touched


def test_the_walk_through_adds_a_working_table_touching_three_product_files(tmp_path):
    copy = tmp_path / "project"
    copy.mkdir()
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, copy / name)
    touched = _apply(copy)
    product = {p for p in touched if not p.startswith("tests/")}
    assert product == {"nba_assets/contracts.py", "nba_assets/tables.py", "nba_assets/logic/analytics.py"}

    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1",
           "DAGSTER_HOME": str(tmp_path / "home"), "NBA_LAKE_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "home").mkdir()

    def run(*args: str) -> str:
        proc = subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout

    run("-m", "nba_assets.tables")  # the page's docs command
    assert "`analytics/game_margins`" in (copy / "docs" / "data.md").read_text(encoding="utf-8")
    out = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:bqemulator",
              "tests/test_definitions.py", "tests/test_docs.py", "tests/unit/test_game_margins.py",
              "-k", "not validate_passes and not matplotlib")
    assert re.search(r"\b1[0-9] passed\b", out), out[-2000:]
    assert "materialized 1" in run("-c", MATERIALIZE)
