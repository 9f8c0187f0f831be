"""The class grid page's machinery: which matrices a group is assessed on, the grid shaped for
the template (pupils x matrix rows, levels per cell with their keys), the plain form's cells
parsed into the grid service's input, and conflicts put into words.

Reads go through documentation.assessments.selectors (matrix_list, grid_read) and writes
through services.grid.grid_save, as the API's do; nothing here decides access.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from access.policy import Actor
from documentation.assessments.errors import InvalidInput
from documentation.assessments.models import AssessmentMatrix, MatrixLevel, MatrixRow
from documentation.assessments.selectors import (
    GridView,
    author_name,
    grid_group_get,
    matrix_list,
)
from documentation.assessments.services.grid import CellConflict, CellInput
from register.models import Activity, Group, Person
from register.models.base import current_q

# Keys that set a level, in level order: 1-9, then 0 for a tenth level (MAX_LEVELS is 10).
LEVEL_KEYS = "1234567890"
CELL_NAME = re.compile(r"^c(\d{1,18})_(\d{1,18})$")
ROW_LABEL_MAX = 60
# The conflict notice, one sentence per cell; the page's script fills in the same placeholders.
CONFLICT_TEXT = gettext_noop(
    "%(pupil)s, %(row)s: %(author)s changed the assessment to %(level)s while you were "
    "working. Your choice (%(yours)s) was not saved; choose again to replace theirs."
)


# --- Which matrices a group is assessed on -----------------------------------------------------


def open_matrices(actor: Actor) -> Any:
    """Matrices the actor may read that take assessments: published and not archived."""
    return matrix_list(actor).filter(published_at__isnull=False, archived_at__isnull=True)


def matrices_by_group(actor: Actor, groups: Iterable[Group]) -> dict[int, list[AssessmentMatrix]]:
    """For each group, the open matrices that suit it: those without a subject, those of a
    subject the group is taught now (its activities), and the actor's own. Two queries."""
    groups = list(groups)
    if not groups:
        return {}
    subjects: dict[int, set[str]] = defaultdict(set)
    taught = (
        Activity.objects.filter(current_q(actor.on), groups__in=[g.pk for g in groups])
        .exclude(subject_code="")
        .values_list("groups", "subject_code")
        .distinct()
    )
    for group_id, code in taught:
        subjects[group_id].add(code)
    codes = set().union(*subjects.values()) if subjects else set()
    matrices = list(
        open_matrices(actor)
        .filter(Q(subject_code="") | Q(subject_code__in=codes) | Q(owner_id=actor.user.pk))
        .order_by("title", "pk")
    )
    return {
        group.pk: [
            m
            for m in matrices
            if not m.subject_code
            or m.subject_code in subjects[group.pk]
            or m.owner_id == actor.user.pk
        ]
        for group in groups
    }


def group_matrices(actor: Actor, group: Group) -> list[AssessmentMatrix] | None:
    """The group page's links: the group's matrices, or None when the actor does not assess
    the group (a school administrator sees its members but assesses nobody)."""
    try:
        grid_group_get(actor, group.pk)
    except Group.DoesNotExist:
        return None
    return matrices_by_group(actor, [group])[group.pk]


# --- The grid for the template ------------------------------------------------------------------


@dataclass
class LevelChoice:
    id: int
    label: str
    key: str  # the key that sets it ("1", "2", ...)


@dataclass
class Cell:
    pupil_id: int
    row_id: int
    level_id: int | None
    version: int
    author: str = ""
    conflict: str = ""  # the sentence of the conflict notice, when this cell had one
    html: SafeString | str = ""  # the cell's markup (cell_renderer)

    @property
    def key(self) -> str:
        return f"{self.pupil_id}_{self.row_id}"

    @property
    def state(self) -> str:
        """What the hidden input carries back: the version seen and the level shown then."""
        return f"{self.version}.{'' if self.level_id is None else self.level_id}"


@dataclass
class Line:
    pupil: Any
    cells: list[Cell] = field(default_factory=list)


def level_choices(levels: list[MatrixLevel]) -> list[LevelChoice]:
    return [
        LevelChoice(id=level.pk, label=level.label, key=LEVEL_KEYS[index])
        for index, level in enumerate(levels[: len(LEVEL_KEYS)])
    ]


def row_label(aspect: str) -> str:
    aspect = " ".join(aspect.split())
    return aspect if len(aspect) <= ROW_LABEL_MAX else aspect[: ROW_LABEL_MAX - 1] + "…"


def cell_renderer(
    levels: list[LevelChoice], no_level: str, *, editable: bool
) -> Callable[[Cell], SafeString]:
    """Renders one cell of the grid (its ``<td>``): the hidden state, a radio per level and
    "no level" in a radio group named by its pupil and row (and described by its conflict, if
    any); on a matrix that takes no assessments, the level's label only.

    Built here rather than by the template language: a 30 x 10 grid has 1,200 radios, and the
    template's loops over them took most of a 0.5 s page; joining strings takes milliseconds.
    Only integers and escaped texts go into the markup."""
    parts = [
        (
            f'" value="{level.id}" data-key="{level.key}"',
            f"><span>{escape(level.label)}</span>",
            level.id,
        )
        for level in levels
    ]
    labels = {level.id: escape(level.label) for level in levels}
    none_tail = (
        f'><span aria-hidden="true">&ndash;</span><span class="visually-hidden">{escape(no_level)}'
        "</span></label>"
    )

    def render(cell: Cell) -> SafeString:
        key = cell.key
        state = ' data-state="conflict"' if cell.conflict else ""
        td = f'<td data-pupil="{cell.pupil_id}" data-row="{cell.row_id}"{state}>'
        if not editable:
            return mark_safe(f"{td}{labels.get(cell.level_id or 0, '')}</td>")  # noqa: S308
        described = f' aria-describedby="conflict-{key}"' if cell.conflict else ""
        html = [
            td,
            f'<div class="levels-choice" role="radiogroup" '
            f'aria-labelledby="p{cell.pupil_id} r{cell.row_id}"{described}>',
            f'<input type="hidden" name="v{key}" value="{cell.state}">',
        ]
        for middle, tail, level_id in parts:
            checked = " checked" if cell.level_id == level_id else ""
            radio = f'<input type="radio" name="c{key}{middle}{checked}'
            html.append(f'<label class="level">{radio}{tail}</label>')
        checked = " checked" if cell.level_id is None else ""
        html.append(
            f'<label class="level level-none"><input type="radio" name="c{key}" value=""{checked}'
            + none_tail
        )
        html.append("</div></td>")
        return mark_safe("".join(html))  # noqa: S308 (integers and escaped texts only)

    return render


def grid_lines(
    grid: GridView,
    conflicts: Mapping[tuple[int, int], str] | None = None,
    render: Callable[[Cell], SafeString] | None = None,
) -> list[Line]:
    """One line per pupil with one cell per matrix row, in the grid's order (no queries);
    ``render`` gives each cell its markup (cell_renderer)."""
    conflicts = conflicts or {}
    stored = {(c["pupil_id"], c["row_id"]): c for c in grid.cells}
    lines = []
    for pupil in grid.pupils:
        line = Line(pupil=pupil)
        for row in grid.rows:
            found = stored.get((pupil.pk, row.pk))
            cell = Cell(pupil_id=pupil.pk, row_id=row.pk, level_id=None, version=0)
            if found is not None:
                cell.level_id = found["level_id"]
                cell.version = found["version"]
                cell.author = author_name(
                    found["author__first_name"],
                    found["author__last_name"],
                    found["author__username"],
                )
            cell.conflict = conflicts.get((pupil.pk, row.pk), "")
            if render is not None:
                cell.html = render(cell)
            line.cells.append(cell)
        lines.append(line)
    return lines


# --- The plain form (no script): every changed cell in one save ----------------------------------


def cells_from_form(data: Mapping[str, Any]) -> list[CellInput]:
    """The cells whose chosen level differs from the one the page showed, each with the version
    the page showed (so a colleague's newer assessment is a conflict, never overwritten).

    Every cell carries ``c<pupil>_<row>`` (the level id, "" for none) and ``v<pupil>_<row>``
    ("<version>.<level id shown>"); InvalidInput when one is malformed."""
    cells = []
    for name in data:
        match = CELL_NAME.match(str(name))
        if match is None:
            continue
        pupil_id, row_id = int(match[1]), int(match[2])
        chosen = str(data.get(name, ""))
        shown = str(data.get(f"v{pupil_id}_{row_id}", ""))
        version, _dot, shown_level = shown.partition(".")
        if not version.isdigit() or not (chosen == "" or chosen.isdigit()):
            raise InvalidInput(_("Some cells are not valid."))
        if chosen == shown_level:
            continue
        cells.append(
            CellInput(
                pupil_id=pupil_id,
                row_id=row_id,
                level_id=int(chosen) if chosen else None,
                expected_version=int(version),
            )
        )
    return cells


def conflict_sentences(
    grid: GridView, conflicts: list[CellConflict], attempted: Mapping[tuple[int, int], int | None]
) -> dict[tuple[int, int], str]:
    """The conflict notice's sentence per cell: who changed it to what, and what was not saved."""
    return conflicts_in_words(grid.pupils, grid.rows, grid.levels, conflicts, attempted)


def conflicts_in_words(
    pupil_list: Iterable[Person],
    row_list: Iterable[MatrixRow],
    level_list: Iterable[MatrixLevel],
    conflicts: list[CellConflict],
    attempted: Mapping[tuple[int, int], int | None],
) -> dict[tuple[int, int], str]:
    """``conflict_sentences`` for any pupils, rows and levels (the one-pupil page's too)."""
    pupils = {p.pk: f"{p.given_name} {p.family_name}" for p in pupil_list}
    rows = {r.pk: row_label(r.aspect) for r in row_list}
    labels = {level.pk: level.label for level in level_list}
    no_level = _("no level")
    sentences = {}
    for conflict in conflicts:
        key = (conflict.pupil_id, conflict.row_id)
        yours = attempted.get(key)
        sentences[key] = _(CONFLICT_TEXT) % {
            "pupil": pupils.get(conflict.pupil_id, str(conflict.pupil_id)),
            "row": rows.get(conflict.row_id, str(conflict.row_id)),
            "author": conflict.current_author or _("a colleague"),
            "level": labels.get(conflict.current_level_id or 0, no_level),
            "yours": labels.get(yours or 0, no_level),
        }
    return sentences
