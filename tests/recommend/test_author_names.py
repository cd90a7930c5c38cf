"""Author names as people write them: accents, initials, "Last, First", particles; ambiguous
names are listed, not guessed."""

from recommend.author_names import coauthors, compatible, display_name, parse_name, resolve

STORE = ["Geoffrey Hinton", "Geoffrey E. Hinton", "G. E. Hinton", "Hinton, Geoffrey", "Yann LeCun"]


def test_names_fold_accents_case_and_order():
    assert parse_name("Jörg Müller") == parse_name("JORG MULLER") == parse_name("Müller, Jörg")
    assert parse_name("Johannes van der Waals").last == "van der waals"
    assert parse_name("Jean-Pierre Dupont").firsts == ("jean-pierre",)


def test_initials_agree_with_the_names_they_start():
    assert compatible(parse_name("G. Hinton"), parse_name("Geoffrey E. Hinton"))
    assert compatible(parse_name("Geoffrey Hinton"), parse_name("G. E. Hinton"))
    assert not compatible(parse_name("Graham Hinton"), parse_name("Geoffrey Hinton"))
    assert not compatible(parse_name("G. Hinton"), parse_name("G. Hinden"))


def test_an_unambiguous_initial_resolves_to_the_one_person():
    res = resolve("G. Hinton", STORE)
    assert not res.ambiguous
    assert set(res.names) == {"Geoffrey Hinton", "Geoffrey E. Hinton", "G. E. Hinton", "Hinton, Geoffrey"}
    assert display_name(res, "G. Hinton") in {"Geoffrey Hinton", "Geoffrey E. Hinton", "Hinton, Geoffrey"}


def test_ambiguous_initials_list_the_people_instead_of_guessing():
    store = STORE + ["Graham Hinton", "Graham Hinton"]
    res = resolve("G. Hinton", store)
    assert res.ambiguous and res.names == ()
    assert res.people == ("Geoffrey Hinton", "Graham Hinton")
    # a full first name is not ambiguous, but initials-only spellings that fit both are dropped
    full = resolve("Geoffrey Hinton", store)
    assert not full.ambiguous
    assert "G. E. Hinton" not in full.names and "Graham Hinton" not in full.names
    assert "Geoffrey E. Hinton" in full.names


def test_coauthors_are_counted_by_person_in_their_commonest_spelling():
    lists = [["Geoffrey Hinton", "Yann LeCun"], ["Geoffrey Hinton", "Yann Lecun", "Ada Lovelace"],
             ["G. E. Hinton", "Yann LeCun"]]
    assert coauthors(lists, {"Geoffrey Hinton", "G. E. Hinton"}) == [("Yann LeCun", 3), ("Ada Lovelace", 1)]
