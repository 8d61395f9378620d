# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Small helpers shared by the three addons."""


def selection_labels(model, fname):
    """``{value: label}`` of the selection field ``fname`` of ``model``, in the
    language of ``model``'s environment."""
    return dict(model._fields[fname]._description_selection(model.env))


def selection_label(model, fname, value):
    """The label of ``value`` in the selection field ``fname`` of ``model``;
    ``value`` itself when it is not one of the choices, '' when empty."""
    return selection_labels(model, fname).get(value, value or "")


# A spreadsheet reads a cell whose text starts with one of these as a formula
# (OWASP "CSV injection"); tab and carriage return start one in some readers.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """``value`` as text a spreadsheet shows and never evaluates.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading apostrophe (Excel and LibreOffice show it as literal text).
    Use it for every user-supplied string written to an XLSX (with
    ``write_string``) or a CSV.  ``None``/``False`` give ''.
    """
    if value is None or value is False:
        return ""
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
