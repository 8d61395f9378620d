"""Every translatable term of each addon has a Chinese translation."""

from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

REPO = Path(__file__).resolve().parent.parent
ADDONS = ("sales_closing", "sales_closing_payments", "sales_closing_reconcile")


@tagged("post_install", "-at_install")
class TestZhCnComplete(TransactionCase):
    def test_every_term_translated(self):
        for addon in ADDONS:
            with self.subTest(addon=addon):
                terms = {
                    row[1]
                    for row in TranslationModuleReader(
                        self.env.cr, modules=[addon], lang="zh_CN"
                    )
                    if row[1] and row[1].strip()
                }
                self.assertTrue(terms, f"{addon} exports no term")
                po = polib.pofile(str(REPO / addon / "i18n" / "zh_CN.po"))
                translated = {
                    entry.msgid
                    for entry in po
                    if entry.msgstr
                    and not entry.obsolete
                    and "fuzzy" not in entry.flags
                }
                missing = sorted(terms - translated)
                self.assertFalse(
                    missing,
                    f"{addon}/i18n/zh_CN.po lacks {len(missing)} translation(s), "
                    f"run ./setup/i18n {addon}; first: {missing[:5]}",
                )
