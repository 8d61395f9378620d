"""Records the addon creates from code read in each user's language."""

from odoo.tests import TransactionCase, tagged

from odoo.addons.sales_closing.tests.report_pdf_common import po_msgstr


@tagged("post_install", "-at_install")
class TestRecordsInEveryLanguage(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.company = cls.env["res.company"].create({"name": "Levels Co"})

    def test_default_levels_and_policy(self):
        """A company's default reminder levels and policy, created by an
        English user, have their Chinese name and message too."""
        Level = self.env["sales.closing.dunning.level"].with_context(lang="en_US")
        Level.search([("company_id", "=", self.company.id)]).unlink()
        self.company.sales_closing_dunning_policy_id = False
        levels = Level._create_default_levels(self.company).sorted("sequence")
        names = [
            "Courtesy reminder",
            "First reminder",
            "Second reminder",
            "Final notice",
        ]
        self.assertEqual(levels.mapped("name"), names)
        chinese = levels.with_context(lang="zh_CN")
        self.assertEqual(
            chinese.mapped("name"),
            [po_msgstr("sales_closing_payments", name) for name in names],
        )
        first_message = po_msgstr(
            "sales_closing_payments",
            "According to our records the invoices below are overdue. "
            "Please pay them at your earliest convenience.",
        )
        self.assertIn(first_message, chinese[1].message)
        self.assertNotEqual(chinese[1].message, levels[1].message)
        policy = self.company.sales_closing_dunning_policy_id
        self.assertEqual(policy.name, "Default")
        self.assertEqual(
            policy.with_context(lang="zh_CN").name,
            po_msgstr("sales_closing_payments", "Default"),
        )
