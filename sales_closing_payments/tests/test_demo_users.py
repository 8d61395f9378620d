"""Who the demo shows at work (issue #22 item 7): the demo users of each
company, never OdooBot, who loads the demo data.

The demo data of the three addons are loaded here as an installation with
demo data loads them (the superuser, in one transaction), then every record
of the screens a user opens first (periods, checklists, closing packages,
orders, invoices, payments, bank lines, statements, reminder runs and
collection cases) is read for OdooBot: as creator, last writer, responsible,
author of a message or giver of an activity."""

import re

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.sales_closing.models.sales_closing_demo import COMPANIES

CJK = re.compile(r"[\u4e00-\u9fff]")

# model: the fields naming a user, besides create_uid and write_uid
SCREENS = {
    "sales.closing.period": ["user_id"],
    "sales.closing.check.line": [
        "user_id",
        "reviewer_id",
        "prepared_by_id",
        "reviewed_by_id",
    ],
    "sales.closing.package": [],
    "sales.closing.statement": ["user_id"],
    "sale.order": ["user_id"],
    "account.move": ["invoice_user_id"],
    "account.payment": [],
    "account.bank.statement.line": [],
    "sales.closing.dunning.run": [],
    "sales.closing.dunning.line": [],
    "sales.closing.collection.case": ["user_id"],
    "sales.closing.payment.promise": [],
    "sales.closing.installment.plan": ["user_id"],
}


@tagged("post_install", "-at_install")
class TestDemoUsers(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the environment of an installation: the superuser
        env = cls.env
        today = fields.Date.context_today(env.user)
        env["sales.closing.demo"]._load_demo(today)
        env["sales.closing.payments.demo"]._load_demo(today)
        Line = env["account.bank.statement.line"]
        if hasattr(Line, "_sales_closing_demo_match"):
            # the bank matching addon's demo data, when it is installed
            env["res.company"]._sales_closing_init_fee_accounts()
            Line._sales_closing_demo_match()
            env["sales.closing.period"]._sales_closing_demo_differences()
        env.flush_all()
        cls.companies = env["res.company"].search(
            [("name", "in", [spec["name"] for spec in COMPANIES.values()])]
        )
        cls.root = env.ref("base.user_root")

    def _records(self, model):
        Model = self.env[model].with_context(active_test=False)
        domain = [("company_id", "in", self.companies.ids)]
        if model == "account.move":
            domain.append(("move_type", "in", ("out_invoice", "out_refund")))
        return Model.search(domain)

    def test_two_companies_loaded(self):
        self.assertEqual(len(self.companies), 2)
        for model in SCREENS:
            if model in self.env:
                self.assertTrue(self._records(model), model)

    def test_nothing_done_by_odoobot(self):
        found = []
        for model, user_fields in SCREENS.items():
            if model not in self.env:
                continue
            records = self._records(model)
            for name in ("create_uid", "write_uid", *user_fields):
                for record in records.filtered(lambda r, n=name: r[n] == self.root):
                    found.append(f"{model} {record.display_name}: {name}")
            messages = self.env["mail.message"].search(
                [
                    ("model", "=", model),
                    ("res_id", "in", records.ids),
                    ("author_id", "=", self.root.partner_id.id),
                ]
            )
            found += [
                f"{model} {message.res_id}: message by OdooBot {message.body}"
                for message in messages
            ]
            activities = self.env["mail.activity"].search(
                [
                    ("res_model", "=", model),
                    ("res_id", "in", records.ids),
                    "|",
                    ("create_uid", "=", self.root.id),
                    ("user_id", "=", self.root.id),
                ]
            )
            found += [
                f"{model} {activity.res_id}: activity {activity.summary} of OdooBot"
                for activity in activities
            ]
        self.assertFalse(found, "\n".join(found))

    def test_closed_by_the_manager(self):
        packages = self._records("sales.closing.package")
        self.assertEqual(len(packages), 2)
        managers = {spec["manager"][1] for spec in COMPANIES.values()}
        for package in packages:
            closed_by = package._snapshot_data()["meta"]["closed_by"]
            self.assertIn(closed_by, managers)
            # when, in the manager's time zone
            self.assertNotIn("(UTC)", package._report_values()["closed_at"])

    def test_each_user_responsible_of_their_own(self):
        """Checks and periods of the preparer, cases of the accountant who
        collects, orders and invoices of the salespeople."""
        for company in self.companies:
            spec = next(s for s in COMPANIES.values() if s["name"] == company.name)
            users = self.env["res.users"].search(
                [("company_ids", "in", company.id), ("share", "=", False)]
            )
            login = {user.login: user for user in users}
            preparer = login[spec["accountant"][0]]
            sellers = self.env["res.users"].browse(
                [login[name].id for name, _label in spec["salespeople"]]
            )
            periods = self._records("sales.closing.period").filtered(
                lambda p, c=company: p.company_id == c
            )
            self.assertEqual(periods.user_id, preparer)
            self.assertEqual(periods.check_line_ids.user_id, preparer)
            cases = self._records("sales.closing.collection.case").filtered(
                lambda c, co=company: c.company_id == co
            )
            self.assertEqual(cases.user_id, preparer)
            # a disputed statement goes to the preparer, who is responsible
            # for the statements check, not to the administrator
            statements = self._records("sales.closing.statement").filtered(
                lambda s, c=company: s.company_id == c
            )
            disputes = self.env["mail.activity"].search(
                [
                    ("res_model", "=", "sales.closing.statement"),
                    ("res_id", "in", statements.ids),
                ]
            )
            self.assertTrue(disputes)
            self.assertEqual(disputes.user_id, preparer)
            orders = self._records("sale.order").filtered(
                lambda o, c=company: o.company_id == c
            )
            self.assertEqual(orders.user_id, sellers)
            self.assertEqual(orders.create_uid, sellers)
            invoices = self._records("account.move").filtered(
                lambda m, c=company: m.company_id == c
            )
            self.assertLessEqual(invoices.invoice_user_id, sellers)

    def test_bank_lines_in_the_bank_language(self):
        """The Chinese company's bank prints Chinese labels, the European
        company's English ones."""
        lines = self._records("account.bank.statement.line")
        for company in self.companies:
            chinese = company.name == COMPANIES["cn"]["name"]
            labels = lines.filtered(lambda ln, c=company: ln.company_id == c).mapped(
                "payment_ref"
            )
            self.assertTrue(labels)
            for label in labels:
                with self.subTest(label=label):
                    self.assertEqual(bool(CJK.search(label)), chinese)
            if chinese:
                self.assertTrue(any(label.startswith("货款 INV/") for label in labels))
                self.assertIn("手续费", labels)
                self.assertFalse(any("Payment" in label for label in labels))
