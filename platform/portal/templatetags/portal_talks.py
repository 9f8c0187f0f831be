"""Small filters for the talk and IUP templates."""

from __future__ import annotations

from typing import Any

from django import template

from portal.talk_forms import dom_id as _dom_id

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``{{ findings|get_item:field.html_name }}``: a dict lookup with a variable key."""
    try:
        return mapping.get(key, [])
    except AttributeError:
        return []


@register.filter
def dom_id(name: str) -> str:
    """An HTML id for a field name ("answers.0.1" → "answers-0-1")."""
    return _dom_id(str(name))
