from pathlib import Path

import polib
from lxml import etree

from odoo import Command
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestScreens(TransactionCase):
    """What the closing screens show (issue #22 item 8)."""

    def _arch(self, model, view_type, view=None):
        view_id = self.env.ref(view).id if view else None
        return etree.fromstring(self.env[model].get_view(view_id, view_type)["arch"])

    def test_violation_values_in_their_unit(self):
        customer = self.env["res.partner"].create({"name": "Violation Customer"})
        order = self.env["sale.order"].create({"partner_id": customer.id})
        Violation = self.env["sales.closing.order.violation"]
        # sudo: violations are the approval workflow's records
        discount, margin, qty, zero = (
            Violation.sudo()
            .create(
                [
                    {"order_id": order.id, "rule": rule, "value": value, "limit": limit}
                    for rule, value, limit in (
                        ("max_discount", 25.0, 15.0),
                        ("min_margin", 7.3333, 10.0),
                        ("qty_above_average", 12.0, 7.5),
                        ("zero_price", 0.0, 0.0),
                    )
                ]
            )
            .sudo(False)
        )
        self.assertEqual(
            (discount.value_display, discount.limit_display), ("25%", "15%")
        )
        self.assertEqual(margin.value_display, "7.33%")
        self.assertEqual((qty.value_display, qty.limit_display), ("12", "7.50"))
        self.assertFalse(zero.value_display)
        arch = self._arch("sale.order", "form")
        names = [
            node.get("name")
            for node in arch.xpath(
                "//field[@name='sales_closing_violation_ids']//field"
            )
        ]
        self.assertIn("value_display", names)
        self.assertNotIn("value", names)

    def test_to_approve_ribbon_at_the_top_of_the_sheet(self):
        arch = self._arch("sale.order", "form")
        [sheet] = arch.xpath("//sheet")
        children = list(sheet)
        ribbons = [
            index
            for index, node in enumerate(children)
            if node.tag == "widget" and node.get("name") == "web_ribbon"
        ]
        self.assertEqual(len(ribbons), 2)
        # placed before the title, the groups and the notebook of the order
        # (a ribbon sits where it is in the flow)
        notebook = [
            index for index, node in enumerate(children) if node.tag == "notebook"
        ]
        self.assertLess(max(ribbons), 3)
        self.assertLess(max(ribbons), notebook[0])

    def test_checklist_items_cannot_be_deleted_from_the_screens(self):
        # unlink refuses checklist items (they leave with their period)
        for model, view_type, path in (
            ("sales.closing.check.line", "list", "/list"),
            ("sales.closing.check.line", "form", "/form"),
            ("sales.closing.period", "form", "//field[@name='check_line_ids']/list"),
        ):
            with self.subTest(model=model, view_type=view_type):
                [node] = self._arch(model, view_type).xpath(path)
                self.assertEqual(node.get("delete"), "0")

    def test_demo_shows_discounts(self):
        discount = self.env.ref("sale.group_discount_per_so_line")
        user = self.env["res.users"].create(
            {"name": "Discount Viewer", "login": "discount_viewer"}
        )
        self.env["sales.closing.demo"]._demo_discounts()
        self.assertIn(discount, self.env.ref("base.group_user").implied_ids)
        self.assertTrue(user.has_group("sale.group_discount_per_so_line"))

    def test_demo_seals_its_package_with_translated_templates(self):
        # a language loaded without this module's terms, as when Odoo runs
        # the demo data of the module before loading its .po
        self.env["res.lang"]._activate_lang("zh_CN")
        view = self.env.ref("sales_closing.report_closing_package_figures")
        self.env.cr.execute(
            "UPDATE ir_ui_view SET arch_db = arch_db - 'zh_CN' WHERE id = %s",
            [view.id],
        )
        view.invalidate_recordset(["arch_db"])
        self.assertNotIn("开票与收款", view.with_context(lang="zh_CN").arch_db)
        self.env["sales.closing.demo"]._demo_translations()
        view.invalidate_recordset(["arch_db"])
        self.assertIn("开票与收款", view.with_context(lang="zh_CN").arch_db)

    def test_reviewer_and_reviewed_by_read_differently_in_chinese(self):
        po = polib.pofile(
            str(Path(__file__).resolve().parent.parent / "i18n" / "zh_CN.po")
        )
        msgstr = {entry.msgid: entry.msgstr for entry in po}
        self.assertTrue(msgstr["Reviewer"])
        self.assertTrue(msgstr["Reviewed By"])
        self.assertNotEqual(msgstr["Reviewer"], msgstr["Reviewed By"])
        # the credit group of the order reads credit (信用), while the credit
        # column of a statement stays the credit side of an entry (贷方)
        self.assertEqual(msgstr["Customer Credit"], "信用")
        self.assertEqual(msgstr["Credit"], "贷方")
        arch = self._arch("sale.order", "form")
        self.assertTrue(arch.xpath("//group[@string='Customer Credit']"))
        self.assertFalse(arch.xpath("//group[@string='Credit']"))

    def test_manual_checks_show_no_last_run(self):
        arch = self._arch("sales.closing.check.line", "form")
        [node] = arch.xpath("//field[@name='last_run']")
        self.assertIn("is_manual", node.get("invisible", ""))
        self.assertTrue(Command)  # keep the import used by other tests
