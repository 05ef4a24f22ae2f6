"""player_lookup: the cross-source player key (resources/names.py)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from resources.names import player_lookup


def _decomposition_key(name: str) -> str | None:
    """The key as it was built by Unicode decomposition alone (what the lake's keys were made with)."""
    s = unicodedata.normalize("NFKC", name)
    s = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]", "", s.casefold()) or None


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Nikola Đurišić", "nikoladurisic"),
        ("Łukasz Kaczmarek", "lukaszkaczmarek"),
        ("Øystein Sørensen", "oysteinsorensen"),
        ("Ægir Steinarsson", "aegirsteinarsson"),
        ("Þórir Þorbjarnarson", "thorirthorbjarnarson"),
        ("Furkan Korkmaz Kılıç", "furkankorkmazkilic"),
        ("Dennis Schröder", "dennisschroder"),
        ("Ömer Yurtseven", "omeryurtseven"),
        ("Nikola Jokić", "nikolajokic"),
        ("De\u2019Aaron Fox", "deaaronfox"),
        ("Gary Payton II", "garypaytonii"),
        ("Michael Porter Jr.", "michaelporterjr"),
    ],
)
def test_every_letter_is_transliterated_so_a_books_ascii_spelling_meets_the_box_score(name, key):
    assert player_lookup(name) == key


def test_a_books_ascii_spelling_and_the_box_scores_native_spelling_join():
    pairs = [("Nikola Đurišić", "Nikola Durisic"), ("Łukasz Kaczmarek", "Lukasz Kaczmarek"),
             ("Øystein Sørensen", "Oystein Sorensen"), ("Kılıç", "Kilic"), ("Þór", "Thor"), ("Æsir", "Aesir")]  # fmt: skip
    assert [player_lookup(native) == player_lookup(ascii_) for native, ascii_ in pairs] == [True] * len(pairs)


def test_keys_the_decomposition_already_built_do_not_change():
    # Every Latin letter, digit and punctuation sign the old key kept gives the same key (the lake
    # holds those keys); the only differences are letters the old key dropped.
    changed = []
    for cp in [*range(0x20, 0x250), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070)]:
        ch = chr(cp)
        if not ch.isprintable():
            continue
        before, after = _decomposition_key(f"a{ch}z"), player_lookup(f"a{ch}z")
        if before != "az" and before != after:
            changed.append((hex(cp), ch, before, after))
    assert changed == []


def test_a_name_without_letters_or_digits_has_no_key():
    assert player_lookup("  '.- ") is None and player_lookup(None) is None
