"""docs/data.md embeds the table registry; this keeps the two identical."""

from __future__ import annotations

import re
from pathlib import Path

from nba_assets import tables

DATA_MD = Path(__file__).resolve().parents[1] / "docs" / "data.md"


def test_data_md_table_section_is_the_registry():
    text = DATA_MD.read_text(encoding="utf-8")
    section = text.split(tables.REGISTRY_BEGIN, 1)[1].split(tables.REGISTRY_END, 1)[0]
    assert section == tables.markdown(), "regenerate the section: python -m nba_assets.tables"


ROOT = DATA_MD.parents[1]
README = ROOT / "README.md"
README_MAX_BYTES = 15_000
# How the code came to be belongs in git history, not in what users and maintainers read.
HISTORY = re.compile(
    r"(?<!test )\bsessions?\b|\bpreviously\b|\bused to (be|generate|take|open|run|install|read)\b"
    r"|\b(was|were|it was) ~?\d|\bbefore (this|these) (change|fix)|\bolder (harness|figures)\b"
    r"|\bround of work\b|\bfirst pass\b|\bthis issue\b|\bpage's first version\b",
    re.I,
)


def _user_docs() -> list[Path]:
    return [README, ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_readme_is_read_in_five_minutes():
    assert len(README.read_bytes()) <= README_MAX_BYTES


def test_docs_state_what_is_true_now_not_how_it_came_to_be():
    found = [f"{p.relative_to(ROOT)}:{n}: {m.group(0)!r}" for p in _user_docs()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             for m in HISTORY.finditer(line)]
    assert found == []


def test_the_history_rule_sees_history():
    for text in ("the seventh session measured", "it was 60 attempts", "(a) was 98 s", "an events request used to generate"):
        assert HISTORY.search(text), text
    for text in ("one set per test session", "the key is used to join", "D's earlier pass no longer counts"):
        assert not HISTORY.search(text), text
