"""Helpers of the tests that no total adds amounts of several currencies."""

from lxml import etree


def two_currency_companies(env, names=("Closing EUR Co", "Closing CNY Co")):
    """Two companies, one in EUR and one in CNY (currencies activated)."""
    currencies = [env.ref("base.EUR"), env.ref("base.CNY")]
    for currency in currencies:
        currency.active = True
    companies = env["res.company"]
    for name, currency in zip(names, currencies, strict=True):
        companies |= env["res.company"].create(
            {"name": name, "currency_id": currency.id}
        )
    return companies


def monetary_sums(env, model_name, view_types=("list", "form", "kanban"), views=None):
    """``[(view type, list model, field)]``: the monetary fields that the
    views of ``model_name`` (each primary view with its inherited ones, or
    ``views``) total with a ``sum``/``avg`` attribute or a kanban
    ``sum_field``."""
    Model = env[model_name]
    found = []
    if views is None:
        views = env["ir.ui.view"].search(
            [("model", "=", model_name), ("mode", "=", "primary")]
        )
    for view in views:
        if view.type not in view_types:
            continue
        arch = etree.fromstring(Model.get_view(view.id, view.type)["arch"])
        for element in arch.iter("list", "tree"):
            sub_model = _model_of(Model, element)
            if sub_model is None:
                continue
            for node in element.iterchildren("field"):
                field = sub_model._fields.get(node.get("name"))
                if (
                    field
                    and field.type == "monetary"
                    and (node.get("sum") or node.get("avg"))
                ):
                    found.append((view.type, sub_model._name, field.name))
        for bar in arch.iter("progressbar"):
            field = Model._fields.get(bar.get("sum_field") or "")
            if field and field.type == "monetary":
                found.append((view.type, model_name, field.name))
    return found


def _model_of(model, list_element):
    """The model whose records ``list_element`` lists: the view's own, or
    the comodel of the x2many field that embeds it."""
    parent = list_element.getparent()
    names = []
    while parent is not None:
        if parent.tag == "field":
            names.append(parent.get("name"))
        parent = parent.getparent()
    for name in reversed(names):
        field = model._fields.get(name)
        if field is None or not field.relational:
            return None
        model = model.env[field.comodel_name]
    return model
