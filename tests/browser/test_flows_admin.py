"""The municipality administrator's key flows end to end in the browser, against the real server
and worker: a dry-run import, its diff, and applying it while the progress bar runs; who viewed
a pupil and what a user viewed, filtered and exported. Every page on the way passes axe-core."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from integrations.models import ImportRun, ImportStatus
from integrations.synthetic import generate_municipality, write_file_bundle
from register.models import Person
from tenants.models import Municipality, MunicipalityStatus
from tenants.services.onboarding import municipality_onboard
from tests.browser.conftest import Live
from tests.browser.seed import SLUG, drop_municipalities
from tests.browser.support import (
    checked,
    click_through,
    path_of,
    submit_code,
    submit_sign_in,
    visit,
)
from tests.factories import UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.worker

# The import flow runs in a municipality of its own: a full import of another register would end
# the browser municipality's people (a full snapshot ends whatever it does not send).
IMPORT_SLUG = "tjorn"
IMPORT_HOST = "tjorn.larspar.test"
IMPORT_CODE = "1407"
IMPORT_ADMIN = "tjorn-admin"
IMPORT_PUPILS = 150


# --- An import: dry run, diff, apply with live progress --------------------------------------


@pytest.fixture(scope="module")
def import_municipality(live: Live) -> Iterator[tuple[str, str]]:
    """An empty municipality with an administrator whose authenticator key the test knows;
    dropped (schema and all) afterwards. Yields (user name, key)."""
    drop_municipalities((IMPORT_SLUG,))
    municipality_onboard(
        name="Tjörns kommun",
        code=IMPORT_CODE,
        slug=IMPORT_SLUG,
        domain=IMPORT_HOST,
        admin_email="admin@tjorn.example",
    )
    Municipality.objects.filter(schema_name=IMPORT_SLUG).update(status=MunicipalityStatus.ACTIVE)
    with schema_context(IMPORT_SLUG):
        admin = UserFactory(
            username=IMPORT_ADMIN, is_municipality_admin=True, first_name="Tove", last_name="Ek"
        )
        key = TOTPDevice.objects.create(user=admin, name="Telefon", confirmed=True).key
    try:
        yield IMPORT_ADMIN, key
    finally:
        drop_municipalities((IMPORT_SLUG,))


def _sign_in_with_code(live: Live, page: Page, username: str, key: str, host: str) -> None:
    page.goto(live.url("/login/", host=host))
    submit_sign_in(page, username)
    page.goto(live.url("/account/two-factor/verify/?next=/admin/imports/", host=host))
    submit_code(page, live.clock.fresh_code(key))
    assert path_of(page) == "/admin/imports/", page.url


def _watch_progress(page: Page) -> list[int]:
    """The progress bar's values while the run is queued or running; the page reloads itself
    (htmx) when the run ends, and the bar is gone then."""
    seen: list[int] = []
    bar = page.locator("#import-progress-bar")
    deadline = timezone.now() + dt.timedelta(seconds=120)
    while timezone.now() < deadline:
        try:
            value = bar.get_attribute("value", timeout=500)
        except Exception:
            value = None
        if value is None and page.locator("#import-progress").count() == 0:
            return seen
        if value is not None and (not seen or seen[-1] != int(value)):
            seen.append(int(value))
        page.wait_for_timeout(100)
    pytest.fail(f"the run did not end within two minutes; progress seen: {seen}")


def test_an_administrator_imports_a_dry_run_and_applies_it_watching_progress(
    live: Live,
    open_page: Callable[..., Page],
    import_municipality: tuple[str, str],
    tmp_path: Path,
) -> None:
    # Given an SS 12000 file bundle of a small synthetic municipality, and its administrator
    bundle = write_file_bundle(
        generate_municipality(pupils=IMPORT_PUPILS, seed=11, municipality_code=IMPORT_CODE),
        tmp_path / "bundle",
    )
    files = [str(path) for paths in bundle.values() for path in paths]
    username, key = import_municipality
    page = open_page()
    _sign_in_with_code(live, page, username, key, IMPORT_HOST)
    checked(page)
    expect(page.locator("h1")).to_have_text("Importer")
    # When they upload the files as a dry run (ticked by default) and start it
    expect(
        page.get_by_label("Provkörning: visa vad som skulle ändras, ändra ingenting")
    ).to_be_checked()
    page.get_by_label("Fil", exact=True).set_input_files(files)
    click_through(page, page.get_by_role("button", name="Ladda upp och starta"))
    # Then the run's page follows its progress until the dry run has succeeded
    assert path_of(page).startswith("/admin/imports/")
    checked(page)
    _watch_progress(page)
    checked(page, "admin-import-dry-run")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Lyckades")
    # And the diff shows what would change, and nothing changed in the register
    diff = page.get_by_role("table", name="Rader per typ av registeruppgifter")
    persons = diff.get_by_role("row").filter(has_text="Personer")
    expect(persons).to_be_visible()
    new_persons = int(persons.locator("td").nth(1).inner_text())
    assert new_persons > IMPORT_PUPILS  # the pupils, their guardians and the staff
    expect(page.get_by_role("heading", name="Det här skulle ändras")).to_be_visible()
    with schema_context(IMPORT_SLUG):
        assert Person.objects.count() == 0
    # When they apply it
    click_through(page, page.get_by_role("button", name="Genomför ändringarna"))
    # Then a new run's page shows the live progress bar, which runs up to the end by itself
    checked(page, "admin-import-applying")
    expect(page.locator(".messages")).to_contain_text("genomförs")
    seen = _watch_progress(page)
    assert seen, "the progress bar was never shown while the run went on"
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    assert all(0 <= value <= 100 for value in seen)
    checked(page, "admin-import-applied")
    expect(page.locator("dl.facts")).to_contain_text("Lyckades")
    expect(page.get_by_role("heading", name="Det här ändrades")).to_be_visible()
    # And the register now holds exactly what the dry run promised
    with schema_context(IMPORT_SLUG):
        applied = ImportRun.objects.order_by("-pk").first()
        assert applied is not None
        assert applied.status == ImportStatus.SUCCEEDED
        assert not applied.dry_run
        assert Person.objects.count() == new_persons
    # And the history lists both runs
    visit(page, live.url("/admin/imports/", host=IMPORT_HOST))
    history = page.get_by_role("table", name="Importkörningar, nyaste först")
    expect(history.get_by_role("row")).to_have_count(3)  # the header and two runs


# --- The access log ----------------------------------------------------------------------------


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_an_administrator_finds_who_viewed_a_pupil_and_what_a_user_viewed(
    live: Live, open_page: Callable[..., Page]
) -> None:
    elias = live.world.pupils["p5a_2"]
    teacher_id = live.world.users["teacher_5a"]
    # Given the teacher has just opened Elias's page
    teacher = open_page("teacher")
    visit(teacher, live.url(f"/pupils/{elias}/"))
    expect(teacher.locator("h1")).to_contain_text("Elias Berg")
    # When the administrator searches for Elias in the access log
    page = open_page("admin")
    visit(page, live.url("/admin/access-log/"), shot="admin-access-log-start")
    page.get_by_label("Elevens namn").fill("Elias")
    page.get_by_role("button", name="Hitta eleven").click()
    hit = page.locator(f'#pupil-results a[href$="?pupil={elias}"]')
    expect(hit).to_contain_text("Elias Berg")
    checked(page)
    # And opens who viewed him
    click_through(page, hit)
    checked(page)
    # Then the teacher's read is listed, with the relation that allowed it
    reads = page.get_by_role("table", name="Läsningar, nyaste först")
    teacher_row = (
        reads.get_by_role("row").filter(has_text="Karin Johansson").filter(has_text="portal.pupil")
    )
    expect(teacher_row.first).to_be_visible()
    expect(teacher_row.first).to_contain_text(f"{elias}:")
    # When they follow the teacher to what she viewed
    click_through(page, teacher_row.first.get_by_role("link", name="Karin Johansson"))
    checked(page)
    # Then the teacher's reads are listed, Elias's page among them, and no one else's reads
    assert f"actor={teacher_id}" in page.url
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text="portal.pupil").first).to_be_visible()
    assert rows.filter(has_not_text="Karin Johansson").count() == 0
    # When they filter on Elias and today, by user name
    today = timezone.localdate().isoformat()
    visit(page, live.url("/admin/access-log/"))
    page.get_by_label("Elev (id)").fill(str(elias))
    page.get_by_label("Användare (användarnamn)").fill("teacher_5a")
    page.get_by_label("Från (datum)").fill(today)
    page.get_by_label("Till (datum)").fill(today)
    click_through(page, page.get_by_role("button", name="Visa", exact=True))
    checked(page, "admin-access-log-filtered")
    # Then only the teacher's reads of Elias today are listed
    listed = page.locator("table tbody tr")
    assert listed.count() >= 1
    assert listed.filter(has_not_text="Karin Johansson").count() == 0
    # When they export the selection
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exportera urvalet som CSV").click()
    exported = _csv_rows(Path(download_info.value.path()).read_text(encoding="utf-8"))
    # Then the CSV has the same reads: the teacher, reading Elias, today
    assert len(exported) == listed.count()
    assert {row["actor_id"] for row in exported} == {str(teacher_id)}
    assert all(str(elias) in row["pupil_ids"] for row in exported)
    assert "portal.pupil" in {row["resource"] for row in exported}
    assert all(row["occurred_at"].startswith(today) for row in exported)
    # And the administrator's own review is logged too
    with schema_context(SLUG):
        from access.readlog.models import AccessLogEntry

        reviews = AccessLogEntry.objects.filter(
            actor_id=live.world.users["municipality_admin"], resource="access_log.export"
        )
        assert reviews.count() == 1
