"""Writes: plans (``plans``), templates (``templates``), the formative log (``formative``)."""
