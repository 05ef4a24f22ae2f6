"""The Dagster-free reader of the local instance (nba_assets/dagster_internals/instance_view.py): what it decodes is
what Dagster's own objects say, it reads only the layouts it knows, and it hands over to Dagster on
anything else. Both views on one real instance: tests/unit/test_cli.py."""

from __future__ import annotations

import math
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._serdes import serialize_value

from nba_assets.dagster_internals import instance_view as iv

REPO = Path(__file__).resolve().parents[2]
METADATA = {
    "text": dg.MetadataValue.text("3 rows"), "md": dg.MetadataValue.md("| a |\n|---|\n| 1 |"), "int": 3,
    "float": 0.25, "nan": float("nan"), "bool": True, "json": dg.MetadataValue.json({"a": [1, {"b": None}]}),
    "path": dg.MetadataValue.path("/tmp/x"), "url": dg.MetadataValue.url("http://127.0.0.1/x"), "null": None,
    "ts": dg.MetadataValue.timestamp(1_700_000_000.5),
}


def _entry(metadata: dict, severity=dg.AssetCheckSeverity.WARN, passed: bool = False, description="why") -> str:
    evaluation = dg.AssetCheckEvaluation(asset_key=dg.AssetKey(["raw", "prop_lines"]), check_name="prop_availability",
                                         passed=passed, metadata=metadata, severity=severity, description=description)
    event = DagsterEvent(event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value, job_name="ingest_and_features",
                         event_specific_data=evaluation)
    entry = EventLogEntry(error_info=None, level=10, user_message="", run_id="r1", timestamp=1.0,
                          job_name="ingest_and_features", dagster_event=event)
    return serialize_value(entry)


def test_an_evaluation_decodes_to_what_dagster_objects_say():
    text = _entry(METADATA)
    got = iv.decode_evaluation(text)
    assert got["passed"] is False and got["severity"] == "WARN" and got["description"] == "why"
    evaluation = dg.AssetCheckEvaluation(asset_key=dg.AssetKey(["x"]), check_name="c", passed=False, metadata=METADATA)
    expected = {k: v.value for k, v in evaluation.metadata.items()}
    assert set(got["metadata"]) == set(expected)
    for k, v in expected.items():
        g = got["metadata"][k]
        assert (math.isnan(g) and math.isnan(v)) if k == "nan" else g == v, k


def test_no_description_and_no_metadata_decode_as_empty():
    got = iv.decode_evaluation(_entry({}, severity=dg.AssetCheckSeverity.ERROR, passed=True, description=None))
    assert got == {"passed": True, "severity": "ERROR", "description": None, "metadata": {}}


@pytest.mark.parametrize("value", [
    dg.MetadataValue.table([dg.TableRecord({"a": 1})]),  # a kind the view does not decode
    dg.MetadataValue.json({"__class__": "Sneaky", "x": 1}),  # serdes markers inside JSON data
])
def test_a_metadata_value_it_does_not_know_is_unreadable(value):
    with pytest.raises(iv.Unreadable):
        iv.decode_evaluation(_entry({"v": value}))


def test_an_event_of_another_shape_is_unreadable():
    with pytest.raises(iv.Unreadable):
        iv.decode_evaluation('{"__class__": "EventLogEntry", "dagster_event": null}')


def _home(tmp_path: Path, yaml_text: str | None) -> Path:
    home = tmp_path / "home"
    (home / "history" / "runs").mkdir(parents=True)
    for db in (home / "history" / "runs.db", home / "history" / "runs" / "index.db"):
        db.write_bytes(b"")
    if yaml_text is not None:
        (home / "dagster.yaml").write_text(yaml_text)
    return home


@pytest.mark.parametrize("yaml_text, local", [
    (None, True),  # Dagster's defaults: sqlite under DAGSTER_HOME
    ((REPO / "dagster.yaml").read_text(), True),  # the repo's: our event log over the same files
    ((REPO / "deploy" / "dagster.prod.yaml").read_text(), False),  # PostgreSQL
    ("run_storage:\n  module: x\n  class: Y\n", False),
    ("event_log_storage:\n  module: dagster._core.storage.event_log\n  class: ConsolidatedSqliteEventLogStorage\n"
     "  config: {base_dir: /elsewhere}\n", False),
    ("event_log_storage:\n  module: nba_assets.dagster_internals.event_log\n  class: LakeSqliteEventLogStorage\n"
     "  config: {instance_dir: /elsewhere}\n", False),
    ("event_log_storage: [not, a, mapping\n", False),  # unparsable: Dagster reports it
])
def test_only_the_local_sqlite_layout_is_read_directly(tmp_path, yaml_text, local):
    home = _home(tmp_path, yaml_text)
    assert (iv.SqliteView.open(home) is not None) is local


def test_no_database_files_yet_means_dagster(tmp_path):
    home = tmp_path / "fresh"
    home.mkdir()
    assert iv.SqliteView.open(home) is None


class _Raises:
    def check_keys(self):
        raise iv.Unreadable("a shape it does not know")


class _Answers:
    def __init__(self):
        self.asked = 0

    def check_keys(self):
        self.asked += 1
        return [("raw/schedule", "c")]


def test_the_fallback_view_hands_over_to_dagster_for_good():
    dagster = _Answers()
    view = iv.FallbackView(_Raises(), lambda: dagster)
    assert not view.uses_dagster
    assert view.check_keys() == [("raw/schedule", "c")]
    assert view.check_keys() == [("raw/schedule", "c")] and dagster.asked == 2
    assert view.uses_dagster
