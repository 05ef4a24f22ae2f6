"""Orphans on every edge between layers (lesson 3, docs/architecture.md: 618 analytics rows with no boxscore).

Severity per edge (decided in checks/definitions.py):
- ERROR (corruption: our own transform produced a row its input cannot explain): summary rows without
  a raw boxscore row, features without a slate game, predictions without a feature row, grades
  without a prediction.
- WARN (a source gap: the sources disagree with each other, nothing of ours is wrong): boxscore games
  the schedule lacks, prop lines whose name matches no player.
Games are matched on (game_date, home_team, away_team), never on source ids (failure 9).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from checks.result import RuleResult, from_offending

DATE = "game_date"
GAME_KEY = [DATE, "home_team", "away_team"]


def orphans(
    child: pl.DataFrame,
    parent: pl.DataFrame,
    on: Sequence[str],
    *,
    what: str,
    show: Sequence[str] | None = None,
    extra: dict | None = None,
) -> RuleResult:
    """Rows of `child` whose `on` key has no row in `parent` (a null key is always an orphan)."""
    on = list(on)
    cols = list(dict.fromkeys([*on, *(show or [])]))
    parent_keys = parent.select(on).unique()
    # Cast the parent's key to the child's dtypes so an all-null/empty parent still joins.
    parent_keys = parent_keys.with_columns([pl.col(c).cast(child.schema[c]) for c in on])
    lost = child.select(cols).unique().join(parent_keys, on=on, how="anti")
    checked = child.select(on).unique().height
    return from_offending(
        lost,
        ok=f"every {what} has its parent ({checked} key(s) checked)",
        problem="{n} " + what + " without a parent on {dates} date(s)",
        extra={"checked_keys": checked, **(extra or {})},
        sort_by=on,
    )


def orphans_by_day(
    child: pl.DataFrame,
    parent: pl.DataFrame,
    on: Sequence[str],
    days: Sequence[str],
    *,
    what: str,
    show: Sequence[str] | None = None,
    extra: Callable[[str], dict] | None = None,
) -> dict[str, RuleResult]:
    """{day: `orphans` of that day's rows of child and parent} for ISO `days`, in one join: `on` holds
    game_date, so a row's parent can only be a row of its own day. `extra(day)`: that day's extra."""
    on = list(on)
    if DATE not in on:
        raise ValueError(f"orphans_by_day needs {DATE} in the key, got {on}")
    cols = list(dict.fromkeys([*on, *(show or [])]))
    parent_keys = parent.select(on).unique().with_columns([pl.col(c).cast(child.schema[c]) for c in on])
    lost = _by_day(child.select(cols).unique().join(parent_keys, on=on, how="anti"))
    checked = {str(d): n for d, n in child.select(on).unique().group_by(DATE).len().iter_rows()}
    none = child.select(cols).head(0)
    return {
        d: from_offending(
            lost.get(d, none),
            ok=f"every {what} has its parent ({checked.get(d, 0)} key(s) checked)",
            problem="{n} " + what + " without a parent on {dates} date(s)",
            extra={"checked_keys": checked.get(d, 0), **(extra(d) if extra else {})},
            sort_by=on,
        )
        for d in days
    }


def _by_day(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {str(k[0]): v for k, v in frame.partition_by(DATE, as_dict=True, maintain_order=True).items()}


def _box_union(bdl: pl.DataFrame, nbacom: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    return pl.concat(
        [bdl.select(cols).with_columns(pl.lit("bdl").alias("source")),
         nbacom.select(cols).with_columns(pl.lit("nbacom").alias("source"))],
        how="vertical_relaxed",
    )  # fmt: skip


def summary_without_boxscore(summary: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame) -> RuleResult:
    """Summary rows with no raw row for that player, team and day in the source they claim to use."""
    raw = _box_union(bdl, nbacom, ["game_date", "team", "player_lookup"])
    child = summary.with_columns(pl.col("source_used").alias("source"))
    return orphans(
        child, raw, ["game_date", "team", "player_lookup", "source"],
        what="player-game summary row(s)", show=["game_id"],
    )  # fmt: skip


def boxscore_games_without_schedule(box: pl.DataFrame, schedule: pl.DataFrame) -> RuleResult:
    """Boxscore games (one source) with no schedule game on the same date between the same teams."""
    return orphans(box, schedule, GAME_KEY, what="boxscore game(s)", show=["source_game_id"])


def boxscore_games_without_schedule_by_day(box: pl.DataFrame, schedule: pl.DataFrame,
                                           days: Sequence[str]) -> dict[str, RuleResult]:
    """`boxscore_games_without_schedule` of each day, in one pass."""
    return orphans_by_day(box, schedule, GAME_KEY, days, what="boxscore game(s)", show=["source_game_id"])


def features_without_slate_game(features: pl.DataFrame, games: pl.DataFrame) -> RuleResult:
    """Feature rows whose game_id is not a game of that day in analytics/games."""
    return orphans(
        features, games, ["game_date", "game_id"], what="feature row(s)", show=["player_lookup", "team"]
    )


def predictions_without_features(predictions: pl.DataFrame, features: pl.DataFrame) -> RuleResult:
    """Predictions with no feature row for that (day, game, player)."""
    return orphans(
        predictions, features, ["game_date", "game_id", "player_lookup"],
        what="prediction(s)", show=["system_id"],
    )  # fmt: skip


def grades_without_prediction(grades: pl.DataFrame, predictions: pl.DataFrame) -> RuleResult:
    """Grades with no prediction of the same (day, game, player, system)."""
    return orphans(
        grades, predictions, ["game_date", "game_id", "player_lookup", "system_id"], what="grade(s)"
    )


def prop_players_not_on_roster(
    prop_lines: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame, known: pl.DataFrame | None = None
) -> RuleResult:
    """Prop names that match no player: absent from their game's boxscore (either source, DNPs
    included) or, for a game without a boxscore yet (today's slate), from every player in `known`
    (the `player_lookup`s of recent box scores, any team: a trade does not make a name unknown).

    Games without a boxscore are counted in `games_without_roster`, and judged only when `known` is
    given. The usual cause is a name that normalizes differently across sources (a stripped suffix
    once broke ~6,000 prop joins), so the props never meet their player; `player_name` shows the
    book's spelling.
    """
    judged, roster, slate = _roster_and_props(prop_lines, bdl, nbacom, known)
    return orphans(
        judged, roster, [*GAME_KEY, "player_lookup"], what="prop player(s) matching no player",
        show=["player_name"], extra={"games_without_roster": slate.select(GAME_KEY).unique().height},
    )  # fmt: skip


def prop_players_not_on_roster_by_day(
    prop_lines: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame, days: Sequence[str],
    known: pl.DataFrame | None = None,
) -> dict[str, RuleResult]:
    """`prop_players_not_on_roster` of each day, in one pass (every key holds game_date)."""
    judged, roster, slate = _roster_and_props(prop_lines, bdl, nbacom, known)
    unjudged = {str(d): n for d, n in slate.select(GAME_KEY).unique().group_by(DATE).len().iter_rows()}
    return orphans_by_day(
        judged, roster, [*GAME_KEY, "player_lookup"], days, what="prop player(s) matching no player",
        show=["player_name"], extra=lambda d: {"games_without_roster": unjudged.get(d, 0)},
    )  # fmt: skip


def _roster_and_props(
    prop_lines: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame, known: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(the props judged, the roster they are judged against, the props of games without a boxscore)."""
    roster = _box_union(bdl, nbacom, [*GAME_KEY, "player_lookup"])
    games_with_roster = roster.select(GAME_KEY).unique()
    props = prop_lines.select(*GAME_KEY, "player_lookup", "player_name").unique()
    judged = props.join(games_with_roster, on=GAME_KEY, how="semi")
    slate = props.join(games_with_roster, on=GAME_KEY, how="anti")
    if known is not None and known.height:
        # A slate prop is judged against the known players: it is "on the roster" when known.
        slate_known = slate.join(known.select("player_lookup").unique(), on="player_lookup", how="semi")
        roster = pl.concat([roster.select(*GAME_KEY, "player_lookup"), slate_known.select(*GAME_KEY, "player_lookup")],
                           how="vertical_relaxed")  # fmt: skip
        judged = pl.concat([judged, slate], how="vertical_relaxed")
    return judged, roster, slate
