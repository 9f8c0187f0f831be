"""The curriculum picker: a plan's subject version as lists of central content and knowledge
requirements with checkboxes, filtered by the words typed, and the linked items' texts for the
read-only page.

Items come from ``curriculum.selectors.subject_detail`` (one subject version, prefetched); a
checkbox's value is the reference text the plan stores (``"<code>:<version>:<key>"``), checked
by the plans services (``references_clean``) when saved. Filtering hides what does not match
(``hidden``: still in the form) but never a ticked item, so the teacher sees what they chose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from curriculum.models import CentralContent, KnowledgeRequirement, Subject
from curriculum.selectors import subject_detail
from portal.talk_forms import dom_id

MAX_WORDS = 5
CONTENT, REQUIREMENTS = "central_content_keys", "knowledge_requirement_keys"


@dataclass
class Item:
    ref: str
    text: str
    field: str  # the form input's name: central_content_keys or knowledge_requirement_keys
    checked: bool = False
    shown: bool = True

    @property
    def dom_id(self) -> str:
        return "ref-" + dom_id(self.ref)


@dataclass
class ItemGroup:
    label: str
    items: list[Item] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return any(item.shown for item in self.items)


def _ref(item: CentralContent | KnowledgeRequirement) -> str:
    return f"{item.code}:{item.version}:{item.key}"


def _content_label(item: CentralContent, course: str) -> str:
    years = _("Years %(span)s") % {"span": item.year_span} if item.year_span else ""
    return ", ".join(part for part in (course, years, item.section) if part)


def _requirement_label(item: KnowledgeRequirement, course: str) -> str:
    if item.grade_step:
        step = _("grade %(step)s") % {"step": item.grade_step}
    else:
        step = _("acceptable knowledge")
    year = _("end of year %(year)s") % {"year": item.year} if item.year else ""
    return ", ".join(part for part in (course, year, step, item.heading) if part)


def _owners(subject: Subject) -> list[tuple[str, Any]]:
    """The subject's own items first, then each current course's (GY), by course."""
    owners: list[tuple[str, Any]] = [("", subject)]
    owners += [(course.name, course) for course in subject.current_courses]  # type: ignore[attr-defined]
    return owners


def _grouped(
    pairs: Iterable[tuple[str, CentralContent | KnowledgeRequirement]], field: str
) -> list[ItemGroup]:
    groups: dict[str, ItemGroup] = {}
    for label, item in pairs:
        groups.setdefault(label, ItemGroup(label)).items.append(Item(_ref(item), item.text, field))
    return list(groups.values())


def field_of(ref: str) -> str:
    """The input a stored reference belongs to, from its key (``cc.…`` or ``kr.…``)."""
    key = ref.split(":", 2)[-1]
    return CONTENT if key.startswith("cc.") else REQUIREMENTS


def matches(words: Sequence[str], *texts: str) -> bool:
    haystack = " ".join(texts).casefold()
    return all(word in haystack for word in words)


@dataclass
class Picker:
    subject: Subject | None
    content: list[ItemGroup]
    requirements: list[ItemGroup]
    query: str = ""
    # References the plan holds that this subject version does not list (e.g. a retired item):
    # kept ticked, shown as stored.
    unknown: list[Item] = field(default_factory=list)

    @property
    def kinds(self) -> list[dict[str, Any]]:
        return [
            {"title": _("Central content"), "groups": self.content},
            {"title": _("Knowledge requirements"), "groups": self.requirements},
        ]

    def items(self) -> list[Item]:
        return [i for g in (*self.content, *self.requirements) for i in g.items]

    @property
    def shown_count(self) -> int:
        return sum(1 for item in self.items() if item.shown)


def picker_build(
    *, code: str, version: int | None, checked: Iterable[str] = (), query: str = ""
) -> Picker:
    """The picker for subject ``code`` at ``version`` (today's version if None), with the
    ``checked`` references ticked and the items not matching every word of ``query`` hidden."""
    try:
        subject = subject_detail(code=code, version=version) if code else None
    except Subject.DoesNotExist:
        subject = None
    if subject is None:
        return Picker(None, [], [], query, unknown=_unknown(set(checked)))
    content_pairs: list[tuple[str, CentralContent | KnowledgeRequirement]] = []
    requirement_pairs: list[tuple[str, CentralContent | KnowledgeRequirement]] = []
    for course, owner in _owners(subject):
        content_pairs += [(_content_label(i, course), i) for i in owner.content_items]
        requirement_pairs += [(_requirement_label(i, course), i) for i in owner.requirement_items]
    picker = Picker(
        subject,
        _grouped(content_pairs, CONTENT),
        _grouped(requirement_pairs, REQUIREMENTS),
        query.strip(),
    )
    wanted = set(checked)
    words = [w.casefold() for w in picker.query.split()[:MAX_WORDS]]
    for group in (*picker.content, *picker.requirements):
        for item in group.items:
            item.checked = item.ref in wanted
            item.shown = item.checked or matches(words, item.text, group.label)
    picker.unknown = _unknown(wanted - {item.ref for item in picker.items()})
    return picker


def _unknown(refs: set[str]) -> list[Item]:
    return [Item(ref, ref, field_of(ref), checked=True) for ref in sorted(refs)]


def linked_items(plan: Any) -> dict[str, list[dict[str, str]]]:
    """The plan's central content and knowledge requirements as label and text, in the
    syllabus's order (a reference the curriculum data no longer holds is shown as stored)."""
    picker = picker_build(
        code=plan.subject_code,
        version=plan.curriculum_version,
        checked=[*plan.central_content_keys, *plan.knowledge_requirement_keys],
    )
    linked: dict[str, list[dict[str, str]]] = {"content": [], "requirements": []}
    for kind, groups in (("content", picker.content), ("requirements", picker.requirements)):
        for group in groups:
            linked[kind] += [
                {"label": group.label, "text": i.text} for i in group.items if i.checked
            ]
    for item in picker.unknown:
        kind = "content" if item.field == CONTENT else "requirements"
        linked[kind].append({"label": "", "text": item.ref})
    return linked
