"""The project's form renderer (``FORM_RENDERER``): Django's, with one field template of our own."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates


class FormRenderer(DjangoTemplates):
    """Django's default renderer (its form templates, then the apps'), drawing each field with
    ``core/forms/field.html``: a checkbox inside its label, every other field as Django draws it."""

    field_template_name = "core/forms/field.html"
