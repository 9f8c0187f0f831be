"""The matrix editor and the lärlogg in a real browser: a teacher builds and publishes a matrix
with the keyboard only; a teacher writes a lärlogg note, sees the text guard's finding as she
types, keeps the wording and saves; the guardian then reads the note. axe-core on each page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from documentation.assessments.models import AssessmentMatrix, MatrixLevel, MatrixRow
from documentation.plans.models import FormativeEntry
from tests.browser import test_phone
from tests.browser.conftest import Live
from tests.browser.seed import SLUG
from tests.browser.support import checked, path_of, visit

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker

MATRIX_TITLE = "Muntlig framställning"
ROWS = ("Struktur", "Språk och ordval", "Kontakt med publiken")
# A value judgement the shipped lexicon finds ("lat"), in a note of its own.
NOTE = "Alva var lat under lektionerna i dag, men läste ändå två kapitel."


def press(page: Page, selector: str, key: str = "Enter") -> None:
    """Moves the keyboard focus to ``selector`` and presses ``key`` (no mouse)."""
    page.locator(selector).focus()
    page.keyboard.press(key)


def test_a_teacher_builds_a_matrix_with_three_rows_by_keyboard_and_publishes_it(
    live: Live, open_page: Callable[..., Page]
) -> None:
    page = open_page("teacher")
    # Given the matrix list (axe) and the editor of a new matrix (axe)
    visit(page, live.url("/matrices/"))
    expect(page.locator("h1")).to_have_text("Bedömningsmatriser")
    visit(page, live.url("/matrices/new/"))
    # When the teacher types the title and the first row, then adds two rows with the keyboard
    page.locator("#title").focus()
    page.keyboard.type(MATRIX_TITLE)
    page.locator("#rows-0-aspect").focus()
    page.keyboard.type(ROWS[0])
    for number, aspect in enumerate(ROWS[1:], start=1):
        press(page, "#add-row")
        # Then the new row's input has the focus: typing goes straight into it
        expect(page.locator(f"#rows-{number}-aspect")).to_be_focused()
        page.keyboard.type(aspect)
    expect(page.locator("#page-status")).to_have_text("Rad 3 tillagd.")
    page.locator("#rows-2-descriptions-2").focus()
    page.keyboard.type("Fångar publikens intresse hela tiden.")
    checked(page)
    # When the teacher publishes it (Enter on the button)
    with page.expect_navigation():
        press(page, "#publish")
    # Then the matrix is published with its three rows and E/C/A, and shown read-only
    with schema_context(SLUG):
        matrix = AssessmentMatrix.objects.get(title=MATRIX_TITLE)
        rows = list(MatrixRow.objects.filter(matrix=matrix).values_list("aspect", flat=True))
        levels = list(MatrixLevel.objects.filter(matrix=matrix).values_list("label", flat=True))
    assert matrix.published_at is not None
    assert (rows, levels) == (list(ROWS), ["E", "C", "A"])
    assert path_of(page) == f"/matrices/{matrix.pk}/"
    expect(page.locator("h1")).to_have_text(MATRIX_TITLE)
    expect(page.locator("main")).to_contain_text("Publicerad: matrisen kan nu användas")
    expect(page.locator("tbody tr")).to_have_count(3)
    checked(page, "teacher-matrix")


def test_a_learning_log_note_with_a_finding_is_kept_on_purpose_and_the_guardian_reads_it(
    live: Live, open_page: Callable[..., Page]
) -> None:
    page = open_page("teacher")
    log_path = f"/pupils/{live.world.pupils['p5a_1']}/learning-log/"
    # Given Alva's learning log (axe)
    visit(page, live.url(log_path))
    # When the teacher writes a note with a value judgement
    page.locator("#id_text").focus()
    page.keyboard.type(NOTE)
    # Then the finding appears next to the text while she writes, with the box to keep it
    expect(page.locator("#findings-text mark")).to_have_text("lat")
    expect(page.locator("#acknowledge")).to_be_visible()
    checked(page)
    # When she shares it with the family, ticks the box and saves, with the keyboard only
    press(page, "#id_visibility_1", "Space")
    expect(page.locator("#id_visibility_1")).to_be_checked()
    press(page, "#acknowledge", "Space")
    with page.expect_navigation():
        press(page, "#entry-form button[type=submit]")
    # Then the note is saved, shared and published, and listed
    with schema_context(SLUG):
        entry = FormativeEntry.objects.get(text=NOTE)
    assert (entry.visibility, entry.published_at is not None) == ("pupil_guardians", True)
    assert path_of(page) == log_path
    expect(page.locator("main .messages")).to_contain_text("Sparat i lärloggen.")
    expect(page.locator("main")).to_contain_text(NOTE)
    checked(page)

    # When the guardian opens her child's page
    guardian = open_page("guardian")
    visit(guardian, live.url(f"/children/{live.world.pupils['p5a_1']}/"))
    # Then the note is there, and on the learning log page (read only, axe)
    expect(guardian.locator("#learning-log-heading")).to_have_text("Lärlogg")
    expect(guardian.locator("main")).to_contain_text(NOTE)
    visit(guardian, live.url(log_path))
    expect(guardian.locator("main")).to_contain_text(NOTE)
    expect(guardian.locator("#id_text")).to_have_count(0)


@pytest.mark.parametrize(
    ("role", "page_name", "path"),
    [
        ("teacher", "matrices", "/matrices/"),
        ("teacher", "matrix-editor", "/matrices/new/"),
        ("teacher", "learning-log", "/pupils/{p5a_1}/learning-log/"),
        ("guardian", "learning-log", "/pupils/{p5a_1}/learning-log/"),
    ],
)
def test_the_pages_fit_a_phone_screen(
    live: Live, open_page: Callable[..., Page], role: str, page_name: str, path: str
) -> None:
    # The check of tests/browser/test_phone.py (no sideways scrolling at 375 px), on these pages
    test_phone.test_pages_fit_a_phone_screen(live, open_page, role, page_name, path)
