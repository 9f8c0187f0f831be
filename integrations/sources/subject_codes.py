"""Finding a Skolverket subject or course code in an activity's name.

Edlevo (and some other registers) send activities without a syllabus reference and put the code
in ``displayName`` instead ("Namn: Ämneskod eller kurskod"), sometimes alone ("GRGRMAT01"),
sometimes with a group or term around it ("7A GRGRMAT01", "MATMAT01a - Matematik 1a",
"NA21b_ENGENG05_HT24").

The heuristic: the first token, delimited by anything but a letter or digit, made of 5 to 8
upper-case ASCII letters, two digits, and an optional letter + optional digit. That matches the
compulsory-school subject codes (school form + school form + subject + number: GRGRMAT01,
GRGRSVA01) and upper-secondary course codes (subject + course + number + variant:
MATMAT01a, ENGENG05, HISHIS01a1), and not class names ("7A"), short subject designations ("MA",
which are ambiguous across curricula) or ordinary words. A lower-case code ("grgrmat01") is not
recognised: registers write them upper-case, and accepting lower case would catch words. When no
token matches, the activity simply has no subject code and the pipeline reports it.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{5,8}[0-9]{2}(?:[A-Za-z][0-9]?)?)(?![A-Za-z0-9])")


def subject_code_from_name(display_name: str) -> str:
    """The first subject/course code in ``display_name``, or "" if there is none."""
    match = _CODE.search(display_name)
    return match[1] if match else ""
