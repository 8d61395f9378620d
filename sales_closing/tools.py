# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Small helpers shared by the three addons."""

from odoo.exceptions import AccessError

# safe_text lives with the pure XLSX engine, which needs it without Odoo;
# import it from here in the addons' models and controllers.
from .engine.xlsx_table import FORMULA_TRIGGERS, safe_text  # noqa: F401


def selection_labels(model, fname):
    """``{value: label}`` of the selection field ``fname`` of ``model``, in the
    language of ``model``'s environment."""
    return dict(model._fields[fname]._description_selection(model.env))


def selection_label(model, fname, value):
    """The label of ``value`` in the selection field ``fname`` of ``model``;
    ``value`` itself when it is not one of the choices, '' when empty."""
    return selection_labels(model, fname).get(value, value or "")


def check_workflow_write(records, vals, fnames, allowed=False):
    """Refuse ``vals`` when it sets one of the workflow-owned ``fnames``.

    Called by ``create()`` and ``write()`` of the models whose controls
    (approvals, sign-offs, states) are set by workflow methods only: those
    methods check the caller's group first, then write with ``sudo()``.
    A context key is never a permission: only the superuser environment, or
    ``allowed`` (a group check done by the caller), lets the values through.
    """
    forbidden = set(fnames).intersection(vals)
    if not forbidden or records.env.su or allowed:
        return
    labels = sorted(
        records._fields[name].get_description(records.env)["string"]
        for name in forbidden
    )
    raise AccessError(
        records.env._(
            "%(fields)s of %(model)s are set by their workflow buttons only.",
            fields=", ".join(labels),
            model=records._description,
        )
    )
