"""A backfill range that would write empty days for nothing stops before anything is fetched or written
(nba_assets/cli/range_scope.py): longer than one season, or a season of it with no games; --yes goes on."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from nba_assets.cli import preflight
from nba_assets.cli.commands import entry
from nba_assets.cli.range_scope import SeasonPart, count_games, games_refusal, season_parts
from resources.sources import SourcesResource

BIN = Path(sys.executable).parent
D = dt.date.fromisoformat


def test_a_range_is_cut_at_each_seasons_rollover():
    assert [(p.season, str(p.start), str(p.end)) for p in season_parts(D("2021-10-01"), D("2023-06-30"))] == [
        (2021, "2021-10-01", "2022-08-31"), (2022, "2022-09-01", "2023-06-30")]
    assert [(p.season, str(p.start), str(p.end)) for p in season_parts(D("2025-12-24"), D("2025-12-24"))] == [
        (2025, "2025-12-24", "2025-12-24")]
    assert SeasonPart(2025, D("2025-12-01"), D("2025-12-31")).label == "2025-26 (2025-12-01..2025-12-31)"


def test_the_length_rule():
    assert preflight.length_refusal(D("2025-12-01"), D("2026-12-01")) is None  # 366 days: the demo's year
    msg, hint = preflight.length_refusal(D("2021-10-01"), D("2026-06-30"))
    assert msg == ("2021-10-01..2026-06-30 is 1,734 days, longer than one season (366 days); "
                   "nothing was fetched or written")
    assert "--yes" in hint


def test_the_games_rule_names_every_season_without_games():
    d0, d1 = D("2022-10-01"), D("2023-12-31")
    parts = [SeasonPart(2022, d0, D("2023-08-31"), 0, "the source has no schedule for it (HTTP 404)"),
             SeasonPart(2023, D("2023-09-01"), d1, 412)]
    msg, hint = games_refusal(d0, d1, parts)
    assert msg == ("2022-10-01..2023-12-31 finds no games in 1 of its 2 season(s) (2022-23 (2022-10-01..2023-08-31): "
                   "the source has no schedule for it (HTTP 404)); nothing was fetched or written")
    assert "--yes" in hint
    unreadable = [SeasonPart(2023, d0, d1, None, "its schedule could not be read: HTTP 503")]
    assert "could not be read: HTTP 503" in games_refusal(d0, d1, unreadable)[0]
    assert games_refusal(d0, d1, [SeasonPart(2023, d0, d1, 1)]) is None


def test_games_are_counted_where_the_run_reads_them(tmp_path):
    """Landing mode: the landed schedule bodies (none: no games); sim/live: the source's schedule, read
    without landing it."""
    sim = SourcesResource(mode="sim", data_dir=str(tmp_path), sim_seed=7)
    landing = SourcesResource(mode="landing", data_dir=str(tmp_path), sim_seed=7)
    week = season_parts(D("2025-12-08"), D("2025-12-14"))
    christmas_eve = season_parts(D("2025-12-24"), D("2025-12-24"))
    (got,) = count_games(landing, week)
    assert (got.games, got.why) == (0, "no schedule landed for these days")
    (got,) = count_games(sim, week)
    assert got.games > 40 and not (tmp_path / "landing").exists()  # probed, not landed
    (got,) = count_games(sim, christmas_eve)
    assert (got.games, got.why) == (0, "the source's schedule lists none on these days")
    (got,) = count_games(sim, season_parts(D("2019-12-01"), D("2019-12-31")))  # a season the sim lacks
    assert (got.games, got.why) == (0, "the source has no schedule for it (HTTP 404)")
    # once the week's schedule is landed, landing mode finds the same games, and only on those days
    sim.nbacom().fetch_schedule(2025, [D("2025-12-08") + dt.timedelta(days=i) for i in range(7)])
    (again,) = count_games(landing, week)
    assert again.games == count_games(sim, week)[0].games
    (other,) = count_games(landing, season_parts(D("2025-12-15"), D("2025-12-20")))
    assert other.games == 0


def _env(tmp_path: Path, source: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "NBA_LAKE_DATA_DIR": str(tmp_path / "data"), "NBA_LAKE_SOURCE": source,
            "DAGSTER_HOME": str(tmp_path / "home"), "NBA_LAKE_SIM_NOW": "2026-07-01T17:00:00Z",
            "NBA_LAKE_FIRST_GAME_DATE": "2021-10-01"}


def test_five_years_over_an_empty_landing_zone_stop_at_once(tmp_path):
    """The installed `nba-lake` script: exit 2 in one line and a hint, before Dagster is imported, and
    nothing written (it ran 5.5 min and wrote 23,738 empty files)."""
    res = subprocess.run([str(BIN / "nba-lake"), "backfill", "--start", "2021-10-01", "--end", "2026-06-30"],
                         env=_env(tmp_path, "landing"), capture_output=True, text=True, timeout=60)
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines() == [
        "error: 2021-10-01..2026-06-30 is 1,734 days, longer than one season (366 days); "
        "nothing was fetched or written",
        "hint: backfill one season at a time, or pass --yes to run the whole range",
    ]
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()


def test_a_season_without_games_stops_and_yes_goes_on(tmp_path, monkeypatch, capsys):
    for k, v in _env(tmp_path, "landing").items():
        if k != "PATH":
            monkeypatch.setenv(k, v)
    args = ["backfill", "--start", "2025-12-01", "--end", "2025-12-02", "--select", "raw/schedule"]
    rc = entry(args)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("error: 2025-12-01..2025-12-02 finds no games in 1 of its 1 season(s) "
                          "(2025-26 (2025-12-01..2025-12-02): no schedule landed for these days)"), err
    assert not (tmp_path / "data" / "lake").exists() and not (tmp_path / "home" / "storage").exists()
    rc = entry([*args, "--yes"])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    assert sorted(p.name for p in (tmp_path / "data" / "lake" / "raw" / "schedule").iterdir()) == [
        "2025-12-01.parquet", "2025-12-02.parquet"]  # typed empty days, as asked


def test_the_preflight_applies_the_length_rule_unless_yes(monkeypatch):
    monkeypatch.setenv("NBA_LAKE_SOURCE", "sim")
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2026-07-01T17:00:00Z")
    monkeypatch.setenv("NBA_LAKE_FIRST_GAME_DATE", "2021-10-01")
    argv = ["backfill", "--start", "2021-10-01", "--end", "2026-06-30"]
    assert preflight.backfill_refusal(argv)[0].startswith("2021-10-01..2026-06-30 is 1,734 days")
    assert preflight.backfill_refusal([*argv, "--yes"]) is None
    assert preflight.backfill_refusal(["backfill", "--start", "2025-12-01", "--end", "2025-12-02"]) is None
