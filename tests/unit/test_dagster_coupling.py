"""Dagster's internals are reached only through nba_assets/dagster_internals/ (docs/architecture.md §11).

Product code elsewhere must not import `dagster._...`, touch a protected member of a Dagster object, or
query Dagster's own tables. A product file stays under 500 lines.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["nba_assets", "resources", "sensors", "checks", "io_managers"]
INTERNALS = ROOT / "nba_assets" / "dagster_internals"
MAX_LINES = 500

PRIVATE_IMPORT = re.compile(r"^\s*(from\s+dagster(_\w+)?\._|import\s+dagster(_\w+)?\._)", re.M)
# Protected members of the Dagster objects the project handles (contexts, the instance, its storages,
# the UPathIOManager base class).
PRIVATE_MEMBER = re.compile(
    r"\b(context|op_context|step_context|instance|storage|event_log_storage|run_storage)\._[a-z]\w*"
    r"|\._get_path\w*\("
)
DAGSTER_TABLES = re.compile(r"\b(from|join|update|into)\s+(event_logs|asset_check_executions|asset_keys|runs|"
                            r"run_tags|instigators|jobs|job_ticks|asset_event_tags)\b", re.I)


def _product_files():
    for pkg in PRODUCT:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def test_dagster_internals_are_only_reached_through_their_package():
    offenders = []
    for path in _product_files():
        if INTERNALS in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        for rule, pattern in (("private import", PRIVATE_IMPORT), ("private member", PRIVATE_MEMBER),
                              ("SQL over Dagster's tables", DAGSTER_TABLES)):
            offenders += [f"{path.relative_to(ROOT)}: {rule}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert offenders == []


def test_the_rules_see_what_they_guard():
    """The patterns match the couplings the internals package holds (so they would catch them elsewhere)."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in INTERNALS.glob("*.py"))
    assert PRIVATE_IMPORT.search(text) and PRIVATE_MEMBER.search(text)
    assert DAGSTER_TABLES.search("select max(id) from asset_check_executions where partition = ?")


def test_no_product_file_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in _product_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
