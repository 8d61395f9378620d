"""A Chinese user's tour of the addons' screens (issue #22): no text on a
screen may be one of the English terms the addons translate.

Each addon's ``test_zh_cn_screens`` makes its records and lists its screens;
:class:`ZhCnScreensCase` loads Chinese, logs in a Chinese accountant and
runs the tour ``sales_closing_zh_cn_tour`` over the screens with the English
terms of the three addons' .po files.
"""

import json
import os
import re
from html import unescape
from pathlib import Path

import polib

from odoo.tests import HttpCase, new_test_user

REPO = Path(__file__).resolve().parents[2]
ADDONS = ("sales_closing", "sales_closing_payments", "sales_closing_reconcile")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdf]|%[sdf]|\{\{.*?\}\}|\{[a-z_]*\}")
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"[A-Za-z]{3,}")


def _collapse(text):
    return " ".join(text.split())


def english_terms():
    """The English a Chinese screen must not show: ``(terms, patterns)``.

    ``terms``: the msgids of the three .po files whose Chinese differs, and
    the text between the tags of the msgids that are HTML (an action's help,
    a view's paragraph); ``patterns``: regular expressions of the msgids
    with placeholders and an English word besides them.  A term that the
    Chinese keeps (a brand, a file type) is not one.
    """
    terms, patterns = set(), set()
    for addon in ADDONS:
        path = REPO / addon / "i18n" / "zh_CN.po"
        if not path.exists():
            continue
        for entry in polib.pofile(str(path)):
            if not entry.msgstr or entry.obsolete or "fuzzy" in entry.flags:
                continue
            chinese = _collapse(unescape(TAG.sub(" ", entry.msgstr)))
            if TAG.search(entry.msgid):
                pieces = [_collapse(unescape(p)) for p in TAG.split(entry.msgid)]
            else:
                pieces = [_collapse(entry.msgid)]
            for piece in pieces:
                if not WORD.search(PLACEHOLDER.sub(" ", piece)) or piece in chinese:
                    continue
                if PLACEHOLDER.search(piece):
                    parts = PLACEHOLDER.split(piece.replace("%%", "%"))
                    patterns.add(".+?".join(re.escape(part) for part in parts))
                else:
                    terms.add(piece)
    return terms, patterns


class ZhCnScreensCase(HttpCase):
    """Chinese loaded; a Chinese closing manager who is also accounting and
    sales manager and administrator (Settings)."""

    LOGIN = "sc_zh_screens"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        installed = cls.env["ir.module.module"].search([("state", "=", "installed")])
        cls.env["ir.module.module"]._load_module_terms(
            installed.mapped("name"), ["zh_CN"]
        )
        cls.zh_user = new_test_user(
            cls.env,
            cls.LOGIN,
            name="张会计",
            groups=",".join(
                [
                    "base.group_user",
                    "base.group_system",
                    "base.group_partner_manager",
                    "sales_closing.group_closing_manager",
                    "account.group_account_manager",
                    # the bank statement import
                    "account.group_account_user",
                    "sales_team.group_sale_manager",
                ]
            ),
            lang="zh_CN",
            tz="Asia/Shanghai",
        )

    def _zh_cn_tour(self, screens, menus=(), debug=False):
        """Walk ``screens`` (and read the ``menus``) as the Chinese user;
        ``debug`` fails with the English-looking texts of each screen."""
        terms, patterns = english_terms()
        data = {
            "terms": sorted(terms),
            "patterns": sorted(patterns),
            "menus": list(menus),
            "screens": screens,
            "found": [],
            "seen": [],
            # SALES_CLOSING_ZH_DEBUG=1: list each screen's texts
            "debug": debug or bool(os.environ.get("SALES_CLOSING_ZH_DEBUG")),
        }
        options = {
            "stepDelay": 0,
            "keepWatchBrowser": False,
            "debug": False,
            "startUrl": "/odoo",
            "delayToCheckUndeterminisms": 0,
        }
        code = (
            f"window.salesClosingZhCn = {json.dumps(data)};"
            f"odoo.startTour('sales_closing_zh_cn_tour', {json.dumps(options)});"
        )
        self.start_tour(
            "/odoo",
            "sales_closing_zh_cn_tour",
            login=self.LOGIN,
            code=code,
            timeout=60 + 10 * len(screens),
        )

    @staticmethod
    def _form(record):
        """The action opening ``record``'s form, as from a list."""
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [[False, "form"]],
        }
