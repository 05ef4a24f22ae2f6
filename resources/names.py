"""Cross-source player identity: `player_lookup` as docs/data.md defines it.

NFKC-normalize, transliterate to ASCII, casefold, keep only [a-z0-9]. Suffixes are KEPT
(`michaelporterjr`, `garypaytonii`): stripping them in one source once broke ~6,000 prop joins.

Transliteration is anyascii's (a maintained table of every Unicode letter, ISC licence), not Unicode
decomposition: decomposition strips the accents of "Jokić" but has nothing for letters that are not a
base letter plus a mark (Đ, Ł, Ø, Æ, Þ, ı, ß ...), which it dropped, so "Nikola Đurišić" keyed as
`nikolaurisic` while a book's "Nikola Durisic" keyed as `nikoladurisic`. For every letter that does
decompose, anyascii gives the same base letter, so keys already in the lake do not change (tested).
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl
from anyascii import anyascii

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def player_lookup(name: str | None) -> str | None:
    """'Nikola Jokić' -> 'nikolajokic'; 'Nikola Đurišić' -> 'nikoladurisic'; "De'Aaron Fox" -> 'deaaronfox';
    'Gary Payton II' -> 'garypaytonii'."""
    if name is None:
        return None
    s = anyascii(unicodedata.normalize("NFKC", name)).casefold()
    return _NON_ALNUM.sub("", s) or None


def player_lookup_expr(col: str | pl.Expr) -> pl.Expr:
    """The same normalization as a polars expression (element-wise, for whole columns)."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.map_elements(player_lookup, return_dtype=pl.Utf8)
