"""The plans and formative-log endpoints (mounted under /api/v1/ by documentation.plans.urls)."""
