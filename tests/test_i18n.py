"""Every translatable term of each addon has a Chinese translation."""

import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

REPO = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")
ADDONS = ("sales_closing", "sales_closing_payments", "sales_closing_reconcile")


@tagged("post_install", "-at_install")
class TestZhCnComplete(TransactionCase):
    def test_every_term_translated(self):
        for addon in ADDONS:
            with self.subTest(addon=addon):
                # rows are (module, type, name, res_id, source, value, comments)
                terms = {
                    row[4]
                    for row in TranslationModuleReader(
                        self.env.cr, modules=[addon], lang="en_US"
                    )
                    if row[4] and row[4].strip()
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
                # Odoo applies a translation only where the entry's
                # occurrences say (a field, a view, code): an entry without
                # them stays English on screen though it is "translated".
                where = {}
                for entry in po:
                    where.setdefault(entry.msgid, set()).update(
                        path for path, _line in entry.occurrences
                    )
                unplaced = sorted(
                    {
                        row[4]
                        for row in TranslationModuleReader(
                            self.env.cr, modules=[addon], lang="en_US"
                        )
                        if row[4]
                        and row[4].strip()
                        and (
                            f"code:{row[2]}"
                            if row[1] == "code"
                            else f"{row[1]}:{row[2]}:{row[3]}"
                        )
                        not in where.get(row[4], ())
                    }
                )
                self.assertFalse(
                    unplaced,
                    f"{addon}/i18n/zh_CN.po lacks where {len(unplaced)} term(s) "
                    f"are used, run ./setup/i18n {addon}; first: {unplaced[:5]}",
                )
                wrong = [
                    entry.msgid
                    for entry in po
                    if entry.msgstr
                    and sorted(PLACEHOLDER.findall(entry.msgid))
                    != sorted(PLACEHOLDER.findall(entry.msgstr))
                ]
                self.assertFalse(
                    wrong, f"{addon}: placeholders differ in the translation of {wrong}"
                )
