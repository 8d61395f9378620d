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
