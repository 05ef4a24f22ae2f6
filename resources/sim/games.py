"""Game simulation: who plays, for how long, how often they shoot, and the resulting boxscores.

Points come from effects a model can learn: role and minutes, usage (redistributed when teammates are
out), opponent defense, both teams' pace, home court, rest/back-to-back fatigue and a per-player form
that drifts as an AR(1) over games. Makes are sampled from attempts, so points = 2*FGM + FG3M + FTM holds
on every row by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import polars as pl

from nba_assets.partitions import ET
from resources.sim.config import rng_for
from resources.sim.players import ROLE_DNP_CD, ROLE_FGA36, ROLE_MINUTES, SeasonRosters
from resources.teams import TEAMS

TEAM_INDEX = {t.tricode: i for i, t in enumerate(TEAMS)}
FORM_PHI = 0.85  # game-to-game persistence of form: recent games say something about the next one
FORM_SD = 0.05
INJURY_HAZARD = 0.028  # per player per team game
QUESTIONABLE_P = 0.04
QUESTIONABLE_PLAYS = 0.7
REST_P = 0.12  # stars sitting the second night of a back-to-back
BLOWOUT_P = 0.15
TEAM_FGA = 87.0
MAX_MINUTES = 46
BODY_PARTS = ("ankle", "knee", "hamstring", "calf", "back", "hip", "wrist", "illness", "foot", "shoulder")


@dataclass
class SeasonGames:
    schedule: pl.DataFrame  # with home_score / away_score
    boxscores: pl.DataFrame
    injuries: pl.DataFrame


def _team_latents(rng: np.random.Generator, n_days: int) -> dict[str, np.ndarray]:
    """Pace, defense (points-allowed factor) and offense per team and day, drifting slowly."""
    out = {}
    for name, spread, step in (("pace", 0.05, 0.002), ("defense", 0.07, 0.002), ("offense", 0.035, 0.0015)):
        base = rng.uniform(1 - spread, 1 + spread, len(TEAMS))
        walk = np.cumsum(rng.normal(0, step, (len(TEAMS), n_days)), axis=1)
        out[name] = np.clip(base[:, None] + walk, 1 - 1.4 * spread, 1 + 1.4 * spread)
    return out


def _report_ts(d: date) -> datetime:
    """Injury reports are 'as of the morning': 10:00 ET on the report date."""
    return datetime.combine(d, time(10, 0), tzinfo=ET).astimezone(UTC)


def simulate_season(seed: int, schedule: pl.DataFrame, rosters: SeasonRosters) -> SeasonGames:
    season = rosters.season_year
    rng = rng_for(seed, season, "games")
    first_day = schedule["game_date"].min()
    n_days = (schedule["game_date"].max() - first_day).days + 1
    lat = _team_latents(rng_for(seed, season, "teams"), n_days)
    pids = sorted(rosters.players)
    prow = {pid: i for i, pid in enumerate(pids)}
    # Form: an AR(1) multiplier per player indexed by his team games this season.
    n_steps = 110
    eps = rng_for(seed, season, "form").normal(0, FORM_SD, (len(pids), n_steps))
    form = np.zeros_like(eps)
    form[:, 0] = eps[:, 0] / np.sqrt(1 - FORM_PHI**2)
    for k in range(1, n_steps):
        form[:, k] = FORM_PHI * form[:, k - 1] + eps[:, k]
    form = np.clip(1 + form, 0.7, 1.3)

    P2, P3, R3, FTR, PFT = (  # noqa: N806 (per-player trait vectors)
        np.array([getattr(rosters.players[p], a) for p in pids]) for a in ("p2", "p3", "r3", "ftr", "pft")
    )
    stints: dict[str, list[tuple[int, date, date]]] = {t.tricode: [] for t in TEAMS}
    for pid, team, f, t in rosters.stints.iter_rows():
        stints[team].append((pid, f, t))
    out_left: dict[int, int] = {}
    appearances = np.zeros(len(pids), dtype=int)
    last_game: dict[str, date] = {}

    cols: dict[str, list] = {k: [] for k in (
        "team_game", "game_id", "game_date", "team", "opponent", "home", "nba_player_id", "role", "minutes",
        "dnp",
        "dnp_reason", "rate", "r3", "p2", "p3", "ftr", "pft", "true_expected_minutes",
        "true_expected_points", "true_form", "true_usage_boost",
    )}
    inj_rows: list[tuple] = []

    sched = schedule.select("game_id", "game_date", "home_team", "away_team").rows()
    team_game = -1
    for game_id, d, home, away in sched:
        di = (d - first_day).days
        blowout = rng.random() < BLOWOUT_P
        pace = (lat["pace"][TEAM_INDEX[home], di] + lat["pace"][TEAM_INDEX[away], di]) / 2
        for team, opp, is_home in ((home, away, True), (away, home, False)):
            team_game += 1
            roster = [pid for pid, f, t in stints[team] if f <= d <= t]
            prev = last_game.get(team)
            rest = (d - prev).days if prev else None
            last_game[team] = d
            b2b = rest == 1
            status: dict[int, str] = {}
            for pid in roster:
                p = rosters.players[pid]
                role = rosters.roles[pid]
                left = out_left.get(pid, 0)
                reason = None
                if left > 0:
                    out_left[pid] = left - 1
                    reason = "injury"
                elif rng.random() < INJURY_HAZARD:
                    length = 1 + min(14, int(rng.exponential(3.0)))
                    out_left[pid] = length - 1
                    reason = "injury"
                elif role == "star" and b2b and rng.random() < REST_P:
                    reason = "rest"
                if reason is not None:
                    status[pid] = "Out"
                    part = BODY_PARTS[(pid + di // 30) % len(BODY_PARTS)] if reason == "injury" else "rest"
                    back = d + timedelta(days=2 * out_left.get(pid, 0) + 1)
                    desc = f"{d:%b} {d.day}: {p.last_name} ({part}) is out against {opp}."
                    start = (prev + timedelta(days=1)) if (prev and reason == "injury") else d
                    k = start
                    while k <= d:
                        inj_rows.append((k, pid, team, "Out", f"{back:%b} {back.day}", desc))
                        k += timedelta(days=1)
                elif rng.random() < QUESTIONABLE_P:
                    st = "Questionable" if rng.random() < 0.5 else "Day-To-Day"
                    status[pid] = st
                    desc = f"{d:%b} {d.day}: {p.last_name} is listed {st.lower()} against {opp}."
                    inj_rows.append((d, pid, team, st, f"{d:%b} {d.day}", desc))
            roles = [rosters.roles[pid] for pid in roster]
            base_w = np.array([
                ROLE_MINUTES[r] * (0.93 if b2b and r in ("star", "starter") else 1.0) for r in roles
            ])
            exp_w = base_w * np.array([1 - ROLE_DNP_CD[r] for r in roles])
            fga36 = np.array(
                [rosters.players[pid].fga36 * ROLE_FGA36[r] for pid, r in zip(roster, roles, strict=True)]
            )
            avail = np.array([status.get(pid) != "Out" for pid in roster])
            exp_min = np.where(avail, np.minimum(240 * exp_w / max((exp_w * avail).sum(), 1e-9), 42), 0.0)
            # A team gets ~TEAM_FGA shots a night whoever takes them: missing teammates' shots go to
            # those who play. The exponent < 1 lets a deep, talented roster shoot a little more.
            boost = (TEAM_FGA / max((exp_min * fga36).sum() / 36, 1e-9)) ** 0.85
            plays = avail.copy()
            for j, pid in enumerate(roster):
                if not avail[j]:
                    continue
                st = status.get(pid)
                if st in ("Questionable", "Day-To-Day") and rng.random() > QUESTIONABLE_PLAYS:
                    plays[j] = False
                    continue
                p_cd = ROLE_DNP_CD[roles[j]] * (0.3 if blowout else 1.0)
                if rng.random() < p_cd:
                    plays[j] = False
            real_w = base_w * rng.lognormal(0, 0.12, len(roster))
            if blowout:
                real_w *= np.array([0.85 if r in ("star", "starter") else 1.9 if r in ("bench", "deep_bench")
                                    else 1.1 for r in roles])
            real_w = np.where(plays, real_w, 0.0)
            share = 240 * real_w / max(real_w.sum(), 1e-9)
            mins = np.where(plays, np.clip(np.rint(share), 1, MAX_MINUTES), 0)
            oi = TEAM_INDEX[opp]
            ti = TEAM_INDEX[team]
            eff = lat["offense"][ti, di] * lat["defense"][oi, di] * (1.02 if is_home else 0.98)
            eff *= 0.97 if b2b else (1.01 if rest is not None and rest >= 3 else 1.0)
            rows = np.array([prow[pid] for pid in roster])
            f = form[rows, np.minimum(appearances[rows], n_steps - 1)]
            appearances[rows] += 1
            rate = fga36 / 36 * f * boost * pace
            p2 = np.minimum(P2[rows] * eff, 0.8)
            p3 = np.minimum(P3[rows] * eff, 0.6)
            ppa = (1 - R3[rows]) * 2 * p2 + R3[rows] * 3 * p3 + FTR[rows] * PFT[rows]
            n = len(roster)
            cols["team_game"].extend([team_game] * n)
            cols["game_id"].extend([game_id] * n)
            cols["game_date"].extend([d] * n)
            cols["team"].extend([team] * n)
            cols["opponent"].extend([opp] * n)
            cols["home"].extend([is_home] * n)
            cols["nba_player_id"].extend(roster)
            cols["role"].extend(roles)
            cols["minutes"].extend(mins.tolist())
            cols["dnp"].extend((~plays).tolist())
            cols["dnp_reason"].extend([
                None if plays[j]
                else "out" if status.get(pid) == "Out"
                else "questionable" if status.get(pid)
                else "coach_decision"
                for j, pid in enumerate(roster)
            ])
            cols["rate"].extend(rate.tolist())
            cols["r3"].extend(R3[rows].tolist())
            cols["p2"].extend(p2.tolist())
            cols["p3"].extend(p3.tolist())
            cols["ftr"].extend(FTR[rows].tolist())
            cols["pft"].extend(PFT[rows].tolist())
            cols["true_expected_minutes"].extend(exp_min.tolist())
            cols["true_expected_points"].extend((exp_min * rate * ppa).tolist())
            cols["true_form"].extend(f.tolist())
            cols["true_usage_boost"].extend([float(boost)] * n)

    box = _sample_stats(rng, cols, rosters)
    box, sched_scored = _scores(rng, box, schedule)
    injuries = _injury_frame(inj_rows, rosters)
    return SeasonGames(sched_scored, box, injuries)


def _sample_stats(rng: np.random.Generator, cols: dict[str, list], rosters: SeasonRosters) -> pl.DataFrame:
    """Draw every counting stat at once (vectorized) from the per-row rates."""
    n = len(cols["game_id"])
    m = np.array(cols["minutes"], dtype=float)
    rate = np.array(cols["rate"])
    e_fga = m * rate
    # A team's shots are shared: one player's big night takes shots from teammates. So draw the
    # team's attempts, then split them multinomially (gamma noise = hot hands, foul trouble).
    tg = np.array(cols["team_game"])
    n_tg = int(tg.max()) + 1
    slot = np.arange(n) - np.searchsorted(tg, tg)  # position within its (contiguous) team-game block
    weights = np.zeros((n_tg, int(slot.max()) + 1))
    weights[tg, slot] = e_fga * rng.gamma(40.0, 1 / 40.0, n)
    team_mean = np.bincount(tg, weights=e_fga, minlength=n_tg)
    team_fga = np.maximum(np.rint(rng.normal(team_mean, 0.6 * np.sqrt(team_mean))), 0).astype(np.int64)
    totals = weights.sum(axis=1, keepdims=True)
    pvals = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
    pvals[totals[:, 0] == 0, 0] = 1.0
    team_fga[totals[:, 0] == 0] = 0
    fga = rng.multinomial(team_fga, pvals)[tg, slot]
    fg3a = rng.binomial(fga, np.array(cols["r3"]))
    fg3m = rng.binomial(fg3a, np.array(cols["p3"]))
    fg2m = rng.binomial(fga - fg3a, np.array(cols["p2"]))
    fta = rng.poisson(e_fga * np.array(cols["ftr"]))
    ftm = rng.binomial(fta, np.array(cols["pft"]))
    pids = cols["nba_player_id"]
    pl_ = rosters.players
    reb36 = np.array([pl_[p].reb36 for p in pids])
    oshare = np.array([pl_[p].oreb_share for p in pids])
    ast36 = np.array([pl_[p].ast36 for p in pids])
    blk36 = np.array([pl_[p].blk36 for p in pids])
    per36 = m / 36
    oreb = rng.poisson(per36 * reb36 * oshare)
    dreb = rng.poisson(per36 * reb36 * (1 - oshare))
    ast = rng.poisson(per36 * ast36)
    stl = rng.poisson(per36 * 1.1)
    blk = rng.poisson(per36 * blk36)
    tov = rng.poisson(per36 * (0.09 * rate * 36 + 0.15 * ast36))
    pf = np.minimum(rng.poisson(per36 * 3.0), 6)
    fgm = fg2m + fg3m
    latent = ("team_game", "rate", "r3", "p2", "p3", "ftr", "pft")
    frame = pl.DataFrame({k: v for k, v in cols.items() if k not in latent})
    return frame.with_columns(
        bdl_player_id=pl.Series([pl_[p].bdl_player_id for p in pids], dtype=pl.Int64),
        player_name=pl.Series([pl_[p].name for p in pids]),
        points=pl.Series(2 * fgm + fg3m + ftm, dtype=pl.Int64),
        fgm=pl.Series(fgm, dtype=pl.Int64),
        fga=pl.Series(fga, dtype=pl.Int64),
        fg3m=pl.Series(fg3m, dtype=pl.Int64),
        fg3a=pl.Series(fg3a, dtype=pl.Int64),
        ftm=pl.Series(ftm, dtype=pl.Int64),
        fta=pl.Series(fta, dtype=pl.Int64),
        oreb=pl.Series(oreb, dtype=pl.Int64),
        dreb=pl.Series(dreb, dtype=pl.Int64),
        reb=pl.Series(oreb + dreb, dtype=pl.Int64),
        ast=pl.Series(ast, dtype=pl.Int64),
        stl=pl.Series(stl, dtype=pl.Int64),
        blk=pl.Series(blk, dtype=pl.Int64),
        tov=pl.Series(tov, dtype=pl.Int64),
        pf=pl.Series(pf, dtype=pl.Int64),
        nba_player_id=pl.Series(pids, dtype=pl.Int64),
    )


def _scores(
    rng: np.random.Generator, box: pl.DataFrame, schedule: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Team scores from the player rows; a tie is settled by one more basket (the sim has no OT)."""
    totals = box.group_by("game_id", "home").agg(pl.col("points").sum())
    wide = totals.pivot(on="home", index="game_id", values="points").rename({"true": "hs", "false": "as"})
    ties = set(wide.filter(pl.col("hs") == pl.col("as"))["game_id"].to_list())
    if ties:
        # The home team's top-minutes player hits the winner: +1 FGM/FGA keeps the scoring identity.
        winner = (
            box.filter(pl.col("game_id").is_in(list(ties)) & pl.col("home"))
            .sort(["minutes", "nba_player_id"], descending=[True, False])
            .group_by("game_id", maintain_order=True)
            .first()
            .select("game_id", "nba_player_id", winner=pl.lit(True))
        )
        box = (
            box.join(winner, on=["game_id", "nba_player_id"], how="left")
            .with_columns(w=pl.col("winner").fill_null(False).cast(pl.Int64))
            .with_columns(
                fgm=pl.col("fgm") + pl.col("w"),
                fga=pl.col("fga") + pl.col("w"),
                points=pl.col("points") + 2 * pl.col("w"),
            )
            .drop("winner", "w")
        )
        totals = box.group_by("game_id", "home").agg(pl.col("points").sum())
        wide = totals.pivot(on="home", index="game_id", values="points").rename({"true": "hs", "false": "as"})
    sched = schedule.join(
        wide.select(
            "game_id", home_score=pl.col("hs").cast(pl.Int64), away_score=pl.col("as").cast(pl.Int64)
        ),
        on="game_id",
        how="left",
    )
    margin = box.join(sched.select("game_id", "home_score", "away_score"), on="game_id").select(
        pl.when(pl.col("home")).then(pl.col("home_score") - pl.col("away_score"))
        .otherwise(pl.col("away_score") - pl.col("home_score"))
    ).to_series().to_numpy()
    m = box["minutes"].to_numpy()
    pm = np.where(m > 0, np.rint(margin * m / 48 + rng.normal(0, 4, len(m))), 0).astype(np.int64)
    return box.with_columns(plus_minus=pl.Series(pm)), sched


def _injury_frame(rows: list[tuple], rosters: SeasonRosters) -> pl.DataFrame:
    schema = {
        "report_date": pl.Date, "nba_player_id": pl.Int64, "team": pl.Utf8, "status": pl.Utf8,
        "return_date": pl.Utf8, "description": pl.Utf8,
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    severity = pl.when(pl.col("status") == "Out").then(0).otherwise(1)
    frame = (
        frame.with_columns(_sev=severity)
        .sort(["report_date", "nba_player_id", "_sev"])
        .unique(["report_date", "nba_player_id"], keep="first", maintain_order=True)
        .drop("_sev")
    )
    players = rosters.players
    return frame.with_columns(
        report_ts=pl.col("report_date").map_elements(_report_ts, return_dtype=pl.Datetime("us", "UTC")),
        bdl_player_id=pl.col("nba_player_id").replace_strict(
            {p: v.bdl_player_id for p, v in players.items()}, return_dtype=pl.Int64
        ),
        player_name=pl.col("nba_player_id").replace_strict(
            {p: v.name for p, v in players.items()}, return_dtype=pl.Utf8
        ),
    ).select(
        "report_date", "report_ts", "nba_player_id", "bdl_player_id", "player_name", "team", "status",
        "return_date", "description",
    )
