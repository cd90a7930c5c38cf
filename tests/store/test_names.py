"""Folding and last names as the store indexes them (domain/names.py)."""

from __future__ import annotations

import random
import string
import unicodedata

from domain.names import fold, last_names


def _fold_by_decomposition(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def test_fold_is_the_decomposition_for_ascii_and_accented_text_alike():
    rng = random.Random(3)
    alphabet = string.printable + "ÄÖÜäöüßéèêçñÅøØæ\u0301\u212aİıﬁ"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert fold(text) == _fold_by_decomposition(text), repr(text)
    assert fold("Jörg MÜLLER") == "jorg muller" and fold("Ada Lovelace") == "ada lovelace"


def test_last_names_are_folded_with_their_particles_and_turned_round():
    assert last_names(["Jörg Müller", "Hinton, Geoffrey", "Johannes van der Waals", "G. E. Hinton",
                       "Li-Wei Chen", "", "100%"]) == {"muller", "hinton", "van der waals", "chen"}
    assert last_names(["A " + "b" * 100]) == {"b" * 64}          # cut to the column's width
