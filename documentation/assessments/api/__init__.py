"""HTTP endpoints of the assessments app (routes in config/urls_tenant.py)."""
