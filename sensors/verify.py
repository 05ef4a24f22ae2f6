"""Tamper evidence on a schedule: the `verify_lake` job compares the lake's files with their
materializations (checks/integrity.py), the last 14 days every morning and the whole lake every week.

Why a job and not an asset check: a verify is a property of the lake against the instance's records,
not of one table's latest write. An asset check would run inside every job that selects its table
(jobs take their assets' checks by default) and, on a daily-partitioned table, record either one
unpartitioned evaluation or hundreds of per-day ones. A failed `verify_lake` run is a run failure: the
failure sensor records it on ops/pipeline_health and the alerts sensor sends it, with the files named
in the error. Its result is also written where `nba-lake status` shows it (<data_dir>/verify/last.json).
"""


import datetime as dt
from pathlib import Path

import dagster as dg

from checks import integrity
from checks.result import markdown_table
from nba_assets.dagster_internals.instance_view import DagsterView, instance_view
from nba_assets.partitions import ET, TIMEZONE
from resources.lake import LakeResource

RECENT_DAYS = 14  # the daily run's window: the two weeks re-runs and late box scores still touch


class VerifyConfig(dg.Config):
    """The window verified: first and last game day (YYYY-MM-DD); both empty: the whole lake."""

    start: str = ""
    end: str = ""


@dg.op(description="Compare the lake's files with their materializations; fail naming each file that differs.")
def verify_lake_files(context: dg.OpExecutionContext, config: VerifyConfig, lake: LakeResource) -> None:
    start = dt.date.fromisoformat(config.start) if config.start else None
    end = dt.date.fromisoformat(config.end) if config.end else None
    # The local instance's records are read from its SQLite index (a season lake: ~0.5 s instead of
    # ~5 s through Dagster's API); any other instance (PostgreSQL in production) through the API.
    view = instance_view(Path(context.instance.root_directory), lambda: DagsterView(context.instance))
    report = integrity.verify(lake.data_dir, view.file_records, start, end,
                              by=f"{context.job_name} run {context.run_id[:8]}")
    context.log.info(f"verify ({report.window}): {report.summary()} in {report.seconds} s")
    if not report.clean:
        import polars as pl

        listing = pl.DataFrame([vars(f) for f in report.findings])
        named = "; ".join(f"{f.kind} {f.file}" for f in report.findings[:20])
        raise dg.Failure(
            description=f"{report.summary()}: {named}" + (" ..." if len(report.findings) > 20 else ""),
            metadata={"findings": dg.MetadataValue.md(markdown_table(listing))},
            allow_retries=False,
        )


@dg.job(name="verify_lake", description="Tamper evidence: the lake's files against their materializations.")
def verify_lake_job():
    verify_lake_files()


def recent_window(when: dt.datetime, days: int = RECENT_DAYS) -> tuple[str, str]:
    """The `days` game days ending yesterday (ET) of a schedule tick."""
    last = when.astimezone(ET).date() - dt.timedelta(days=1)
    return str(last - dt.timedelta(days=days - 1)), str(last)


def _request(run_key: str, start: str = "", end: str = "") -> dg.RunRequest:
    config = {"ops": {"verify_lake_files": {"config": {"start": start, "end": end}}}}
    return dg.RunRequest(run_key=run_key, run_config=config)


@dg.schedule(cron_schedule="30 7 * * *", execution_timezone=TIMEZONE, job=verify_lake_job,
             name="verify_recent_schedule", default_status=dg.DefaultScheduleStatus.RUNNING,
             description=f"07:30 ET: verify the last {RECENT_DAYS} days' files against their materializations.")
def verify_recent_schedule(context: dg.ScheduleEvaluationContext):
    start, end = recent_window(context.scheduled_execution_time)
    return _request(f"verify-{start}-{end}", start, end)


@dg.schedule(cron_schedule="0 5 * * 0", execution_timezone=TIMEZONE, job=verify_lake_job,
             name="verify_lake_schedule", default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Sundays 05:00 ET: verify every file of the lake against its materialization.")
def verify_lake_schedule(context: dg.ScheduleEvaluationContext):
    return _request(f"verify-all-{context.scheduled_execution_time:%Y%m%d}")
