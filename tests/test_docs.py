"""docs/data.md embeds the table registry; this keeps the two identical."""

from __future__ import annotations

from pathlib import Path

from nba_assets import tables

DATA_MD = Path(__file__).resolve().parents[1] / "docs" / "data.md"


def test_data_md_table_section_is_the_registry():
    text = DATA_MD.read_text(encoding="utf-8")
    section = text.split(tables.REGISTRY_BEGIN, 1)[1].split(tables.REGISTRY_END, 1)[0]
    assert section == tables.markdown(), "regenerate the section: python -m nba_assets.tables"
