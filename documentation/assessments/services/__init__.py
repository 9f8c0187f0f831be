"""Writes of the assessments app: matrices (``matrices``), the class grid (``grid``) and the
municipality's settings (``settings``)."""
