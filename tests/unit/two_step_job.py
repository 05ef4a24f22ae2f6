"""A job of two independent steps with the executor of the settings (tests/unit/test_executor_setting.py):
reconstructable, so each step's process imports this small module rather than a test module."""

from __future__ import annotations

import time

import dagster as dg

from resources.env import executor_for
from resources.settings import settings


def _step() -> dg.Output:
    start = time.time()
    time.sleep(1.0)
    return dg.Output(None, metadata={"start": start, "end": time.time()})


@dg.op
def first_step() -> dg.Output:
    return _step()


@dg.op
def second_step() -> dg.Output:
    return _step()


def two_independent_steps() -> dg.JobDefinition:
    @dg.job(executor_def=executor_for(settings()))
    def two_steps():
        first_step()
        second_step()

    return two_steps
