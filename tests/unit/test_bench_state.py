"""bench/state.py: (h)'s bytes of Dagster state per materialized table-day."""

import sqlite3

import pytest

from bench.state import folder_bytes, local_state, per_table_day, sqlite_table_days


def _instance(home, materializations: int, checks: int):
    runs = home / "history" / "runs"
    runs.mkdir(parents=True)
    con = sqlite3.connect(runs / "index.db")
    con.execute("create table event_logs (id integer primary key, dagster_event_type text, event text)")
    rows = [("ASSET_MATERIALIZATION", "x" * 100)] * materializations + [("ASSET_CHECK_EVALUATION", "y")] * checks
    con.executemany("insert into event_logs (dagster_event_type, event) values (?, ?)", rows)
    con.commit()
    con.close()
    (runs / "run1.db").write_bytes(b"r" * 5000)
    (home / "storage").mkdir()
    (home / "storage" / "log.txt").write_bytes(b"l" * 300)


def test_local_state_counts_every_byte_of_the_folder_and_only_materializations(tmp_path):
    _instance(tmp_path, materializations=4, checks=10)
    (tmp_path / "dagster.yaml").symlink_to(tmp_path / "storage" / "log.txt")  # a link is not state
    st = local_state(tmp_path)
    index = (tmp_path / "history" / "runs" / "index.db").stat().st_size
    assert st["table_days"] == 4
    assert st["by_entry"] == {"history/": index + 5000, "storage/": 300}
    assert st["instance_bytes"] == index + 5300
    assert st["kb_per_table_day"] == round((index + 5300) / 4 / 1000, 2)


def test_folder_bytes_lists_the_largest_entry_first(tmp_path):
    (tmp_path / "small").write_bytes(b"a")
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "deep").mkdir()
    (tmp_path / "big" / "deep" / "f").write_bytes(b"b" * 10)
    assert list(folder_bytes(tmp_path).items()) == [("big/", 10), ("small", 1)]


def test_no_materialization_gives_no_figure_and_no_index_is_a_clear_error(tmp_path):
    _instance(tmp_path / "empty", materializations=0, checks=3)
    assert local_state(tmp_path / "empty")["kb_per_table_day"] is None
    assert per_table_day(20_000, 0) is None
    assert per_table_day(40_000, 2) == 20.0
    with pytest.raises(FileNotFoundError, match="no event index"):
        sqlite_table_days(tmp_path / "nothing")


def test_the_tree_sampler_counts_a_child_once_unless_it_shares_its_parents_memory():
    """bench/measure.py: a forked child has its own address space and counts; the process compared with
    itself is one address space (what a vfork child is until it execs)."""
    import os
    import time

    from bench.measure import shares_memory, tree_rss_mb

    me = os.getpid()
    assert shares_memory(me, me)
    child = os.fork()
    if child == 0:
        time.sleep(5)
        os._exit(0)
    try:
        time.sleep(0.2)
        assert not shares_memory(me, child)
        with open(f"/proc/{me}/statm") as f:
            mine = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        assert tree_rss_mb(me) > mine * 1.5  # the child's copy-on-write pages are resident in it too
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
