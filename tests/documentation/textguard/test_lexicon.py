"""A municipality's own lexicon: additions, replaced and disabled shipped words, each
municipality on its own, edited by its administrators over the API."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from core import request_cache
from documentation.textguard.lexicon_sv import SUGGEST_OFFENSIVE, SUGGEST_VALUE
from documentation.textguard.models import LexiconEntry
from documentation.textguard.selectors import lexicon_version_get
from documentation.textguard.services import (
    lexicon_entry_create,
    lexicon_entry_update,
    text_check,
)
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.textguard.conftest import lexicon_rows
from tests.factories import UserFactory

LEXICON = "/api/v1/text-guard/lexicon"


def check(schema: str, text: str) -> list[tuple[str, str]]:
    with schema_context(schema):
        return [(f.text, f.category) for f in text_check(texts={"f": text})]


def an_admin(schema: str) -> User:
    with schema_context(schema):
        admin: User = UserFactory(username="lexicon-admin", is_municipality_admin=True)
    return admin


def test_a_municipalitys_word_is_found_in_its_forms_there_only(
    tenant_a: Municipality, tenant_b: Municipality
) -> None:
    # Given A adds the adjective "tjatig" with its regular forms
    with schema_context(TENANT_A.slug):
        entry = lexicon_entry_create(
            lemma="tjatig",
            category="value_judgement",
            inflect="adjective",
            added_by=an_admin(TENANT_A.slug),
        )
    assert entry.forms == ["tjatig", "tjatigt", "tjatiga", "tjatigare", "tjatigast", "tjatigaste"]
    # When the same text is checked in A and in B
    text = "Hon är tjatigare än de andra"
    # Then A finds it, with the category's suggestion, and B does not
    assert check(TENANT_A.slug, text) == [("tjatigare", "value_judgement")]
    with schema_context(TENANT_A.slug):
        assert text_check(texts={"f": text})[0].suggestion == SUGGEST_VALUE
    assert check(TENANT_B.slug, text) == []


def test_a_municipality_switches_a_shipped_word_off_for_itself_only(
    tenant_a: Municipality, tenant_b: Municipality
) -> None:
    text = "Det var en jobbig dag för eleven"
    assert check(TENANT_A.slug, text) == [("jobbig", "value_judgement")]
    # Given A disables the shipped lemma "jobbig"
    with schema_context(TENANT_A.slug):
        entry = lexicon_entry_create(
            lemma="jobbig", enabled=False, added_by=an_admin(TENANT_A.slug)
        )
    # Then the row starts from the shipped entry, A no longer flags it, and B still does
    assert (entry.category, entry.enabled, "jobbiga" in entry.forms) == (
        "value_judgement",
        False,
        True,
    )
    assert check(TENANT_A.slug, text) == []
    assert check(TENANT_B.slug, text) == [("jobbig", "value_judgement")]


def test_a_municipality_replaces_a_shipped_entry(tenant_a: Municipality) -> None:
    # Given A changes the shipped "lat" to its own forms, category and suggestion
    with schema_context(TENANT_A.slug):
        lexicon_entry_create(
            lemma="lat",
            category="offensive",
            forms=["lat"],
            suggestion="Skriv om.",
            added_by=an_admin(TENANT_A.slug),
        )
        findings = text_check(texts={"f": "lat och lata"})
    # Then only its forms match, with its category and suggestion
    assert [(f.text, f.category, f.suggestion) for f in findings] == [
        ("lat", "offensive", "Skriv om.")
    ]


def test_an_edit_is_seen_at_once_even_inside_one_request(tenant_a: Municipality) -> None:
    # Given a request's memo (as the middleware starts one) that already compiled the matcher
    memo = request_cache.start()
    try:
        with schema_context(TENANT_A.slug):
            assert check(TENANT_A.slug, "han är snorkig") == []
            admin = an_admin(TENANT_A.slug)
            before = lexicon_version_get()
            # When a word is added, then switched off, in the same request
            entry = lexicon_entry_create(
                lemma="snorkig", category="value_judgement", added_by=admin
            )
            added = check(TENANT_A.slug, "han är snorkig")
            lexicon_entry_update(entry=entry, updated_by=admin, enabled=False)
            disabled = check(TENANT_A.slug, "han är snorkig")
            after = lexicon_version_get()
    finally:
        request_cache.end(memo)
    # Then each check saw the lexicon as it was, and the version moved twice
    assert added == [("snorkig", "value_judgement")]
    assert disabled == []
    assert after[0] == before[0] + 2
    assert after[1] != before[1]


def test_prefix_forms_and_phrases_can_be_added(tenant_a: Municipality) -> None:
    with schema_context(TENANT_A.slug):
        lexicon_entry_create(
            lemma="kuratorsbesök",
            category="health",
            forms=["kuratorsbesök*", "pratat med kuratorn"],
            added_by=an_admin(TENANT_A.slug),
        )
    assert check(TENANT_A.slug, "Kuratorsbesöken hjälper") == [("Kuratorsbesöken", "health")]
    assert check(TENANT_A.slug, "har pratat med kuratorn") == [("pratat med kuratorn", "health")]


# --- Over HTTP -------------------------------------------------------------------------------


def test_an_administrator_adds_lists_and_changes_words(admin_a: Client) -> None:
    # When A's administrator adds a word with its verb forms
    created = admin_a.post(
        LEXICON,
        {"lemma": "fuska", "category": "value_judgement", "inflect": "verb_a"},
        content_type="application/json",
    )
    # Then it is stored with its forms and who added it
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["forms"] == ["fuska", "fuskar", "fuskade", "fuskat", "fuskande"]
    assert (body["added_by"], body["enabled"], body["replaces_shipped"]) == ("admin-a", True, False)
    # When a shipped word is switched off and the list is read
    disabled = admin_a.post(
        LEXICON, {"lemma": "Jobbig", "enabled": False}, content_type="application/json"
    )
    listed = admin_a.get(LEXICON).json()
    # Then the list holds the municipality's rows, and the shipped entry names its replacement
    assert disabled.status_code == 201
    assert [e["lemma"] for e in listed["entries"]] == ["fuska", "Jobbig"]
    shipped = {e["lemma"]: e for e in listed["shipped"]}
    assert shipped["jobbig"]["overridden_by"] == disabled.json()["id"]
    assert shipped["lat"]["overridden_by"] is None
    assert listed["version"] == 2
    # When the first entry is changed to offensive with one more form
    changed = admin_a.patch(
        f"{LEXICON}/{body['id']}",
        {"category": "offensive", "forms": ["fuska", "fuskare"]},
        content_type="application/json",
    )
    # Then it is changed, and checks use it at once
    assert changed.status_code == 200
    assert (changed.json()["category"], changed.json()["forms"]) == (
        "offensive",
        ["fuska", "fuskare"],
    )
    findings = check(TENANT_A.slug, "en fuskare")
    assert findings == [("fuskare", "offensive")]
    with schema_context(TENANT_A.slug):
        assert text_check(texts={"f": "fuskare"})[0].suggestion == SUGGEST_OFFENSIVE


def test_bad_lexicon_input_is_refused(admin_a: Client) -> None:
    admin_a.post(
        LEXICON, {"lemma": "tjatig", "category": "value_judgement"}, content_type="application/json"
    )
    before = lexicon_rows(TENANT_A.slug)
    answers = [
        # the same word again (case-insensitively)
        admin_a.post(
            LEXICON, {"lemma": "Tjatig", "category": "health"}, content_type="application/json"
        ),
        # a new word without a category
        admin_a.post(LEXICON, {"lemma": "snorkig"}, content_type="application/json"),
        # a prefix form too short to be safe, and punctuation in a form
        admin_a.post(
            LEXICON,
            {"lemma": "la", "category": "health", "forms": ["la*"]},
            content_type="application/json",
        ),
        admin_a.post(
            LEXICON,
            {"lemma": "x", "category": "health", "forms": ["a.b"]},
            content_type="application/json",
        ),
        admin_a.post(
            LEXICON, {"lemma": "lat*", "category": "health"}, content_type="application/json"
        ),
        admin_a.post(
            LEXICON, {"lemma": "x", "category": "nonsense"}, content_type="application/json"
        ),
    ]
    assert [a.status_code for a in answers] == [400] * 6
    assert "lemma" in answers[0].json()
    assert "category" in answers[1].json()
    assert "forms" in answers[2].json()
    assert lexicon_rows(TENANT_A.slug) == before


def test_a_teacher_may_not_edit_the_lexicon(tenant_a: Municipality, teacher_a: Client) -> None:
    with schema_context(TENANT_A.slug):
        entry = lexicon_entry_create(
            lemma="tjatig", category="value_judgement", added_by=an_admin(TENANT_A.slug)
        )
    before = lexicon_rows(TENANT_A.slug)
    answers = [
        teacher_a.get(LEXICON),
        teacher_a.post(
            LEXICON,
            {"lemma": "snorkig", "category": "value_judgement"},
            content_type="application/json",
        ),
        teacher_a.patch(
            f"{LEXICON}/{entry.pk}", {"enabled": False}, content_type="application/json"
        ),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert lexicon_rows(TENANT_A.slug) == before


def test_an_administrator_without_the_second_factor_is_refused(tenant_a: Municipality) -> None:
    from tests.accounts.support import make_user, sign_in

    make_user(TENANT_A.slug, username="unverified", is_municipality_admin=True)
    client = Client(HTTP_HOST=TENANT_A.domain)
    assert sign_in(client, "unverified").status_code == 302
    response = client.get(LEXICON)
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"


def test_an_administrator_of_a_cannot_edit_bs_lexicon(
    tenant_a: Municipality, admin_a: Client, client_b: Client
) -> None:
    # Given a word of B, and A's administrator's session cookie used on B's host
    with schema_context(TENANT_B.slug):
        entry = lexicon_entry_create(
            lemma="tjatig", category="value_judgement", added_by=an_admin(TENANT_B.slug)
        )
    before_a, before_b = lexicon_rows(TENANT_A.slug), lexicon_rows(TENANT_B.slug)
    client_b.cookies = admin_a.cookies
    # When it reads, adds and changes
    answers = [
        client_b.get(LEXICON),
        client_b.post(
            LEXICON,
            {"lemma": "snorkig", "category": "value_judgement"},
            content_type="application/json",
        ),
        client_b.patch(
            f"{LEXICON}/{entry.pk}", {"enabled": False}, content_type="application/json"
        ),
    ]
    # Then B knows no such session, and neither lexicon changed
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert (lexicon_rows(TENANT_A.slug), lexicon_rows(TENANT_B.slug)) == (before_a, before_b)


def test_an_entry_id_of_b_is_not_found_at_a(
    tenant_a: Municipality, tenant_b: Municipality, admin_a: Client
) -> None:
    with schema_context(TENANT_B.slug):
        entry = lexicon_entry_create(
            lemma="tjatig", category="value_judgement", added_by=an_admin(TENANT_B.slug)
        )
    before = lexicon_rows(TENANT_B.slug)
    response = admin_a.patch(
        f"{LEXICON}/{entry.pk}", {"enabled": False}, content_type="application/json"
    )
    assert response.status_code == 404
    assert lexicon_rows(TENANT_B.slug) == before
    assert check(TENANT_B.slug, "tjatig") == [("tjatig", "value_judgement")]
    with schema_context(TENANT_A.slug):
        assert not LexiconEntry.objects.exists()
