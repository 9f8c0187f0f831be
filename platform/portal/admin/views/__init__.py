"""Views of the administration pages, one module per page family."""
