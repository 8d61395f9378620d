"""Records the addon creates from code read in each user's language."""

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import format_date

from odoo.addons.sales_closing.tests.report_pdf_common import po_msgstr

from ..engine.common import STATUS_MESSAGES, STATUS_UNKNOWN_REFERENCE
from ..models.sales_closing_payment_notification import STATUS_TEXTS


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

    def test_notification_explanation_in_the_readers_language(self):
        """A notification's explanation, stored in English by the engine,
        reads in the reader's language; the model's texts are the engine's."""
        for status, english in STATUS_MESSAGES.items():
            self.assertEqual(STATUS_TEXTS[status]._translate("en_US"), english)
        Notification = self.env["sales.closing.payment.notification"]
        Notification._sales_closing_load_demo()
        unknown = Notification.search([("reason", "=", STATUS_UNKNOWN_REFERENCE)])
        self.assertTrue(unknown)
        self.assertEqual(
            unknown[0].with_context(lang="en_US").message_text,
            STATUS_MESSAGES[STATUS_UNKNOWN_REFERENCE],
        )
        self.assertEqual(
            unknown[0].with_context(lang="zh_CN").message_text,
            po_msgstr(
                "sales_closing_payments", STATUS_MESSAGES[STATUS_UNKNOWN_REFERENCE]
            ),
        )

    def test_reminder_run_named_in_the_readers_language(self):
        run = self.env["sales.closing.dunning.run"].create(
            {"company_id": self.company.id, "date": "2026-12-07"}
        )
        self.assertEqual(run.with_context(lang="en_US").name, "Reminders of 12/07/2026")
        chinese = run.with_context(lang="zh_CN").name
        self.assertEqual(
            chinese,
            po_msgstr("sales_closing_payments", "Reminders of %(date)s")
            % {"date": format_date(run.with_context(lang="zh_CN").env, run.date)},
        )
        self.assertNotIn("Reminders", chinese)
