from lxml import etree

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestMatchScreens(TransactionCase):
    """Match reasons in words, scores in percent everywhere (issue #22)."""

    def test_reasons_in_words(self):
        Suggestion = self.env["sales.closing.match.suggestion"]
        text = Suggestion._reasons_text("ref:invoice, partner, amount:partial")
        self.assertEqual(
            text,
            "invoice number in the label; partner of the line; "
            "partial payment: the rest stays open",
        )
        self.assertNotIn("ref:", text)
        # every code the engine gives has its words
        labels = Suggestion._reason_labels()
        for code in (
            "ref:order",
            "ref:tx",
            "payer_account",
            "payer_name",
            "amount:exact",
            "amount:fee",
            "amount:over",
            "amount:nearest",
            "amount:subset",
            "date",
            "currency",
        ):
            self.assertIn(code, labels)
        # a code the words do not know yet is shown as it is
        self.assertEqual(Suggestion._reasons_text("new:code"), "new:code")
        self.assertEqual(Suggestion._reasons_text(False), "")

    def test_reasons_translated(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "sales_closing_reconcile")]
        )._update_translations("zh_CN")
        Suggestion = self.env["sales.closing.match.suggestion"].with_context(
            lang="zh_CN"
        )
        text = Suggestion._reasons_text("ref:invoice, amount:exact")
        self.assertNotIn("invoice", text)
        self.assertNotIn("amount", text)

    def test_screens_show_words_and_percentages(self):
        arch = etree.fromstring(
            self.env["account.bank.statement.line"].get_view(
                self.env.ref(
                    "sales_closing_reconcile.sales_closing_match_line_view_form"
                ).id,
                "form",
            )["arch"]
        )
        [suggestions] = arch.xpath("//field[@name='sales_closing_suggestion_ids']/list")
        names = [node.get("name") for node in suggestions.iter("field")]
        self.assertIn("reasons_display", names)
        self.assertNotIn("reasons", names)
        [score] = suggestions.xpath("field[@name='score']")
        self.assertEqual(score.get("widget"), "percentage")
        settings = etree.fromstring(
            self.env["res.config.settings"].get_view(None, "form")["arch"]
        )
        for name in ("sales_closing_match_threshold", "sales_closing_match_margin"):
            [node] = settings.xpath(f"//field[@name='{name}']")
            self.assertEqual(node.get("widget"), "percentage", name)

    def test_matching_columns_wide_enough(self):
        # Odoo gives a date column 80px: 2026年12月07日 does not fit
        arch = etree.fromstring(
            self.env["account.bank.statement.line"].get_view(
                self.env.ref(
                    "sales_closing_reconcile.sales_closing_match_line_view_list"
                ).id,
                "list",
            )["arch"]
        )
        widths = {
            node.get("name"): int(node.get("width", "0px")[:-2] or 0)
            for node in arch.iterchildren("field")
        }
        self.assertGreaterEqual(widths["date"], 110)
        self.assertGreaterEqual(widths["partner_name"], 150)
        self.assertGreaterEqual(widths["sales_closing_match_candidates"], 150)
