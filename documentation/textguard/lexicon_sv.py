"""The Swedish lexicon shipped with Lärspår, and the written rules shown where text is entered.

Each entry is a lemma, the forms that are matched in running text, a category and a suggestion
in Swedish. A form ending in ``*`` matches every word that begins with it (frånvaro* finds
frånvaron and frånvaroanmälan); use it only where no ordinary word shares the beginning
(``skolk*`` would find "skolkamrat", so skolk's forms are listed one by one). A form with spaces
is a phrase: its words must follow each other, separated by spaces or hyphens only.

Municipalities add words, change forms or switch a shipped lemma off through
``/api/v1/text-guard/lexicon`` (``LexiconEntry``); a row whose lemma equals a shipped lemma
replaces the shipped entry. Keep the list precise: every false alarm teaches people to click
"acknowledge" without reading.
"""

from __future__ import annotations

from dataclasses import dataclass

from documentation.textguard.inflection import adjective, unique, verb_a

VALUE_JUDGEMENT = "value_judgement"
OFFENSIVE = "offensive"
ATTENDANCE = "attendance"
HEALTH = "health"

SUGGEST_VALUE = (
    "Beskriv vad eleven visar i förhållande till kunskapskraven i stället för personliga "
    "egenskaper."
)
SUGGEST_OFFENSIVE = (
    "Kränkande eller nedsättande ord hör inte hemma i dokumentationen. Beskriv sakligt vad "
    "eleven visar i förhållande till kunskapskraven."
)
SUGGEST_ATTENDANCE = "Frånvaro registreras i Skola24, inte här."
SUGGEST_SICK = (
    "Frånvaro registreras i Skola24, inte här. Orsaken till sjukfrånvaro får bara dokumenteras "
    "med elevens eller vårdnadshavarens samtycke och hör då hemma i elevhälsans journal."
)
SUGGEST_HEALTH = "Hälsouppgifter hör hemma i elevhälsans journal."
SUGGEST_DIAGNOSIS = (
    "Hälsouppgifter och diagnoser hör hemma i elevhälsans journal. Beskriv i stället vilket stöd "
    "eller vilka anpassningar eleven behöver i undervisningen."
)

DEFAULT_SUGGESTIONS = {
    VALUE_JUDGEMENT: SUGGEST_VALUE,
    OFFENSIVE: SUGGEST_OFFENSIVE,
    ATTENDANCE: SUGGEST_ATTENDANCE,
    HEALTH: SUGGEST_HEALTH,
}

# The controller's written rules for free text (Datainspektionen's checklist for schools),
# shown at the point of entry: GET /api/v1/text-guard/rules.
RULES = (
    "Skriv om elevens kunskapsutveckling i förhållande till läroplanen och kunskapskraven.",
    "Gör inga värderande omdömen om elevens personliga egenskaper.",
    "Skriv inga kränkande eller nedsättande uttalanden.",
    "Frånvaro och närvaro hör inte hemma här: de registreras i Skola24.",
    "Hälsouppgifter och diagnoser hör hemma i elevhälsans journal. Orsaker till sjukfrånvaro "
    "får bara dokumenteras med samtycke.",
)


@dataclass(frozen=True)
class ShippedEntry:
    lemma: str
    category: str
    forms: tuple[str, ...]
    suggestion: str
    # Acronyms that are also ordinary words in lower case ("ADD" versus "add").
    match_case: bool = False


def _entries(
    category: str, suggestion: str, *items: tuple[str, tuple[str, ...]]
) -> list[ShippedEntry]:
    return [
        ShippedEntry(lemma, category, unique((lemma, *forms)), suggestion) for lemma, forms in items
    ]


def _adj(
    lemma: str, *, without: tuple[str, ...] = (), **irregular: object
) -> tuple[str, tuple[str, ...]]:
    """An adjective's forms; ``without`` drops forms that are everyday phrases about things
    rather than people ("det vore dumt att ...", "det gick trögt")."""
    forms = adjective(lemma, **irregular)  # type: ignore[arg-type]
    return lemma, tuple(form for form in forms if form not in without)


def _words(lemma: str, *forms: str) -> tuple[str, tuple[str, ...]]:
    return lemma, forms


# --- Value judgements about the person (personlighetsomdömen) --------------------------------

_VALUE = _entries(
    VALUE_JUDGEMENT,
    SUGGEST_VALUE,
    _adj("lat"),
    _adj("slarvig"),
    _adj("ointresserad"),
    _adj("omotiverad"),
    _adj("besvärlig"),
    _adj("stökig"),
    _adj("bråkig"),
    _adj("dum", double=True, without=("dumt",)),
    _adj("korkad"),
    _adj("omogen"),
    _adj("jobbig", without=("jobbigt",)),
    _adj("ouppfostrad"),
    _adj("ohyfsad"),
    _adj("oförskämd"),
    _adj("elak"),
    _adj("respektlös"),
    _adj("störig"),
    _adj("trög", without=("trögt",)),
    _adj("slö", neuter="slött"),
    _adj("tjurig"),
    _adj("kaxig"),
    _adj("uppkäftig"),
    _adj("gnällig"),
    _adj("bortskämd"),
    _adj("barnslig"),
    _adj("fjantig"),
    _adj("larvig"),
    _adj("trotsig"),
    _adj("virrig"),
    _adj("hopplös"),
    _adj("aggressiv"),
    _adj("okoncentrerad"),
    _adj("svagbegåvad"),
    _adj("lågbegåvad"),
    _words("lathet", "latheten"),
    _words("latmask", "latmasken", "latmaskar", "latmaskarna"),
    _words("slarver", "slarvern", "slarvrar", "slarvrarna"),
    _words("bråkstake", "bråkstaken", "bråkstakar", "bråkstakarna"),
    _words("problemelev", "problemeleven", "problemelever", "problemeleverna"),
    _words("problembarn", "problembarnet", "problembarnen"),
    _words("ointresse", "ointresset"),
    _words("attitydproblem", "attitydproblemet", "attitydproblemen"),
    # "Svag" alone is also said of results ("svaga resultat"); as a label for a person it is
    # a value judgement.
    _words("svag elev", "svaga elever", "svaga eleven", "svaga eleverna"),
    _words("dålig attityd", "dåliga attityd", "dåliga attityden", "dålig inställning"),
    _words("har inget intresse", "har inget intresse för", "har ingen motivation"),
    _words("bryr sig inte", "bryr sig inte om", "brydde sig inte"),
    _words("anstränger sig inte", "ansträngde sig inte"),
    # Not "gör inget": "gör inget fel" is praise, "det gör ingenting" means "never mind".
    _words("vill inte lära sig", "vill inte lära"),
    _words("skiter i", "sket i", "struntar i", "struntade i"),
    _words("hopplöst fall", "hopplösa fall"),
)

# --- Offensive or derogatory words (kept short and plain: the point is to catch, not to list) -

_OFFENSIVE = _entries(
    OFFENSIVE,
    SUGGEST_OFFENSIVE,
    _words("idiot", "idioten", "idioter", "idioterna"),
    _adj("idiotisk", compare=False),
    _words("dumskalle", "dumskallen", "dumskallar", "dumskallarna"),
    _words("pucko", "puckot", "puckon"),
    _words("mongo", "mongot", "mongon", "mongoloid"),
    _adj("efterbliven", compare=False),
    _words("cp-unge", "cp unge", "cp-ungen", "cp-barn"),
    _words("bokstavsbarn", "bokstavsbarnet", "bokstavsbarnen"),
    _words("värsting", "värstingen", "värstingar", "värstingarna"),
    _words("skitunge", "skitungen", "skitungar", "skitungarna"),
    _words("snorunge", "snorungen", "snorungar", "snorungarna"),
    _words("tönt", "tönten", "töntar", "töntarna"),
    _adj("töntig"),
    _adj("äcklig"),
    _words("psyko", "psykot", "psykon"),
    _words("fjolla", "fjollan", "fjollor", "fjollig"),
    _words("jävla", "jävel", "jäveln", "jävlar", "djävla"),
    _words("zigenare", "zigenaren", "zigenarna", "zigenarunge"),
)

# --- Attendance and absence (belongs in Skola24) ---------------------------------------------

_ATTENDANCE = _entries(
    ATTENDANCE,
    SUGGEST_ATTENDANCE,
    _words("frånvaro", "frånvaro*"),
    _words("ogiltig frånvaro", "ogiltiga frånvaron", "ogiltigt frånvarande", "ogiltigt frånvarat"),
    _words("giltig frånvaro", "giltiga frånvaron"),
    _words("frånvarande", "frånvarat", "frånvarar"),
    # Not "närvarande": "för närvarande" means "at present".
    _words("närvaro", "närvaro*"),
    _words(
        "skolk",
        "skolket",
        *verb_a("skolk"),
        "skolkare",
        "skolkaren",
        "skolkarna",
        "skolkning",
        "skolkningen",
    ),
    _words("kom för sent", "kom försent", "kommer för sent", "kommer försent", "kommit för sent"),
    _words("sen ankomst", "sena ankomster", "sena ankomsten", "sena ankomsterna"),
    # Not "ledighet" alone: plans say "efter ledigheten" about the holidays.
    _words(
        "ledighetsansökan",
        "ledighetsansök*",
        "beviljad ledighet",
        "ansökt om ledighet",
        "ansöker om ledighet",
        "ledig från skolan",
    ),
    _adj("bortrest", compare=False),
    _words("stannade hemma", "stannar hemma", "stannat hemma", "var hemma från skolan"),
    _words("kom inte till skolan", "kommer inte till skolan", "kom inte till lektionen"),
    _words("missade lektionen", "missade lektioner", "missat lektioner", "missar lektioner"),
)
_SICK_LEAVE = _entries(
    ATTENDANCE,
    SUGGEST_SICK,
    _words("sjukanmäld", "sjukanmäl*"),
    _adj("sjukskriven", compare=False),
    _words("var sjuk", "är sjuk", "varit sjuk", "blev sjuk", "har varit sjuk"),
    _words("sjukfrånvaro", "sjukfrånvaro*"),
)

# --- Health details (belong in the pupil-health record) --------------------------------------

_DIAGNOSES = _entries(
    HEALTH,
    SUGGEST_DIAGNOSIS,
    _words("adhd", "adhd*"),
    _words("autism", "autism*", "autist", "autisten", "autister", "autisterna"),
    _adj("autistisk", compare=False),
    _words("asperger", "asperger*"),
    # Dyslexia may matter for teaching, but the diagnosis is a health detail: describe the
    # support (talsyntes, inläst material, extra tid) instead.
    _words("dyslexi", "dyslexi*", "dyslektiker", "dyslektikern", "dyslektisk", "dyslektiska"),
    _words("dyskalkyli", "dyskalkyli*"),
    _words("npf", "neuropsykiatrisk*"),
    _words("tourette", "tourette*"),
    _words("ocd", "tvångssyndrom*"),
    _words("funktionsnedsättning", "funktionsnedsättning*"),
    _words(
        "har diagnosen",
        "har en diagnos",
        "har diagnos",
        "fått diagnosen",
        "fått en diagnos",
        "fick diagnosen",
        "diagnostiserats",
    ),
    _adj("diagnostiserad"),
)
_HEALTH = _entries(
    HEALTH,
    SUGGEST_HEALTH,
    # Not "depressionen": history plans speak of "den stora depressionen".
    _words("depression", "depressioner", "depressiv", "depressiva", "depressivt"),
    _adj("deprimerad"),
    _words("ångest", "ångest*", "panikångest*"),
    _words("psykisk ohälsa", "psykiska ohälsan", "psykiska problem", "psykiska besvär"),
    _words("psykiskt sjuk", "mår psykiskt dåligt"),
    _words("medicin", "medicin*", "läkemedel", "läkemedlet", "läkemedlen"),
    # Not "sjukdom" alone: biology plans teach "sjukdomar och hur de sprids" (Lgr22).
    _words(
        "har en sjukdom",
        "har sjukdomen",
        "sin sjukdom",
        "hans sjukdom",
        "hennes sjukdom",
        "hens sjukdom",
        "elevens sjukdom",
        "kronisk sjukdom",
        "kroniskt sjuk",
    ),
    _words(
        "psykolog",
        "psykologen",
        "psykologens",
        "psykologer",
        "psykologerna",
        "psykologbesök",
        "psykologutredning",
        "psykologutredningen",
        "psykologisk utredning",
    ),
    _words("bup", "psykiatri*", "ungdomspsykiatri*"),
    _words("skolsköterska", "skolskötersk*", "skolsyster", "skolsystern"),
    _words("skolläkare", "skolläkare*"),
    _words("kurator", "kurator*"),
    _words("epilepsi", "epilepsi*", "epileptiker", "epileptisk"),
    _words("diabetes", "diabetiker"),
    _words("astma", "astma*", "astmatiker"),
    _words("allergi", "allergi*", "allergisk", "allergiska"),
    _words("migrän", "migrän*"),
    _words("ätstörning", "ätstörning*", "anorexi*", "bulimi*"),
    _words("självskada", "självskad*"),
    _words("huvudvärk", "huvudvärk*", "ont i huvudet"),
    _words("magont", "ont i magen"),
)
_CASE_SENSITIVE = [
    ShippedEntry("ADD", HEALTH, ("ADD",), SUGGEST_DIAGNOSIS, match_case=True),
]

SHIPPED: tuple[ShippedEntry, ...] = (
    *_VALUE,
    *_OFFENSIVE,
    *_ATTENDANCE,
    *_SICK_LEAVE,
    *_DIAGNOSES,
    *_HEALTH,
    *_CASE_SENSITIVE,
)
SHIPPED_BY_LEMMA: dict[str, ShippedEntry] = {entry.lemma.casefold(): entry for entry in SHIPPED}
assert len(SHIPPED_BY_LEMMA) == len(SHIPPED), "shipped lemmas must be unique"
