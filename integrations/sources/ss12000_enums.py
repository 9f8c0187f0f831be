"""The value sets of SS 12000:2020 (implementation spec 2.1.0) that the sources check.

An unknown value is reported as a warning and passed on as sent (the record types keep
enumerations as the register sent them); the pipeline decides what an unknown value means.
"""

from __future__ import annotations

ORGANISATION_TYPES = frozenset(
    {
        "Huvudman",
        "Verksamhetsområde",
        "Förvaltning",
        "Rektorsområde",
        "Skola",
        "Skolenhet",
        "Varumärke",
        "Bolag",
        "Övrigt",
        "Stadsdel",  # deprecated in 2.1 but still valid
    }
)
SCHOOL_TYPES = frozenset(
    {
        "FS",
        "FKLASS",
        "FTH",
        "OPPFTH",
        "GR",
        "GRS",
        "TR",
        "SP",
        "SAM",
        "GY",
        "GYS",
        "VUX",
        "VUXSFI",
        "VUXGR",
        "VUXGY",
        "VUXSARGR",
        "VUXSARTR",
        "VUXSARGY",
        "SFI",
        "SARVUX",
        "SARVUXGR",
        "SARVUXGY",
        "KU",
        "YH",
        "FHS",
        "STF",
        "KKU",
        "HS",
        "ABU",
        "AU",
    }
)
SECURITY_MARKINGS = frozenset({"Ingen", "Sekretessmarkering", "Skyddad folkbokföring"})
PERSON_STATUSES = frozenset({"Aktiv", "Utvandrad", "Avliden"})
EMAIL_TYPES = frozenset({"Privat", "Skola elev", "Skola personal", "Arbete övrigt"})
RELATION_TYPES = frozenset({"Vårdnadshavare", "Annan ansvarig", "God man", "Utsedd behörig"})
GROUP_TYPES = frozenset(
    {
        "Undervisning",
        "Klass",
        "Mentor",
        "Provgrupp",
        "Schema",
        "Avdelning",
        "Personalgrupp",
        "Övrigt",
    }
)
DUTY_ROLES = frozenset(
    {
        "Rektor",
        "Lärare",
        "Förskollärare",
        "Barnskötare",
        "Bibliotekarie",
        "Lärarassistent",
        "Fritidspedagog",
        "Annan personal",
        "Studie- och yrkesvägledare",
        "Förstelärare",
        "Kurator",
        "Skolsköterska",
        "Skolläkare",
        "Skolpsykolog",
        "Speciallärare/specialpedagog",
        "Skoladministratör",
        "Övrig arbetsledning",
        "Övrig pedagogisk personal",
        "Förskolechef",
    }
)
ASSIGNMENT_ROLE_TYPES = frozenset(
    {
        "Mentor",
        "Förskollärare",
        "Barnskötare",
        "Fritidspedagog",
        "Specialpedagog",
        "Elevhälsopersonal",
        "Pedagogisk ledare",
        "Schemaläggare",
        "Lärarassistent",
        "Administrativ personal",
    }
)
ACTIVITY_TYPES = frozenset(
    {"Undervisning", "Elevaktivitet", "Provaktivitet", "Läraraktivitet", "Övrigt"}
)

# Catch-all values used when a required enumeration is missing. Only where the standard itself
# has a catch-all: a guessed relation or assignment type could grant access nobody decided on.
DEFAULT_GROUP_TYPE = "Övrigt"
DEFAULT_DUTY_ROLE = "Annan personal"  # also Edlevo's value for unmapped position codes
