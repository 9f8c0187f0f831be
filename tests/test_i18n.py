"""Swedish first, English second: the catalogue is complete and the pages answer in the right one.

The catalogue is platform/locale/sv/LC_MESSAGES/django.po (source strings are English). Set-up
compiles it with deploy/compilemessages.py (`make messages`, run by `make test` and `make demo`);
this module compiles it too, so that running only pytest still tests the real translations.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.signals import setting_changed
from django.test import Client
from django.utils import translation

from deploy import compilemessages
from tests.conftest import TENANT_A

REPO_ROOT = Path(__file__).resolve().parents[1]
SWEDISH_PO = REPO_ROOT / "platform" / "locale" / "sv" / "LC_MESSAGES" / "django.po"

# printf-style (%(name)s, %s, %d; not %%) and str.format-style ({name}, {0}; not {{ or }}).
PRINTF_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE_PLACEHOLDER = re.compile(r"(?<!\{)\{[A-Za-z0-9_.\[\]]*(?:![rsa])?(?::[^{}]*)?\}(?!\})")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogue() -> None:
    """Compiles the .po files (idempotent) and makes Django reload its catalogues.

    Translations are cached per process: a test that ran before the .mo existed would otherwise
    leave Swedish without its strings for the rest of the session.
    """
    compilemessages.main()
    setting_changed.send(
        sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )


@pytest.fixture(autouse=True)
def _no_language_left_active() -> Iterator[None]:
    """Each test starts, and leaves the thread, with no language activated (as a new server
    thread has it): the language a request activates stays active on its thread afterwards."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(SWEDISH_PO))


def _placeholders(text: str) -> Counter[str]:
    return Counter(PRINTF_PLACEHOLDER.findall(text) + BRACE_PLACEHOLDER.findall(text))


def _pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs: Swedish form 0 is the singular, form 1 the plural."""
    if not entry.msgid_plural:
        return [(entry.msgid, entry.msgstr)]
    return [
        (entry.msgid if index == 0 else entry.msgid_plural, text)
        for index, text in sorted(entry.msgstr_plural.items())
    ]


# --- The catalogue --------------------------------------------------------------------------


def test_the_swedish_catalogue_has_a_proper_header(catalogue: polib.POFile) -> None:
    # Given the Swedish catalogue
    # When its header is read
    metadata = catalogue.metadata
    # Then it declares Swedish, UTF-8 and Swedish plural forms, and is not fuzzy
    assert metadata["Language"] == "sv"
    assert "charset=UTF-8" in metadata["Content-Type"]
    assert metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert not catalogue.metadata_is_fuzzy


def test_every_message_is_translated_and_none_is_fuzzy(catalogue: polib.POFile) -> None:
    # Given the Swedish catalogue, as makemessages left it and a translator filled it in
    entries = [entry for entry in catalogue if not entry.obsolete]
    assert entries, "the catalogue is empty: run makemessages -l sv"
    # When its entries are checked
    untranslated = [entry.msgid for entry in entries if not entry.translated()]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    empty_plural_forms = [
        entry.msgid
        for entry in entries
        if entry.msgid_plural
        and (len(entry.msgstr_plural) != 2 or not all(entry.msgstr_plural.values()))
    ]
    # Then every one has its Swedish text (both forms for plurals) and none awaits review
    assert untranslated == []
    assert fuzzy == []
    assert empty_plural_forms == []


def test_gettexts_own_parser_reads_the_catalogue() -> None:
    # polib reads more leniently than gettext: a stray "#| msgid_plural" line once made
    # makemessages (msgmerge) fail while every test here passed.
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("gettext's msgfmt is not installed (makemessages needs it, tests do not)")
    # When msgfmt checks the Swedish catalogue
    checked = subprocess.run(
        [msgfmt, "--check", "-o", os.devnull, str(SWEDISH_PO)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    # Then it finds no error
    assert (checked.returncode, checked.stderr) == (0, "")


def test_translations_keep_the_placeholders_of_their_source(catalogue: polib.POFile) -> None:
    # Given every source text and its Swedish translation (each plural form on its own)
    pairs = [pair for entry in catalogue if not entry.obsolete for pair in _pairs(entry)]
    # When their placeholders are compared
    mismatched = [
        (source, text) for source, text in pairs if _placeholders(source) != _placeholders(text)
    ]
    # Then each translation has exactly the placeholders of its source, no more, no fewer
    assert mismatched == []


def test_translations_keep_the_markup_of_their_source(catalogue: polib.POFile) -> None:
    # Given every source text and its Swedish translation
    pairs = [pair for entry in catalogue if not entry.obsolete for pair in _pairs(entry)]
    # When their HTML tags are compared
    mismatched = [
        (source, text)
        for source, text in pairs
        if Counter(HTML_TAG.findall(source)) != Counter(HTML_TAG.findall(text))
    ]
    # Then the translation keeps the same tags (a lost <code> or a new tag would change the page)
    assert mismatched == []


def test_the_placeholder_check_catches_a_broken_translation() -> None:
    # Given a translation that renamed one placeholder and dropped another
    source = "%(name)s was onboarded; the invitation was e-mailed to %(email)s."
    broken = "%(namn)s är ansluten; inbjudan skickades."
    # Then the check tells them apart, and ignores a literal %% and escaped braces
    assert _placeholders(source) != _placeholders(broken)
    assert _placeholders("100%% {{ literal }} %(n)d {0}") == Counter({"%(n)d": 1, "{0}": 1})


def test_the_compiled_catalogue_translates_at_runtime() -> None:
    # Given the compiled catalogue
    # When a marked string is looked up in each language
    with translation.override("sv"):
        swedish = translation.gettext("Wrong user name or password.")
    with translation.override("en"):
        english = translation.gettext("Wrong user name or password.")
    # Then Swedish comes from the catalogue and English is the source text
    assert swedish == "Fel användarnamn eller lösenord."
    assert english == "Wrong user name or password."


# --- Over HTTP ------------------------------------------------------------------------------


def test_the_sign_in_page_answers_in_swedish_by_default(db: None) -> None:
    # Given a browser that states no language preference
    client = Client(HTTP_HOST=TENANT_A.domain)
    # When it opens a municipality's sign-in page
    response = client.get("/login/")
    # Then the page is in Swedish and says so
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "sv"
    assert '<html lang="sv">' in page
    assert "Logga in" in page
    assert "Användarnamn" in page
    assert "Sign in" not in page


def test_the_sign_in_page_answers_in_english_when_the_browser_asks(db: None) -> None:
    # Given a browser that prefers English
    client = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en")
    # When it opens the same sign-in page
    response = client.get("/login/")
    # Then the page is in English
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in page
    assert "Sign in" in page
    assert "User name" in page
    assert "Logga in" not in page


def test_a_language_the_platform_lacks_falls_back_to_swedish(db: None) -> None:
    # Given a browser that prefers a language Lärspår does not offer
    client = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="de")
    # When it opens the sign-in page
    response = client.get("/login/")
    # Then it gets Swedish, the platform's own language
    assert response["Content-Language"] == "sv"
    assert "Logga in" in response.content.decode()


def test_form_errors_are_translated_too(db: None) -> None:
    # Given a browser with no language preference
    client = Client(HTTP_HOST=TENANT_A.domain)
    # When a sign-in fails
    response = client.post("/login/", {"username": "nobody", "password": "wrong"})
    # Then the error is in Swedish
    assert "Fel användarnamn eller lösenord." in response.content.decode()


def test_the_unknown_host_page_is_swedish_by_default(db: None) -> None:
    # Given a browser with no language preference, at a host that is no municipality
    client = Client(HTTP_HOST="nowhere.larspar.test")
    # When it asks for a page
    response = client.get("/")
    # Then it gets the 404 page in Swedish
    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="sv">' in page
    assert "Ingen kommun på den här adressen" in page
    assert "nowhere.larspar.test" in page


# The unknown-host and suspended pages are rendered by tenants.middleware.MunicipalityMiddleware,
# which runs before LocaleMiddleware: no language is chosen for them, so they get whatever the
# server thread had active from its previous request. These two document the wanted behaviour.


def test_the_unknown_host_page_does_not_inherit_the_previous_requests_language(
    db: None,
) -> None:
    # Given a request in English just served on this thread
    english = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en").get("/login/")
    assert english["Content-Language"] == "en"
    # When a browser with no language preference then asks a host that is no municipality
    response = Client(HTTP_HOST="nowhere.larspar.test").get("/")
    # Then the 404 page is still in Swedish
    assert "Ingen kommun på den här adressen" in response.content.decode()


def test_the_unknown_host_page_answers_in_english_when_the_browser_asks(db: None) -> None:
    # Given a browser that prefers English, at a host that is no municipality
    client = Client(HTTP_HOST="nowhere.larspar.test", HTTP_ACCEPT_LANGUAGE="en")
    # When it asks for a page
    response = client.get("/")
    # Then the 404 page is in English
    assert "No municipality at this address" in response.content.decode()
