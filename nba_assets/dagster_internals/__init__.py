"""Every coupling of this project to Dagster's internals, in one place.

- `private_api`: every `dagster._...` import and every protected member of a Dagster object the
  project touches (check execution history per partition, event batches, a check's target
  materialization, the UPathIOManager's path helpers, instigator state, the record of a backfill the CLI
  executes itself, a run's tags in the IO manager).
- `event_log`: the local instance's event-log storage, a subclass of Dagster's sqlite one
  (dagster.yaml selects it; every process of the local instance loads it).
- `instance_view`, `file_records`: SQL over Dagster's own sqlite tables, read without importing Dagster
  so that `nba-lake status`, `checks` and `verify` answer in well under a second.
- `run_launcher`: the default run launcher plus a worker health check (production run monitoring).

Nothing outside this package imports `dagster._*`, touches a Dagster object's `_member`, or queries
Dagster's tables (tests/unit/test_dagster_coupling.py). docs/architecture.md, "Upgrading Dagster",
lists which test guards each coupling and what to run on a version bump.
"""
