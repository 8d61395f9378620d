from odoo import Command
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestAnalyticDistributionModels(TransactionCase):
    """Journal items that are not invoice lines skip Odoo's search of the
    analytic distribution models while none exists; a model created or
    deleted is seen by the next journal item, in the same transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Model = cls.env["account.analytic.distribution.model"]
        cls.Model.search([]).unlink()
        cls.partner = cls.env["res.partner"].create({"name": "Analytic Buyer"})
        plan = cls.env["account.analytic.plan"].create({"name": "Regions"})
        cls.analytic = cls.env["account.analytic.account"].create(
            {"name": "North", "plan_id": plan.id}
        )
        company = cls.env.company
        Account = cls.env["account.account"]
        cls.income = Account.search(
            [("company_ids", "in", company.id), ("account_type", "=", "income")],
            limit=1,
        )
        cls.current = Account.search(
            [
                ("company_ids", "in", company.id),
                ("account_type", "=", "asset_current"),
            ],
            limit=1,
        )
        cls.journal = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "general")], limit=1
        )

    def _entry_distribution(self):
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.journal.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self.income.id,
                            "partner_id": self.partner.id,
                            "credit": 10.0,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.current.id,
                            "partner_id": self.partner.id,
                            "debit": 10.0,
                        }
                    ),
                ],
            }
        )
        return move.line_ids.mapped("analytic_distribution")

    def test_no_model_no_distribution(self):
        self.assertFalse(self.Model._sales_closing_has_models())
        self.assertEqual(self._entry_distribution(), [False, False])

    def test_model_created_then_deleted_is_seen_at_once(self):
        # the cache holds "no model" before the model is created
        self.assertEqual(self._entry_distribution(), [False, False])
        model = self.Model.create(
            {
                "partner_id": self.partner.id,
                "analytic_distribution": {str(self.analytic.id): 100},
            }
        )
        expected = {str(self.analytic.id): 100.0}
        self.assertEqual(self._entry_distribution(), [expected, expected])
        model.unlink()
        self.assertEqual(self._entry_distribution(), [False, False])

    def test_same_models_as_odoo_when_one_exists(self):
        """With a model anywhere, Odoo's own search decides (a model for
        another partner does not apply)."""
        other = self.env["res.partner"].create({"name": "Someone Else"})
        self.Model.create(
            {
                "partner_id": other.id,
                "analytic_distribution": {str(self.analytic.id): 100},
            }
        )
        self.assertTrue(self.Model._sales_closing_has_models())
        self.assertEqual(self._entry_distribution(), [False, False])
        found = self.Model._get_applicable_models(
            {"partner_id": other.id, "company_id": self.env.company.id}
        )
        self.assertEqual(len(found), 1)
