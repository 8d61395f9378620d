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


def write_in_languages(records, values_of):
    """Write translatable fields of ``records`` in every active language.

    For records the addons create from code (default reminder levels and
    policies, demo data): their texts would otherwise exist only in the
    language of whoever created them. ``values_of(env)`` returns the values
    in ``env``'s language, e.g. ``{"name": env._("Default")}``; English is
    the source. A field translated by terms (HTML) takes a value of one
    term (plain text), mapped from its English text.
    """
    english = records.with_context(lang="en_US")
    source = values_of(english.env)
    english.write(source)
    for code, _name in records.env["res.lang"].get_installed():
        if code == "en_US":
            continue
        localized = records.with_context(lang=code)
        values = values_of(localized.env)
        by_terms = {
            fname: value
            for fname, value in values.items()
            if callable(records._fields[fname].translate)
        }
        localized.write(
            {fname: value for fname, value in values.items() if fname not in by_terms}
        )
        for fname, value in by_terms.items():
            for record in records:
                record.update_field_translations(fname, {code: {source[fname]: value}})
