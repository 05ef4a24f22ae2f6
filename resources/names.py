"""Cross-source player identity: `player_lookup` as docs/data.md defines it.

NFKC-normalize, strip diacritics, casefold, keep only [a-z0-9]. Suffixes are KEPT
(`michaelporterjr`, `garypaytonii`): stripping them in one source once broke ~6,000 prop joins.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def player_lookup(name: str | None) -> str | None:
    """'Nikola Jokić' -> 'nikolajokic'; "De'Aaron Fox" -> 'deaaronfox'; 'Gary Payton II' -> 'garypaytonii'."""
    if name is None:
        return None
    s = unicodedata.normalize("NFKC", name)
    # Decompose so accents become separate combining marks, then drop the marks.
    s = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
    s = s.casefold()
    return _NON_ALNUM.sub("", s) or None


def player_lookup_expr(col: str | pl.Expr) -> pl.Expr:
    """The same normalization as a polars expression (element-wise, for whole columns)."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.map_elements(player_lookup, return_dtype=pl.Utf8)
