from odoo import api, models, tools


class AccountAnalyticDistributionModel(models.Model):
    _inherit = "account.analytic.distribution.model"

    @api.model
    @tools.ormcache()
    def _sales_closing_has_models(self):
        """Whether the database holds any analytic distribution model.

        Cached until one is created or deleted (``clear_cache`` below; the
        other workers hear of it through the registry's signalling)."""
        # sudo + active_test off: only the existence of a model, in any
        # company, decides whether Odoo's search is worth running
        model = self.sudo().with_context(active_test=False)
        return bool(model.search_count([], limit=1))

    @api.model
    def _get_applicable_models(self, vals):
        """No search when there is no model at all.

        Odoo computes the analytic distribution of every new journal item
        that is not an invoice line (counterparts of bank matches, the lines
        of exchange-difference entries) by searching the distribution
        models, one search per partner and account, also on a database
        where no model exists and the answer is always none (about 4 % of
        a bank matching run's time on the benchmark).  With a model
        anywhere, Odoo's own search runs unchanged."""
        if not self._sales_closing_has_models():
            return self.browse()
        return super()._get_applicable_models(vals)

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
