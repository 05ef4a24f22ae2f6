"""The soak's pass criteria, read from what the deployment left: the receiver's messages, the instance,
the bucket and BigQuery. Each returns (figures, failures)."""

from __future__ import annotations

import io
import time
from collections import Counter, defaultdict

import dagster as dg
import polars as pl

from nba_assets.history import GAME_DAY_JOB
from resources.bigquery import publishable_tables, query_frame
from tests.prod.soak.driver import STUCK, Driver
from tests.prod.soak.topology import PROJECT


def alerts(d: Driver) -> tuple[dict, list[str]]:
    fired, resolved = Counter(), Counter()
    for _, body in d.arrivals:
        (fired if body.get("event") == "firing" else resolved)[body["key"]] += 1
    fails = []
    for key in sorted(set(fired) | set(resolved)):
        if fired[key] != 1 or resolved[key] != 1:
            fails.append(f"alert {key}: fired {fired[key]}x, resolved {resolved[key]}x (want 1 and 1)")
    for key in sorted(d.expected_alerts - set(fired)):
        fails.append(f"alert {key} promised by the runbook never fired")
    return {"fired": sum(fired.values()), "resolved": sum(resolved.values())}, fails


def heartbeats(d: Driver) -> tuple[dict, list[str]]:
    pinged = {r.query.get("rid", ["?"])[0] for r in d.topo.receiver.on("/heartbeat")}
    ok = [r.run_id for r in d.instance().get_runs(dg.RunsFilter(job_name=GAME_DAY_JOB,
                                                                statuses=[dg.DagsterRunStatus.SUCCESS]))]
    missing = [rid[:8] for rid in ok if rid not in pinged]
    fails = [f"heartbeat not pinged for successful game-day run(s) {missing}"] if missing else []
    if not ok:
        fails.append("no successful game-day run")
    return {"heartbeats": f"{len(ok) - len(missing)}/{len(ok)}"}, fails


def stuck_runs(d: Driver, poll_s: float) -> tuple[dict, list[str]]:
    time.sleep(poll_s + 5)  # one monitoring interval after the end
    stuck = d.instance().get_runs(dg.RunsFilter(statuses=STUCK))
    fails = [f"run {r.run_id[:8]} ({r.job_name} {r.tags.get('dagster/partition')}) left {r.status.value}" for r in stuck]
    return {"stuck": len(stuck)}, fails


def _lake_counts(d: Driver) -> dict[tuple[str, str], int]:
    out = {}
    client = d.topo.storage_client()
    for blob in client.list_blobs(d.topo.bucket, prefix="nba/lake/"):
        rel = blob.name.removeprefix("nba/lake/")
        if not rel.endswith(".parquet") or rel.count("/") != 2:
            continue
        layer, name, file = rel.split("/")
        out[(f"{layer}/{name}", file.removesuffix(".parquet"))] = pl.read_parquet(io.BytesIO(blob.download_as_bytes())).height
    return out


def _bq_counts(d: Driver, labels: list) -> dict[tuple[str, str], int]:
    from google.api_core.exceptions import NotFound

    out = {}
    with d.topo.bigquery_client() as client:
        for table in labels:
            col = table.partition_column
            try:
                df = query_frame(client, f"select cast({col} as string) as d, count(*) as n from {table.view} group by 1",
                                 PROJECT, d.topo.prefix)
            except NotFound:
                continue
            out |= {(table.label, day): n for day, n in df.iter_rows()}
    return out


def warehouse(d: Driver) -> tuple[dict, list[str]]:
    """Bucket, BigQuery and Dagster's materializations agree on every (table, day) of the daily tables."""
    published = publishable_tables()
    labels = {t.label for t in published}
    lake = {k: v for k, v in _lake_counts(d).items() if k[0] in labels}
    bq = _bq_counts(d, published)
    mats = {(t.label, p) for t in published for p in d.instance().get_materialized_partitions(t.key)}
    fails = []
    for (label, day), n in sorted(lake.items()):
        if bq.get((label, day), 0) != n:
            fails.append(f"{label} {day}: lake {n} rows, BigQuery {bq.get((label, day), 0)}")
    fails += [f"{label} {day}: in BigQuery ({n} rows), not in the bucket" for (label, day), n in sorted(bq.items())
              if (label, day) not in lake]
    diffs_bq = len(fails)
    fails += [f"{label} {day}: in the bucket, not materialized in Dagster" for label, day in sorted(set(lake) - mats)]
    fails += [f"{label} {day}: materialized in Dagster, not in the bucket" for label, day in sorted(mats - set(lake))]
    want = defaultdict(set)
    for label, days in d.expected_days.items():
        want[label] |= days
    fails += [f"{label} {day}: expected in the bucket, missing" for label, days in sorted(want.items())
              for day in sorted(days) if (label, day) not in lake]
    return {"table_days": len(lake), "bq_diffs": diffs_bq, "dagster_diffs": len(fails) - diffs_bq}, fails
