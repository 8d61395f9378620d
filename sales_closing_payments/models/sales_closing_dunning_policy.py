from odoo import api, fields, models

from odoo.addons.sales_closing.tools import write_in_languages


class SalesClosingDunningPolicy(models.Model):
    _name = "sales.closing.dunning.policy"
    _description = "Dunning Policy"
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    level_ids = fields.One2many(
        "sales.closing.dunning.level", "policy_id", string="Levels", copy=True
    )
    level_count = fields.Integer(string="Levels Count", compute="_compute_level_count")
    is_company_default = fields.Boolean(
        string="Company Default",
        compute="_compute_is_company_default",
        help="Used for the customers that have no dunning policy of their own.",
    )

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.depends("company_id.sales_closing_dunning_policy_id")
    def _compute_is_company_default(self):
        for policy in self:
            policy.is_company_default = (
                policy.company_id.sales_closing_dunning_policy_id == policy
            )

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        if "name" not in (default or {}):
            for policy, vals in zip(self, vals_list, strict=True):
                vals["name"] = self.env._("%(name)s (copy)", name=policy.name)
        return vals_list

    @api.model
    def _company_default(self, company):
        """The policy of ``company``'s customers without a policy of their own.

        The company's default policy, else its first active policy.
        """
        policy = company.sales_closing_dunning_policy_id
        if policy.active:
            return policy
        return self.search([("company_id", "=", company.id)], limit=1)

    @api.model
    def _policies_of(self, partners, company):
        """``{partner id: policy}`` of commercial ``partners`` in ``company``.

        The customer's own policy (set per company) wins over the company
        default; a policy archived or of another company falls back to it.
        """
        default = self._company_default(company)
        result = {}
        for partner in partners.with_company(company):
            policy = partner.sales_closing_dunning_policy_id
            if not policy.active or policy.company_id != company:
                policy = default
            result[partner.id] = policy.with_env(self.env)
        return result

    @api.model
    def _init_default_policies(self):
        """Update: put the levels created before the policies in a policy.

        The levels of each company without a policy go into a default policy
        of the company, which becomes the company default. Idempotent.
        """
        Level = self.env["sales.closing.dunning.level"].with_context(active_test=False)
        orphans = Level.search([("policy_id", "=", False)])
        for company in orphans.company_id:
            policy = company.sales_closing_dunning_policy_id
            if not policy:
                policy = self.create(
                    {"name": self.env._("Default"), "company_id": company.id}
                )
                write_in_languages(policy, lambda env: {"name": env._("Default")})
            orphans.filtered(lambda level, c=company: level.company_id == c).write(
                {"policy_id": policy.id}
            )
            company.sales_closing_dunning_policy_id = policy
        return True
