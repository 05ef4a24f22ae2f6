"""Named automation conditions: how late or corrected data re-runs everything downstream by itself.

`AC.eager()` only ever considers the LATEST time partition (docs/architecture.md B1), so a late boxscore
for an older day would trigger nothing. We strip that clause and bound the reach with a lookback
instead, and we only propagate data its blocking checks passed (a blocking check does not stop the
write, only downstream steps of the same run: B4), see `upstream_vouched_for` and docs/checks.md.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from resources.settings import settings

AC = dg.AutomationCondition

# How far back a late or corrected upstream partition still re-runs downstream automatically. Two
# weeks covers late boxscores and stat corrections seen in practice; older fixes are a deliberate
# backfill (`nba-lake backfill`), not a surprise storm of runs.
LOOKBACK_DAYS = settings().automation_lookback_days  # NBA_LAKE_AUTOMATION_LOOKBACK_DAYS, default 14


def no_dep_failed_a_blocking_check() -> dg.AutomationCondition:
    """True unless an upstream partition this one reads has a FAILED blocking check."""
    return ~AC.any_deps_match(
        AC.any_checks_match(AC.check_failed(), blocking_only=True)
    ).with_label("no_dep_failed_a_blocking_check")


def upstream_vouched_for() -> dg.AutomationCondition:
    """The upstream data this partition would read has passed its blocking checks.

    Two clauses, because of how late data arrives and how Dagster maps windows:
    - `all_deps_blocking_checks_passed()`: a late or corrected day propagates only once the blocking
      checks have PASSED on that new data (the check status follows the day's latest
      materialization). A re-ingest whose check step never ran (crash, a failed sibling input) would
      otherwise spread rows nobody checked; "no failure recorded" cannot tell that apart from
      "passed". This is usable because every run, range backfills included, records each day's
      result (checks/per_day.py); before that, a season backfill left every day without a pass.
    - `no_dep_failed_a_blocking_check()`: a dependency read through a window (features read 190
      days of summaries) counts as matching when ANY day of the window matches, so the clause above
      only needs one passing day there. A day anywhere in the window that FAILED a blocking check
      (a duplicate would double into every rolling feature) must still stop it.
    """
    return (AC.all_deps_blocking_checks_passed() & no_dep_failed_a_blocking_check()).with_label(
        "upstream_vouched_for"
    )


def rerun_on_upstream_update(lookback_days: int = LOOKBACK_DAYS) -> dg.AutomationCondition:
    """Re-run any partition (within the lookback) whose upstream partitions were updated.

    eager() minus its latest-window clause = any updated dep partition, never while a dep is missing
    or in progress, never while this partition is in progress. With a TimeWindowPartitionMapping
    (features) the following days of the window are requested in the same tick.
    """
    return (
        AC.eager().without(AC.in_latest_time_window())
        & AC.in_latest_time_window(dt.timedelta(days=lookback_days))
        & upstream_vouched_for()
    ).with_label("rerun_on_upstream_update")


def today_only() -> dg.AutomationCondition:
    """Predictions: re-run only today's partition. A prediction is made before its game, so a late
    boxscore must never rewrite predictions of days already played (that would leak the result)."""
    return (AC.eager() & upstream_vouched_for()).with_label("rerun_today_only")


def rerun_graded_days(lookback_days: int = LOOKBACK_DAYS) -> dg.AutomationCondition:
    """Grades: like rerun_on_upstream_update, but never today's partition: today's games are not
    final, and re-made predictions for today must not grade anything. Tomorrow's results run updates
    the day's summary, which grades it."""
    return (rerun_on_upstream_update(lookback_days) & ~AC.in_latest_time_window()).with_label(
        "rerun_graded_days"
    )


RERUN = rerun_on_upstream_update()
GRADED_DAYS = rerun_graded_days()
TODAY_ONLY = today_only()
