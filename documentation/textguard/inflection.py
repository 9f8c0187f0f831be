"""Swedish inflection for the lexicon: regular forms generated, irregular ones passed by hand.

Only what the guard needs to recognise a word in running text: adjectives (n-form, t-form,
a-form, comparative, superlative), first-conjugation verbs (-a, -ar, -ade, -at, -ande) and noun
forms listed by hand (Swedish noun declensions are too irregular to guess safely).
"""

from __future__ import annotations

_VOWELS = frozenset("aeiouyåäö")


def adjective(
    lemma: str,
    *,
    neuter: str | None = None,
    plural: str | None = None,
    stem: str | None = None,
    compare: bool | None = None,
    double: bool = False,
) -> tuple[str, ...]:
    """The forms of a Swedish adjective: ``lat`` → lat, lata, latare, latast, lataste.

    Rules: past-participle adjectives in -ad (korkad → korkat, korkade; compared with "mer",
    so no -are forms); -en (omogen → omoget, omogna, omognare); consonant + d (oförskämd →
    oförskämt); -t (lat → lat as t-form); otherwise +t, +a. ``double`` doubles a final
    consonant after a short vowel (dum → dumt, dumma, dummare). Pass ``neuter``, ``plural`` or
    ``stem`` (the base of the comparative) for anything irregular.
    """
    word = lemma.lower()
    if word.endswith("ad"):
        default_neuter, default_plural, default_stem = word[:-1] + "t", word + "e", word
        compare = False if compare is None else compare
    elif word.endswith("en") and len(word) > 3:
        default_neuter, default_plural = word[:-1] + "t", word[:-2] + "na"
        default_stem = word[:-2] + "n"
    elif word.endswith("d") and word[-2] not in _VOWELS:
        default_neuter, default_plural, default_stem = word[:-1] + "t", word + "a", word
    elif word.endswith("t"):
        default_neuter, default_plural, default_stem = word, word + "a", word
    elif double:
        default_stem = word + word[-1]
        default_neuter, default_plural = word + "t", default_stem + "a"
    else:
        default_neuter, default_plural, default_stem = word + "t", word + "a", word
    base = stem or default_stem
    forms = [word, neuter or default_neuter, plural or default_plural]
    if compare is None or compare:
        forms += [base + "are", base + "ast", base + "aste"]
    return unique(forms)


def verb_a(stem: str) -> tuple[str, ...]:
    """A first-conjugation verb from its stem: ``skolk`` → skolka, skolkar, skolkade, skolkat,
    skolkande."""
    return tuple(stem + ending for ending in ("a", "ar", "ade", "at", "ande"))


def unique(forms: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Forms in their first order, each once (compared case-insensitively)."""
    seen: set[str] = set()
    kept: list[str] = []
    for form in forms:
        key = form.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(form)
    return tuple(kept)


INFLECTIONS = {"adjective": adjective, "verb_a": verb_a}
