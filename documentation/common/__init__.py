"""Helpers shared by the documentation apps (not an app itself)."""
