"""Django project package for Lärspår (lives in the plain folder ``platform/``)."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
