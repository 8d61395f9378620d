"""The parts of the demo a reader checks first (issue #22 item 7): who is
responsible, the letterhead, taxes and addresses, languages."""

import base64
import io

from PIL import Image

from odoo.tests import TransactionCase, tagged

from ..models.sales_closing_demo import COMPANIES


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Demo = cls.env["sales.closing.demo"]
        cls.company = cls.env["res.company"].create(
            {"name": "Demo Parts Co", "country_id": cls.env.ref("base.cn").id}
        )

    def test_languages_and_users(self):
        """English active and the administrator's; one demo user per closing
        group, in the company's language when it is loaded."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env.ref("base.user_admin").lang = "zh_CN"
        self.Demo._demo_languages()
        self.assertTrue(self.env["res.lang"]._lang_get("en_US").active)
        self.assertEqual(self.env.ref("base.user_admin").lang, "en_US")
        users = self.Demo._demo_users(self.company, COMPANIES["cn"])
        self.assertEqual(set(users.mapped("lang")), {"zh_CN"})
        # Shanghai time, not UTC
        self.assertEqual(set(users.mapped("tz")), {"Asia/Shanghai"})
        groups = [
            "sales_closing.group_closing_user",
            "sales_closing.group_closing_user",
            "sales_closing.group_closing_accountant",
            "sales_closing.group_closing_accountant",
            "sales_closing.group_closing_manager",
            "sales_closing.group_closing_auditor",
        ]
        for user, group in zip(users, groups, strict=True):
            self.assertTrue(user.has_group(group), f"{user.login} {group}")
        self.assertFalse(users[5].has_group("sales_closing.group_closing_user"))

    def test_users_without_chinese(self):
        """A database without Chinese still loads: the users read English."""
        self.assertFalse(self.env["res.lang"]._lang_get("zh_CN"))
        users = self.Demo._demo_users(self.company, COMPANIES["cn"])
        self.assertEqual(set(users.mapped("lang")), {"en_US"})

    def test_logo_is_a_picture(self):
        logo = self.Demo._demo_logo(COMPANIES["cn"])
        with Image.open(io.BytesIO(base64.b64decode(logo))) as image:
            self.assertEqual(image.format, "PNG")
            # initials drawn: more than the background colour
            self.assertGreater(len(image.getcolors(maxcolors=100000)), 1)

    def test_sale_tax(self):
        """A chart without a default sales tax gets VAT 13%."""
        self.company.account_sale_tax_id = False
        tax = self.Demo._demo_sale_tax(self.company)
        self.assertEqual((tax.amount, tax.type_tax_use), (13.0, "sale"))
        self.assertEqual(self.company.account_sale_tax_id, tax)
        self.assertEqual(self.Demo._demo_sale_tax(self.company), tax)

    def test_customers_full_address(self):
        """Street, city, zip, country (and state where the country has
        them); a salesperson of the company."""
        for key in ("cn", "eu"):
            users = self.Demo._demo_users(self.company, COMPANIES[key])
            customers = self.Demo._demo_customers(COMPANIES[key], users[:2])
            for customer in customers:
                with self.subTest(customer=customer.name):
                    self.assertTrue(
                        all(
                            customer[f] for f in ("street", "city", "zip", "country_id")
                        )
                    )
                    self.assertIn(customer.user_id, users[:2])
                    lines = customer._display_address(without_company=True)
                    self.assertIn(customer.city, lines)
                    self.assertIn(customer.street, lines)
            chinese = customers.filtered(lambda c: c.country_id.code == "CN")
            self.assertEqual(len(chinese), 5 if key == "cn" else 0)
            self.assertTrue(all(chinese.mapped("state_id")))
