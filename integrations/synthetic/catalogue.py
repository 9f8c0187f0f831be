"""Subjects and courses the synthetic municipality teaches, with Skolverket-style codes.

Grundskolan (Lgr22) subject codes have the form ``GRGR<ÄMNE>01`` (for example GRGRMAT01);
gymnasieskolan (Gy11) activities carry the course code (for example MATMAT01c). The codes follow
Skolverket's published pattern; the set is a realistic selection, not a complete syllabus list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subject:
    code: str  # what ActivityRecord.subject_code holds: subject code (GR) or course code (GY)
    subject_name: str
    designation: str  # Skolverket's short subject designation, e.g. MA
    school_type: str  # GR | GY | FKLASS
    cluster: str  # teachers teach within one cluster (ämneslag)
    course_name: str = ""  # GY only
    subject_code: str = ""  # GY only: the subject (MAT) the course belongs to
    language_code: str = ""  # ISO 639-3, modern languages only


def _gr(code: str, name: str, designation: str, cluster: str) -> Subject:
    return Subject(code, name, designation, "GR", cluster)


def _gy(code: str, name: str, course_name: str, cluster: str) -> Subject:
    return Subject(
        code, name, code[:3], "GY", cluster, course_name=course_name, subject_code=code[:3]
    )


SVE = _gr("GRGRSVE01", "Svenska", "SV", "SV/SO")
MAT = _gr("GRGRMAT01", "Matematik", "MA", "MA/NO")
ENG = _gr("GRGRENG01", "Engelska", "EN", "Språk")
TEK = _gr("GRGRTEK01", "Teknik", "TK", "MA/NO")
IDR = _gr("GRGRIDR01", "Idrott och hälsa", "IDH", "Idrott")
MUS = _gr("GRGRMUS01", "Musik", "MU", "Musik")
BIL = _gr("GRGRBIL01", "Bild", "BL", "Bild")
SLJ = _gr("GRGRSLJ01", "Slöjd", "SL", "Slöjd")
BIO = _gr("GRGRBIO01", "Biologi", "BI", "MA/NO")
FYS = _gr("GRGRFYS01", "Fysik", "FY", "MA/NO")
KEM = _gr("GRGRKEM01", "Kemi", "KE", "MA/NO")
GEO = _gr("GRGRGEO01", "Geografi", "GE", "SV/SO")
HIS = _gr("GRGRHIS01", "Historia", "HI", "SV/SO")
REL = _gr("GRGRREL01", "Religionskunskap", "RE", "SV/SO")
SAM = _gr("GRGRSAM01", "Samhällskunskap", "SH", "SV/SO")
HKK = _gr("GRGRHKK01", "Hem- och konsumentkunskap", "HKK", "Hemkunskap")
# Modern languages: one syllabus per language (the subject code is the same).
MODERN_LANGUAGES: tuple[Subject, ...] = tuple(
    Subject("GRGRMSP01", "Moderna språk", "ML", "GR", "Språk", language_code=code)
    for code in ("spa", "deu", "fra")
)
LANGUAGE_NAMES: dict[str, str] = {"spa": "spanska", "deu": "tyska", "fra": "franska"}

# Years 1-6: the class teacher teaches these to their own class ...
F6_CLASS_TEACHER: tuple[Subject, ...] = (SVE, MAT, ENG, TEK)
# ... and subject teachers these, to up to ten classes each.
F6_SPECIALIST: tuple[Subject, ...] = (IDR, MUS, BIL, SLJ)
# Years 7-9: one teaching group per class and subject, plus modern-language groups per year.
S79_CLASS_SUBJECTS: tuple[Subject, ...] = (
    SVE, MAT, ENG, BIO, FYS, KEM, GEO, HIS, REL, SAM, TEK, IDR, MUS, BIL, SLJ, HKK,
)  # fmt: skip

GY_COURSES_BY_YEAR: dict[int, tuple[Subject, ...]] = {
    1: (
        _gy("MATMAT01c", "Matematik", "Matematik 1c", "MA/NO"),
        _gy("SVESVE01", "Svenska", "Svenska 1", "SV/SO"),
        _gy("ENGENG05", "Engelska", "Engelska 5", "Språk"),
        _gy("IDRIDR01", "Idrott och hälsa", "Idrott och hälsa 1", "Idrott"),
        _gy("HISHIS01b", "Historia", "Historia 1b", "SV/SO"),
        _gy("SAMSAM01b", "Samhällskunskap", "Samhällskunskap 1b", "SV/SO"),
    ),
    2: (
        _gy("MATMAT02c", "Matematik", "Matematik 2c", "MA/NO"),
        _gy("SVESVE02", "Svenska", "Svenska 2", "SV/SO"),
        _gy("ENGENG06", "Engelska", "Engelska 6", "Språk"),
        _gy("RELREL01", "Religionskunskap", "Religionskunskap 1", "SV/SO"),
        _gy("NAKNAK01b", "Naturkunskap", "Naturkunskap 1b", "MA/NO"),
    ),
    3: (
        _gy("MATMAT03c", "Matematik", "Matematik 3c", "MA/NO"),
        _gy("SVESVE03", "Svenska", "Svenska 3", "SV/SO"),
        _gy("ENGENG07", "Engelska", "Engelska 7", "Språk"),
        _gy("FILFIL01", "Filosofi", "Filosofi 1", "SV/SO"),
    ),
}

ALL_SUBJECTS: tuple[Subject, ...] = (
    *S79_CLASS_SUBJECTS,
    *MODERN_LANGUAGES,
    *(subject for year in sorted(GY_COURSES_BY_YEAR) for subject in GY_COURSES_BY_YEAR[year]),
)
SUBJECT_INDEX: dict[Subject, int] = {subject: index for index, subject in enumerate(ALL_SUBJECTS)}
