"""The shipped Swedish lexicon and the matcher: inflected forms, phrases, whole words only."""

from __future__ import annotations

import unicodedata

import pytest

from documentation.textguard.inflection import adjective, verb_a
from documentation.textguard.lexicon_sv import (
    ATTENDANCE,
    HEALTH,
    OFFENSIVE,
    SHIPPED,
    SUGGEST_ATTENDANCE,
    SUGGEST_DIAGNOSIS,
    SUGGEST_VALUE,
    VALUE_JUDGEMENT,
)
from documentation.textguard.matcher import Finding, Matcher, Rule
from documentation.textguard.selectors import SHIPPED_MATCHER


def found(text: str) -> list[tuple[str, str]]:
    return [(f.text, f.category) for f in SHIPPED_MATCHER.find("text", text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Eleven är lat", [("lat", VALUE_JUDGEMENT)]),
        ("Det finns lata elever i gruppen", [("lata", VALUE_JUDGEMENT)]),
        ("Han är latare än sin bror", [("latare", VALUE_JUDGEMENT)]),
        ("Den lataste i klassen", [("lataste", VALUE_JUDGEMENT)]),
        ("Ett slarvigt arbete", [("slarvigt", VALUE_JUDGEMENT)]),
        ("Hon är slarvigare nu", [("slarvigare", VALUE_JUDGEMENT)]),
        ("Dumma frågor", [("Dumma", VALUE_JUDGEMENT)]),
        ("omogna kommentarer", [("omogna", VALUE_JUDGEMENT)]),
        ("Ett korkat svar", [("korkat", VALUE_JUDGEMENT)]),
        ("Eleven är ointresserad", [("ointresserad", VALUE_JUDGEMENT)]),
        ("Han bryr sig inte om läxorna", [("bryr sig inte om", VALUE_JUDGEMENT)]),
        ("Hon har inget intresse för ämnet", [("har inget intresse för", VALUE_JUDGEMENT)]),
        ("en svag elev", [("svag elev", VALUE_JUDGEMENT)]),
        ("han skolkade i fredags", [("skolkade", ATTENDANCE)]),
        ("Hon skolkar ofta", [("skolkar", ATTENDANCE)]),
        ("hade ogiltig frånvaro", [("ogiltig frånvaro", ATTENDANCE)]),
        ("Frånvaron är hög", [("Frånvaron", ATTENDANCE)]),
        ("Se frånvaroanmälan", [("frånvaroanmälan", ATTENDANCE)]),
        ("Eleven kom för sent", [("kom för sent", ATTENDANCE)]),
        ("Hon var sjuk hela veckan", [("var sjuk", ATTENDANCE)]),
        ("Han är sjukanmäld", [("sjukanmäld", ATTENDANCE)]),
        ("Eleven har diagnosen ADHD", [("har diagnosen", HEALTH), ("ADHD", HEALTH)]),
        ("Utredning: adhd-diagnos", [("adhd", HEALTH)]),
        ("Dyslexin gör läsningen svår", [("Dyslexin", HEALTH)]),
        ("Hon har ångest inför prov", [("ångest", HEALTH)]),
        ("Han tar medicin", [("medicin", HEALTH)]),
        ("besök hos skolsköterskan", [("skolsköterskan", HEALTH)]),
        ("remiss till BUP", [("BUP", HEALTH)]),
        ("Han har ADD", [("ADD", HEALTH)]),
        ("Vilken idiot", [("idiot", OFFENSIVE)]),
        ("ett efterblivet svar", [("efterblivet", OFFENSIVE)]),
    ],
)
def test_inflected_forms_and_phrases_are_found(text: str, expected: list[tuple[str, str]]) -> None:
    # Given a Swedish sentence with a lexicon word in one of its forms
    # When it is checked
    # Then the word is found in the form written, with its category
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Vi läser latin och mäter platta ytor",
        "Relationen mellan bråk och decimaltal",
        "Hon är platt och lathunden finns i pärmen",
        "Vi kallar det en kall front",
        "Vi ska inte dumpa sopor i naturen",
        "Han arbetade med sin skolkamrat",
        "För närvarande arbetar vi med geometri",
        "Eleven gör inget fel i uträkningen",
        "Det vore dumt att hoppa över repetitionen",
        "Diagnosen i matematik visar att eleven kan räkna med bråk",
        "Vi läser om den stora depressionen på 1930-talet",
        "Sjukdomar och hur de sprids, enligt det centrala innehållet",
        "efter ledigheten börjar vi med algebra",
        "Lägg till (add) en rad i kalkylbladet",
        "Eleven bryr sig, inte minst, om detaljerna",
        "Eleven resonerar utförligt och drar välgrundade slutsatser",
    ],
)
def test_ordinary_words_are_not_flagged(text: str) -> None:
    # Given text with words that contain or resemble lexicon words
    # When it is checked
    # Then nothing is found: only whole words match, and the lexicon avoids everyday senses
    assert found(text) == []


def test_offsets_point_into_the_field_text() -> None:
    # Given a text with two findings
    text = "Eleven är lat och slarvig.\nHan skolkade."
    # When it is checked
    findings = SHIPPED_MATCHER.find("summary", text)
    # Then each finding carries exact character offsets, the words and a suggestion
    assert findings == [
        Finding("summary", 10, 13, "lat", VALUE_JUDGEMENT, SUGGEST_VALUE),
        Finding("summary", 18, 25, "slarvig", VALUE_JUDGEMENT, SUGGEST_VALUE),
        Finding("summary", 31, 39, "skolkade", ATTENDANCE, SUGGEST_ATTENDANCE),
    ]
    assert [text[f.start : f.end] for f in findings] == ["lat", "slarvig", "skolkade"]


def test_matching_ignores_case_and_unicode_normalisation() -> None:
    # Given upper case, and a decomposed "å" (a + combining ring, as macOS may type it)
    decomposed = unicodedata.normalize("NFD", "Hög frånvaro")
    assert len(decomposed) > len("Hög frånvaro")
    # When checked
    upper = SHIPPED_MATCHER.find("f", "ELEVEN ÄR LAT")
    nfd = SHIPPED_MATCHER.find("f", decomposed)
    # Then both are found, with offsets into the text exactly as sent
    assert [(f.start, f.end, f.text) for f in upper] == [(10, 13, "LAT")]
    assert [f.text for f in nfd] == [decomposed[decomposed.index("fr") :]]
    assert nfd[0].end == len(decomposed)


def test_phrases_span_spaces_line_breaks_and_hyphens_but_not_punctuation() -> None:
    assert found("bryr  sig\ninte") == [("bryr  sig\ninte", VALUE_JUDGEMENT)]
    assert found("ogiltig-frånvaro") == [("ogiltig-frånvaro", ATTENDANCE)]
    # "ogiltig. Frånvaro" is two sentences: only the attendance word itself is found
    assert found("ogiltig. Frånvaro") == [("Frånvaro", ATTENDANCE)]


def test_negation_is_not_interpreted() -> None:
    # Given a denied trait: still a statement about a personal trait
    # Then it is flagged like the trait itself (documented in matcher.py and docs)
    assert found("Eleven är inte lat") == [("lat", VALUE_JUDGEMENT)]


def test_acronyms_that_are_words_match_their_case_only() -> None:
    assert found("Han har ADD") == [("ADD", HEALTH)]
    assert found("add a line") == []


def test_dyslexia_suggests_describing_the_support() -> None:
    (finding,) = SHIPPED_MATCHER.find("f", "Eleven har dyslexi")
    assert finding.suggestion == SUGGEST_DIAGNOSIS
    assert "stöd" in finding.suggestion
    assert "elevhälsans journal" in finding.suggestion


def test_every_shipped_form_finds_its_own_entry() -> None:
    # Given every form of every shipped entry (a prefix form with an ending added)
    mismatched = []
    for entry in SHIPPED:
        for form in entry.forms:
            text = form[:-1] + "en" if form.endswith("*") else form
            # When the form alone is checked
            findings = SHIPPED_MATCHER.find("f", text)
            # Then it is one finding over the whole text, of the entry's category and advice
            expected = [Finding("f", 0, len(text), text, entry.category, entry.suggestion)]
            if findings != expected:
                mismatched.append((entry.lemma, form, findings))
    assert mismatched == []


def test_the_shipped_lexicon_covers_every_category() -> None:
    categories = {entry.category for entry in SHIPPED}
    assert categories == {VALUE_JUDGEMENT, OFFENSIVE, ATTENDANCE, HEALTH}
    assert all(entry.suggestion for entry in SHIPPED)
    assert len({entry.lemma.casefold() for entry in SHIPPED}) == len(SHIPPED)


@pytest.mark.parametrize(
    ("lemma", "options", "forms"),
    [
        ("lat", {}, ("lat", "lata", "latare", "latast", "lataste")),
        (
            "slarvig",
            {},
            ("slarvig", "slarvigt", "slarviga", "slarvigare", "slarvigast", "slarvigaste"),
        ),
        ("dum", {"double": True}, ("dum", "dumt", "dumma", "dummare", "dummast", "dummaste")),
        ("omogen", {}, ("omogen", "omoget", "omogna", "omognare", "omognast", "omognaste")),
        ("korkad", {}, ("korkad", "korkat", "korkade")),
        (
            "oförskämd",
            {},
            (
                "oförskämd",
                "oförskämt",
                "oförskämda",
                "oförskämdare",
                "oförskämdast",
                "oförskämdaste",
            ),
        ),
        ("slö", {"neuter": "slött"}, ("slö", "slött", "slöa", "slöare", "slöast", "slöaste")),
    ],
)
def test_adjectives_are_inflected(lemma: str, options: dict, forms: tuple[str, ...]) -> None:  # type: ignore[type-arg]
    assert adjective(lemma, **options) == forms


def test_first_conjugation_verbs_are_inflected() -> None:
    assert verb_a("skolk") == ("skolka", "skolkar", "skolkade", "skolkat", "skolkande")


def test_later_rules_win_a_shared_form() -> None:
    # Given a municipality's rule for a form the shipped lexicon has too
    shipped = Rule("lat", VALUE_JUDGEMENT, "a", ("lat",))
    own = Rule("lat2", OFFENSIVE, "b", ("lat",))
    # Then the later rule (the municipality's, compiled last) decides
    assert Matcher([shipped, own]).find("f", "lat")[0].category == OFFENSIVE


def test_the_fast_path_finds_what_the_word_by_word_path_finds() -> None:
    # Given varied texts: findings, phrases, prefixes, near misses, exact-case acronyms
    from tests.documentation.textguard.test_performance import TEXT

    texts = [
        TEXT,
        "Han bryr sig inte om läxorna. Hon har inget intresse för ämnet; bryr sig, inte.",
        "ADD add Add latin lata LATARE frånvaroanmälan skolkamrat skolkade för närvarande",
        "ogiltig-frånvaro ogiltig. frånvaro kom  för\nsent har diagnosen ADHD-utredning",
        "_lat 8lat lat_ lat8 Hon är sjukanmäld och var sjuk.",
    ]
    for text in texts:
        # When both paths check it
        fast = SHIPPED_MATCHER.find("f", text)
        word_by_word = SHIPPED_MATCHER._find_word_by_word("f", text)
        # Then they agree exactly
        assert fast == word_by_word, text
