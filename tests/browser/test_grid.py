"""The whole-class assessment grid in a real browser: a teacher assesses a class of 25 on one
matrix row with the keyboard alone, one key press per pupil, every choice saved as it is made;
a colleague's change made behind the page's back is a conflict the page shows and never
overwrites; axe-core finds nothing serious on the grid, its conflict notice or the pages that
lead to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from access.policy import actor_for
from accounts.models import User
from documentation.assessments.models import AssessmentMatrix, MatrixLevel, MatrixRow
from documentation.assessments.selectors import grid_read
from documentation.assessments.services.grid import CellInput, grid_save
from register.models import Group, Person
from tests.browser.conftest import Live
from tests.browser.seed import SLUG
from tests.browser.seed_grid import (
    GRID_CLASS,
    GRID_COLLEAGUE,
    GRID_LEVELS,
    GRID_MATRIX,
    GRID_PUPILS,
    GRID_ROWS,
    GRID_TEACHER,
)
from tests.browser.support import checked, click_through, submit_code, submit_sign_in, visit

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.worker


def _ids() -> tuple[int, int, list[int], dict[str, int]]:
    """(group, matrix, row ids in order, level ids by label) of the seeded class grid."""
    with schema_context(SLUG):
        group = Group.objects.get(display_name=GRID_CLASS).pk
        matrix = AssessmentMatrix.objects.get(title=GRID_MATRIX).pk
        rows = list(
            MatrixRow.objects.filter(matrix_id=matrix)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        levels = dict(MatrixLevel.objects.filter(matrix_id=matrix).values_list("label", "pk"))
    return group, matrix, rows, levels


def _stored(row_id: int) -> dict[int, tuple[int | None, int, str]]:
    """pupil -> (level, version, author) on one row, read through the grid's selector."""
    with schema_context(SLUG):
        teacher = User.objects.get(username=GRID_TEACHER)
        matrix = AssessmentMatrix.objects.get(title=GRID_MATRIX)
        group = Group.objects.get(display_name=GRID_CLASS)
        grid = grid_read(actor=actor_for(teacher), matrix=matrix, group=group)
    return {
        c["pupil_id"]: (c["level_id"], c["version"], c["author__username"])
        for c in grid.cells
        if c["row_id"] == row_id
    }


@pytest.fixture
def teacher_page(live: Live) -> Iterator[Page]:
    """The class's teacher, signed in with the second factor, on a desktop browser."""
    with schema_context(SLUG):
        key = TOTPDevice.objects.get(user__username=GRID_TEACHER).key
    context: BrowserContext = live.new_context()
    page = context.new_page()
    page.goto(live.url("/login/"))
    submit_sign_in(page, GRID_TEACHER)
    page.goto(live.url("/account/two-factor/verify/?next=/"))
    submit_code(page, live.clock.fresh_code(key))
    assert page.url == live.url("/"), page.url
    yield page
    context.close()


def test_a_teacher_assesses_a_class_of_25_with_one_key_press_per_pupil(
    live: Live, teacher_page: Page
) -> None:
    page = teacher_page
    group_id, matrix_id, rows, levels = _ids()
    grid_path = f"/groups/{group_id}/grid/{matrix_id}/"
    # Given the assessment page and the class's page, each linking to the grid
    visit(page, live.url("/grids/"), shot="teacher-grids")
    expect(page.locator(f'main a[href="{grid_path}"]')).to_have_count(1)
    visit(page, live.url(f"/groups/{group_id}/"))
    link = page.locator(f'main a[href="{grid_path}"]')
    expect(link).to_contain_text(GRID_MATRIX)
    # When the teacher opens the grid
    click_through(page, link)
    checked(page, shot="teacher-grid")
    table_rows = page.locator("#grid tbody tr")
    pupils = table_rows.count()
    assert pupils == len(GRID_PUPILS) == 25
    pupil_ids = [
        int(pid)
        for pid in table_rows.locator("th").evaluate_all("ths => ths.map(t => t.id.slice(1))")
    ]
    expect(page.locator(".grid-help-js")).to_be_visible()  # the script has taken over
    # And puts the focus on the first pupil's cell of the first matrix row
    first = page.locator(f'td[data-pupil="{pupil_ids[0]}"][data-row="{rows[0]}"] input:checked')
    first.focus()
    # And assesses the whole class on that row with the keyboard alone: E, C, A, E, C, ...
    keys = [str(1 + n % len(GRID_LEVELS)) for n in range(pupils)]
    actions = 0
    for key in keys:
        page.keyboard.press(key)
        actions += 1
    # Then it took exactly one action per pupil
    assert actions == pupils
    # And every choice is saved, the status region saying so
    expect(page.locator("td[data-state=pending], td[data-state=error]")).to_have_count(0)
    expect(page.locator(f'td[data-row="{rows[0]}"][data-state="saved"]')).to_have_count(pupils)
    expect(page.locator("#grid-status")).to_contain_text("Sparat")
    expected = {pid: levels[GRID_LEVELS[n % len(GRID_LEVELS)]] for n, pid in enumerate(pupil_ids)}
    # And after a reload the page shows every value
    page.reload()
    for pid, level in expected.items():
        cell = page.locator(f'td[data-pupil="{pid}"][data-row="{rows[0]}"] input:checked')
        expect(cell).to_have_value(str(level))
    # And the grid's selector reads them from the database, once each, by the teacher
    assert _stored(rows[0]) == {pid: (level, 1, GRID_TEACHER) for pid, level in expected.items()}


def test_a_colleagues_change_behind_the_pages_back_is_a_conflict_and_is_kept(
    live: Live, teacher_page: Page
) -> None:
    page = teacher_page
    group_id, matrix_id, rows, levels = _ids()
    row = rows[1]
    # Given the grid open in the teacher's browser
    visit(page, live.url(f"/groups/{group_id}/grid/{matrix_id}/"))
    pupil_id = int(page.locator("#grid tbody th").first.get_attribute("id")[1:])  # type: ignore[index]
    name = page.locator("#grid tbody th").first.get_attribute("data-name")
    # When a colleague assesses the first pupil A on the second row meanwhile
    with schema_context(SLUG):
        colleague = actor_for(User.objects.get(username=GRID_COLLEAGUE))
        matrix = AssessmentMatrix.objects.get(pk=matrix_id)
        grid_save(actor=colleague, matrix=matrix, cells=[CellInput(pupil_id, row, levels["A"])])
    # And the teacher, on the page's older version, chooses E for that cell with the keyboard
    cell = page.locator(f'td[data-pupil="{pupil_id}"][data-row="{row}"]')
    cell.locator("input:checked").focus()
    page.keyboard.press("1")
    # Then the page says it is a conflict, naming the colleague and their value
    notice = page.locator("#grid-conflicts")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(f"{name}, {'Skriva berättande texter'}: Oskar Lindahl")
    expect(notice).to_contain_text("ändrade bedömningen till A")
    expect(notice).to_contain_text("Ditt val (E) sparades inte")
    expect(page.locator("#grid-status")).to_contain_text("Konflikt")
    # And the cell shows the colleague's A, tied to the notice for screen readers
    expect(cell).to_have_attribute("data-state", "conflict")
    expect(cell.locator("input:checked")).to_have_value(str(levels["A"]))
    expect(cell.locator("[role=radiogroup]")).to_have_attribute(
        "aria-describedby", f"conflict-{pupil_id}_{row}"
    )
    # And the colleague's assessment is what the database holds
    assert _stored(row)[pupil_id] == (levels["A"], 1, GRID_COLLEAGUE)
    checked(page, shot="teacher-grid-conflict")
    # When the teacher, having read the notice, chooses C with a click
    cell.locator(f'label:has(input[value="{levels["C"]}"])').click()
    # Then that deliberate choice replaces the colleague's, and the notice is gone
    expect(cell).to_have_attribute("data-state", "saved")
    expect(notice).to_be_hidden()
    assert _stored(row)[pupil_id] == (levels["C"], 2, GRID_TEACHER)


def test_the_grid_works_on_a_phone(live: Live, teacher_page: Page) -> None:
    group_id, matrix_id, _rows, _levels = _ids()
    teacher_page.set_viewport_size({"width": 375, "height": 667})
    visit(
        teacher_page, live.url(f"/groups/{group_id}/grid/{matrix_id}/"), shot="teacher-grid-phone"
    )
    # The page itself does not scroll sideways: the grid scrolls in its own region
    width = teacher_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width


def test_a_teacher_writes_one_pupils_comment_from_the_pupil_page(
    live: Live, teacher_page: Page
) -> None:
    page = teacher_page
    _group_id, matrix_id, rows, levels = _ids()
    given, family = GRID_PUPILS[-1]
    with schema_context(SLUG):
        pupil = Person.objects.get(given_name=given, family_name=family).pk
    comment = "Skriver sammanhängande texter med tydlig struktur."
    # Given the pupil's page, which offers the class's matrix to assess on (and, once the pupil
    # is assessed on it, also links it from the matrix's table)
    visit(page, live.url(f"/pupils/{pupil}/"))
    link = page.locator(f'main ul a[href="/pupils/{pupil}/assessments/{matrix_id}/"]')
    expect(link).to_have_text(GRID_MATRIX)
    # When the teacher opens it and sets a level and a comment on the last aspect
    click_through(page, link)
    checked(page, shot="teacher-pupil-assessment")
    page.locator(f"#level_{rows[-1]}").select_option(str(levels["A"]))
    page.locator(f"#comment_{rows[-1]}").fill(comment)
    click_through(page, page.get_by_role("button", name="Spara"))
    # Then it is saved, and the pupil's page shows the level and the comment
    expect(page.locator("main")).to_contain_text("Sparat.")
    checked(page)
    visit(page, live.url(f"/pupils/{pupil}/"), shot="teacher-pupil-with-assessments")
    row = page.locator("#assessments-heading ~ section tbody tr").filter(has_text=GRID_ROWS[-1])
    expect(row).to_contain_text("A")
    expect(row).to_contain_text(comment)
