"""Hypothesis strategies that mutate a real response: one draw = one mutated copy of the body plus the
units it touched (the assertions hold every other unit to its unmutated parse).

Field mutations (inside one record, nested objects included): drop, null, retype (to a string, list,
object, bool, float), number as string, truncate a string, unicode in a string, change an id (or a
number) by a small or large amount, NaN and huge numbers. Record mutations (in a list of records):
drop, duplicate identically, duplicate with one field changed, reorder, truncate the list's tail.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.endpoints import Endpoint, Ident, Path_, Unit, get

# Names real feeds carry, and letters with no decomposed ASCII form (finding 4).
UNICODE_NAMES = ["Nikola Jokić", "Luka Dončić", "Nikola Đurišić", "Łukasz Ø'Ærøe", "Þór Ğüneş", "Dario Šarić",
                 "Jusuf Nurkić", "İsmail ı", "Ömer Yurtseven", "Gui Santos ", " José  Alvarado", "Kristaps "
                 "Porziņģis", "Bogdan Bogdanović", "Alperen Şengün", "Ｄｅｎｎｉｓ", "李凯尔", "Zoë 🏀"]
FIELD_OPS = ["drop", "null", "to_str", "to_list", "to_dict", "to_bool", "to_float", "truncate", "unicode",
             "change_id", "nan", "huge", "negative"]
RECORD_OPS = ["drop_record", "dup_record", "dup_changed", "reorder", "truncate_list"]


@dataclass
class Mutation:
    body: Any
    touched: set[Ident]  # units whose rows may change; every other unit must come out identical
    removed: set[Ident]  # units no longer in the body (a dropped record): nothing to name them by
    what: str  # a readable description, shown on failure

    def __repr__(self) -> str:  # the body is the fixture with these changes; printing it is noise
        return f"Mutation({self.what!r}, touched={len(self.touched)} unit(s))"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # what Hypothesis prints for a failing example
        p.text(repr(self))


def leaf_paths(obj: Any, prefix: Path_ = (), skip: frozenset[str] = frozenset()) -> list[Path_]:
    """Paths to every value inside a record (keys of nested objects; items of a rowSet list)."""
    out: list[Path_] = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    for k, v in items:
        if k in skip:
            continue
        out.append((*prefix, k))
        if isinstance(v, dict):
            out.extend(leaf_paths(v, (*prefix, k), skip))
    return out


def _is_record(body: Any, path: Path_) -> bool:
    try:
        return isinstance(get(body, path), (dict, list))
    except (KeyError, IndexError, TypeError):
        return False


def _set(body: Any, path: Path_, value: Any) -> None:
    get(body, path[:-1])[path[-1]] = value


def _field_value(op: str, old: Any, draw: Any) -> Any:
    if op == "null":
        return None
    if op == "to_str":
        return str(old) if not isinstance(old, str) else draw(st.sampled_from(["", " ", "abc", "12", "-3", "1e3"]))
    if op == "to_list":
        return [old]
    if op == "to_dict":
        return {"value": old}
    if op == "to_bool":
        return draw(st.booleans())
    if op == "to_float":
        return float(old) + 0.5 if isinstance(old, (int, float)) and not isinstance(old, bool) else 1.5
    if op == "truncate":
        s = old if isinstance(old, str) else str(old)
        return s[: draw(st.integers(0, max(0, len(s) - 1)))]
    if op == "unicode":
        return draw(st.one_of(st.sampled_from(UNICODE_NAMES), st.text(min_size=0, max_size=12)))
    if op == "change_id":
        delta = draw(st.sampled_from([1, -1, 7, 10**6]))
        if isinstance(old, bool) or not isinstance(old, (int, str)):
            return delta
        if isinstance(old, int):
            return old + delta
        digits = old.strip()
        if digits.isdigit():  # keep the width: a changed id, not a different format
            return str(int(digits) + delta).zfill(len(digits))[-len(digits):] if delta != 10**6 else digits + "9"
        return old + "x"
    if op == "nan":
        return math.nan
    if op == "huge":
        return 10**20
    if op == "negative":
        return -old if isinstance(old, (int, float)) and not isinstance(old, bool) and old else -1
    raise AssertionError(op)


@st.composite
def mutations(draw: Any, endpoint: Endpoint, base: Any) -> Mutation:
    body = copy.deepcopy(base)
    units = endpoint.units(base)
    # Up to three field mutations, then at most one list mutation (last, so that every path drawn
    # before it still addresses the record it names).
    n_fields = draw(st.integers(0, 3))
    touched: set[Ident] = set()
    removed: set[Ident] = set()
    what = [_field_mutation(draw, body, units, touched) for _ in range(n_fields)]
    # A field mutation can take a list of records with it (a game's home_team dropped or retyped):
    # those records are no longer in the body.
    removed.update(u.ident for u in units if not all(_is_record(body, p) for p in u.records))
    if n_fields == 0 or draw(st.booleans()):
        what.append(_record_mutation(draw, endpoint, body, units, touched, removed))
    return Mutation(body, touched, removed, "; ".join(what))


def _field_mutation(draw: Any, body: Any, units: list[Unit], touched: set[Ident]) -> str:
    unit = draw(st.sampled_from(units))
    on_group = unit.group is not None and draw(st.booleans())
    target = unit.group if on_group else draw(st.sampled_from(unit.records))
    try:
        record = get(body, target)
    except (KeyError, IndexError, TypeError):  # an earlier mutation removed or retyped it
        return f"skip {target}"
    paths = leaf_paths(record, target, frozenset({"players"}) if on_group else frozenset())
    if not paths:
        return f"skip {target}"
    path = draw(st.sampled_from(paths))
    op = draw(st.sampled_from(FIELD_OPS))
    if on_group:  # a game-level field: every line of the game may change
        touched.update(u.ident for u in units if u.group == unit.group)
    else:
        touched.add(unit.ident)
    if op == "drop":
        container = get(body, path[:-1])
        if isinstance(container, dict):
            del container[path[-1]]
        else:
            container.pop(path[-1])
        return f"drop {path}"
    old = get(body, path)
    new = _field_value(op, old, draw)
    _set(body, path, new)
    return f"{op} {path}: {old!r} -> {new!r}"


def _record_mutation(draw: Any, endpoint: Endpoint, body: Any, units: list[Unit], touched: set[Ident],
                     removed: set[Ident]) -> str:
    path = draw(st.sampled_from(endpoint.containers(body)))
    try:
        items = get(body, path)
    except (KeyError, IndexError, TypeError):
        return f"skip {path}"
    if not isinstance(items, list) or not items:
        return f"skip {path}"
    op = draw(st.sampled_from(RECORD_OPS))

    def units_under(i: int) -> set[Ident]:
        prefix = (*path, i)
        return {u.ident for u in units for r in (*u.records, u.group) if r is not None and r[: len(prefix)] == prefix}

    if op == "reorder":  # touches nothing: the parse must not depend on the order of records
        order = draw(st.permutations(range(len(items))))
        items[:] = [items[i] for i in order]
        return f"reorder {path} {order}"
    i = draw(st.integers(0, len(items) - 1))
    if op == "drop_record":
        touched.update(units_under(i))
        removed.update(units_under(i))
        items.pop(i)
        return f"drop_record {path}[{i}]"
    if op == "truncate_list":
        gone = set().union(*(units_under(j) for j in range(i, len(items))))
        touched.update(gone)
        removed.update(gone)
        del items[i:]
        return f"truncate_list {path}[{i}:]"
    touched.update(units_under(i))  # a copy of record i: only its unit's rows may change
    dup = copy.deepcopy(items[i])
    if op == "dup_changed":
        leaves = leaf_paths(dup)
        if leaves:
            leaf = draw(st.sampled_from(leaves))
            _set(dup, leaf, _field_value("change_id", get(dup, leaf), draw))
    items.insert(i + 1, dup)
    return f"{op} {path}[{i}]"
