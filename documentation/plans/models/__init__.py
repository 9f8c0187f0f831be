from documentation.plans.models.formative import (
    FormativeEntry,
    FormativeEntryHistory,
    Visibility,
)
from documentation.plans.models.plans import (
    PedagogicalPlan,
    PlanAction,
    PlanHistory,
    PlanTemplate,
    PlanVersion,
    TemplateScope,
)

__all__ = [
    "FormativeEntry",
    "FormativeEntryHistory",
    "PedagogicalPlan",
    "PlanAction",
    "PlanHistory",
    "PlanTemplate",
    "PlanVersion",
    "TemplateScope",
    "Visibility",
]
