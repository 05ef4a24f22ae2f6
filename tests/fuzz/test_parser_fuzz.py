"""Property-based fuzzing of every parser on mutated real responses (docs/reliability.md, "Fuzz harness").

For every mutated body: the parse does not raise; its rows fit the table's contract; every unit the
mutation did not touch comes out identical to the unmutated parse (or, when a touched record now claims
its key, is named by the conflict rule); every row left out is named by a reject or duplicate row
naming record, field and rule; parsing twice gives equal frames and byte-identical Parquet through the
lake's writer.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from typing import Any

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from io_managers.lake import parquet_bytes
from resources import parsers as P
from resources.clients import events_on
from tests.conftest import FIXTURES
from tests.fuzz.conftest import EXAMPLES
from tests.fuzz.endpoints import ENDPOINTS, Endpoint, Ident, reject_idents
from tests.fuzz.mutations import Mutation, mutations


@functools.cache
def baseline(name: str) -> tuple[Any, P.ParseResult]:
    ep = ENDPOINTS[name]
    body = ep.body()
    return body, ep.parse(body)


def row_key(row: dict[str, Any]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in row.items()))


def _player(ident: Ident, endpoint: Endpoint) -> str | None:
    player = ident[1]
    if endpoint.name == "odds_event_odds" and player is not None:
        return player.split("/", 1)[1]
    return player


def check(endpoint: Endpoint, m: Mutation) -> None:
    _, base = baseline(endpoint.name)
    got = endpoint.parse(m.body)  # 1. never raises on a bad record

    # 2. what gets in fits the contract (columns, dtypes, ranges)
    assert got.rows.schema == base.rows.schema, m.what
    contract = endpoint.table.contract
    if got.rows.height:
        contract.validate(got.rows)
    for frame in (got.rejects, got.duplicates):
        assert frame.schema == pl.Schema(P.REJECT_SCHEMA), m.what
        assert frame["rule"].null_count() == 0 and frame["field"].null_count() == 0, m.what
        assert (frame["landing_file"] == base.rows["landing_file"][0]).all() if base.rows.height else True

    named = got.rejects.height + got.duplicates.height
    file_level = got.rejects.filter(pl.col("source_game_id").is_null() & pl.col("player").is_null()).height > 0
    out_rows = {row_key(r) for r in got.rows.iter_rows(named=True)}
    namers = reject_idents(pl.concat([got.rejects, got.duplicates]), endpoint)
    namer_players = {_player(i, endpoint) for i in namers} | {p for _, p in namers}
    namer_games = {g for g, _ in namers}
    conflicts = got.rejects.filter(pl.col("rule").str.contains("conflicting"))
    conflict_players = set(conflicts["player"]) | set(conflicts["source_game_id"])

    # 3. nothing good of an untouched unit is lost or changed
    left_out: list[dict[str, Any]] = []
    for r in base.rows.iter_rows(named=True):
        if row_key(r) in out_rows:
            continue
        ident = endpoint.row_ident(r)
        if ident in m.removed:
            continue  # its record is not in the body any more: absent input, not a parser's choice
        if ident in m.touched:
            left_out.append(r)
            continue
        player = _player(ident, endpoint)
        assert not file_level or m.touched, m.what
        assert (player in conflict_players or ident[0] in conflict_players), (
            f"untouched {ident} lost or changed by: {m.what}\n{got.rejects.to_dicts()}")

    # 4. every row left out is named by a rule: a reject/duplicate names its game or player, or the
    #    whole file is rejected, or the record came out as a changed row
    new_rows = got.rows.height - sum(1 for r in base.rows.iter_rows(named=True) if row_key(r) in out_rows)
    assert len(left_out) <= new_rows + named, f"{len(left_out)} rows left out, {named} named: {m.what}"
    out_idents = {endpoint.row_ident(r) for r in got.rows.iter_rows(named=True)}
    # A record whose name and game id were both mutated can only be named as it now stands.
    try:
        as_mutated = {u.ident for u in endpoint.units(m.body)}
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        as_mutated = set()
    named_as_mutated = bool(namers & (as_mutated - {u.ident for u in endpoint.units(baseline(endpoint.name)[0])}))
    for r in left_out:
        ident = endpoint.row_ident(r)
        player = _player(ident, endpoint)
        assert (file_level or ident in out_idents or player in namer_players or ident[0] in namer_games
                or named_as_mutated or new_rows > 0), (
            f"{ident} left out, named by no reject: {m.what}\n{got.rejects.to_dicts()}")

    # 5. re-running gives the same frames and the same Parquet bytes
    again = endpoint.parse(m.body)
    assert again.rows.equals(got.rows) and again.rejects.equals(got.rejects), m.what
    assert again.duplicates.equals(got.duplicates), m.what
    assert parquet_bytes(again.rows) == parquet_bytes(got.rows), m.what
    assert parquet_bytes(again.rejects) == parquet_bytes(got.rejects), m.what
    EXAMPLES[endpoint.name] += 1


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@given(data=st.data())
def test_fuzz_parser(name: str, data: st.DataObject) -> None:
    """One mutated real response per example, for each endpoint's parser."""
    check(ENDPOINTS[name], data.draw(mutations(ENDPOINTS[name], baseline(name)[0]), label="mutation"))


def test_the_unmutated_responses_parse_whole() -> None:
    """The baseline every property compares with: each real response parses without a reject."""
    for name in ENDPOINTS:
        _, base = baseline(name)
        assert base.rows.height > 0, name
        if name != "nbacom_schedule":  # its two games against overseas clubs are rejected by design
            assert base.rejects.height == 0, name


# ------------------------------------------------------------------------------ the odds events list
EVENTS_DAY = dt.date(2025, 3, 9)


@functools.cache
def _events() -> list[dict[str, Any]]:
    import json

    return json.loads((FIXTURES / "oddsapi/historical_events_2025-03-09.json").read_text())["data"]


_JUNK = st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.integers(), max_size=2),
                  st.sampled_from(["2025-13-40T99:00:00Z", "tonight", "", "2025-03-09T23:11:00"]))


@given(i=st.integers(0, 100), field=st.sampled_from(["id", "commence_time", "home_team", "drop"]), junk=_JUNK)
@example(i=0, field="commence_time", junk="tonight")  # regression: raised out of fetch_events
def test_fuzz_odds_events_one_bad_event_never_stops_the_others(i: int, field: str, junk: Any) -> None:
    events = [dict(e) for e in _events()]
    i %= len(events)
    if field == "drop":
        events[i] = junk
    else:
        events[i][field] = junk
    on_day = events_on(_events(), EVENTS_DAY)
    want = [e["id"] for j, e in enumerate(_events()) if j != i and e in on_day]
    got = [e["id"] for e in events_on(events, EVENTS_DAY) if e is not events[i]]
    assert got == want
    assert events_on(events, EVENTS_DAY) == events_on(events, EVENTS_DAY)
    EXAMPLES["odds_events"] += 1


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_a_reordered_response_parses_to_the_same_bytes(name: str) -> None:
    """Record order is not data: the reversed response writes the same Parquet bytes."""
    ep = ENDPOINTS[name]
    body = ep.body()
    for path in ep.containers(body):
        from tests.fuzz.endpoints import get

        get(body, path).reverse()
    assert parquet_bytes(ep.parse(body).rows) == parquet_bytes(baseline(name)[1].rows)


def test_a_record_with_its_name_and_game_id_both_destroyed_is_named_as_it_now_stands() -> None:
    """Found by `make fuzz`: the game log row of Jaylen Brown with PLAYER_NAME "" and GAME_ID null is
    rejected naming player "" and no game, the only names it has left; the harness accepts that."""
    ep = ENDPOINTS["nbacom_leaguegamelog"]
    body = copy.deepcopy(baseline(ep.name)[0])
    row = body["resultSets"][0]["rowSet"][0]
    row[2], row[6] = "", None
    check(ep, Mutation(body, {("0022500531", "Jaylen Brown")}, set(), "name '' and GAME_ID null"))
    rejects = ep.parse(body).rejects
    assert rejects.select("source_game_id", "player", "field").rows() == [(None, "", "GAME_ID")]


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@given(data=st.data())
def test_fuzz_truncated_or_corrupted_bytes_are_poison_or_parse(name: str, data: st.DataObject) -> None:
    """The landed bytes cut short or with one byte changed: the landing zone's decode either refuses
    them as poison (quarantined, a reject naming the file) or hands the parser a body it parses
    without raising. Nothing else escapes."""
    from upath import UPath

    from resources.landing import LandedFile, LandingZone, PoisonBody

    ep = ENDPOINTS[name]
    raw = (FIXTURES / ep.fixture).read_bytes()
    if data.draw(st.booleans(), label="truncate"):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1), label="at")]
    else:
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        raw = raw[:at] + bytes([data.draw(st.integers(0, 255), label="byte")]) + raw[at + 1:]
    f = LandedFile(UPath("/landing") / ep.fixture, "x.json", None)
    try:
        body = LandingZone("/nonexistent").decode(f, raw)
    except PoisonBody:
        EXAMPLES[f"{name} (bytes)"] += 1
        return
    got = ep.parse(body)
    assert got.rows.height + got.rejects.height + got.duplicates.height > 0 or not body
    EXAMPLES[f"{name} (bytes)"] += 1
