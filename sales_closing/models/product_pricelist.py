# Copyright 2026 Sales Closing contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

# context key: {pricelist id: ids of its rules in search order}, set while
# many order lines are priced at once (see ``_sales_closing_rules_cache``)
RULES_CONTEXT_KEY = "sales_closing_pricelist_rules"


def _rule_matches(rule, products, date):
    """Python twin of ``_get_applicable_rules_domain`` for one rule."""
    if products._name == "product.template":
        templates, variants = products, products.product_variant_ids
    else:
        templates, variants = products.product_tmpl_id, products
    if rule.categ_id:
        ancestors = {
            int(categ_id)
            for path in products.categ_id.mapped("parent_path")
            for categ_id in (path or "").split("/")
            if categ_id
        }
        if rule.categ_id.id not in ancestors:
            return False
    if rule.product_tmpl_id and rule.product_tmpl_id not in templates:
        return False
    if rule.product_id and (
        rule.product_id not in variants
        if products._name == "product.product"
        else rule.product_id.product_tmpl_id not in templates
    ):
        return False
    when = fields.Datetime.to_datetime(date)
    if rule.date_start and rule.date_start > when:
        return False
    return not (rule.date_end and rule.date_end < when)


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    def _get_applicable_rules(self, products, date, **kwargs):
        """Rules from the batch of ``_sales_closing_rules_cache`` when the
        context carries it: pricing many order lines based on another
        pricelist then costs no query per line.  Same rules, same order as
        Odoo's search; any other call goes to Odoo's search."""
        cache = self.env.context.get(RULES_CONTEXT_KEY)
        if not self or not cache or kwargs or self.id not in cache:
            return super()._get_applicable_rules(products, date, **kwargs)
        rules = self.env["product.pricelist.item"].browse(cache[self.id])
        return rules.filtered(lambda rule: _rule_matches(rule, products, date))

    @api.model
    def _sales_closing_rules_cache(self, pricelists):
        """``{pricelist id: (rule ids in search order)}`` of ``pricelists``
        and of every pricelist their rules are based on: one search per
        level of pricelists based on pricelists, whatever the number of
        lines to price later under this context."""
        Item = self.env["product.pricelist.item"].with_context(active_test=False)
        cache = {}
        todo = pricelists
        while todo:
            items = Item.search([("pricelist_id", "in", todo.ids)])
            by_pricelist = {pricelist.id: [] for pricelist in todo}
            for item in items:
                by_pricelist[item.pricelist_id.id].append(item.id)
            cache.update({key: tuple(ids) for key, ids in by_pricelist.items()})
            # warm the fields the matching and pricing read, in one batch
            items.categ_id.mapped("parent_path")
            items.product_id.mapped("product_tmpl_id")
            todo = items.filtered(
                lambda item: item.base == "pricelist"
            ).base_pricelist_id.filtered(lambda pricelist: pricelist.id not in cache)
        return cache
