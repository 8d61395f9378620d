"""One concept, one Chinese term, across the three addons
(../shared/zh_CN-glossary.md, issue #22 item 9), and every record the addons
ship has its Chinese text."""

import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged

REPO = Path(__file__).resolve().parent.parent
ADDONS = ("sales_closing", "sales_closing_payments", "sales_closing_reconcile")

# (concept, msgid pattern, msgstr must match, msgstr must not match): the
# glossary's rows that a string can be checked against. A msgid matching the
# pattern has a translation holding the glossary's term and none of the
# terms the glossary rules out.
CONCEPTS = [
    (
        "dunning level",
        r"\b(dunning|reminder) levels?\b",
        "催款级别",
        "催收级别|提醒级别",
    ),
    ("reminder run", r"\breminder runs?\b", "催款批次", "运行|提醒批次"),
    ("reviewer", r"\breviewers?\b", "复核人", "审核"),
    ("review", r"\b(to review|review note|for review)\b", "复核", "审核"),
    ("sign off", r"\bsign(ed|s)? off\b", "签字确认", "签核"),
    ("preparer", r"\bpreparers?\b", "编制人", None),
    ("reopen", r"\breopen", "反结账", "重新打开给"),
    ("close a period", r"\bclose (a )?period\b", "结账", "关闭期间"),
    ("amount due", r"\bamount due\b", "未付", "应付"),
    ("left to pay", r"\bleft to pay\b", "未付|待付", "应付"),
    ("dashboard", r"\bdashboard\b", "仪表板", "看板"),
    ("override", r"\boverrides?\b", None, "越权"),
    ("payment provider", r"\bpayment providers?\b", "支付提供商", "服务商"),
    ("escalate", r"\bescalat", "催收", "升级"),
    ("promise broken", r"\bpromise\b.*\bbroken\b|^broken", "未兑现", "违约"),
    ("promise kept", r"\bpromise.*\bkept\b|^kept$", "已兑现", "已履行"),
    ("bank line", r"\bbank lines?\b", "银行流水", "银行行"),
    ("reconcile", r"\b(un)?reconcil", "对账", None),
    ("lead over the second match", r"\bsecond match\b", "次优匹配", "第二匹配"),
    ("days left", r"\bdays left\b", "剩余天数", "天剩余"),
    ("country", r"\bcountr(y|ies)\b", "国家/地区", None),
    ("credit note", r"\bcredit notes?\b", "红字", "退款通知|贷记单"),
    ("installment plan", r"\binstallment plans?\b", "分期付款计划", "安装"),
    ("capture", r"\bcaptur", "扣款", "获取|捕获"),
    ("credit exposure", r"\bcredit exposure\b", "信用占用", None),
    ("credit limit", r"\bcredit limits?\b", "信用额度", "信贷额度"),
    ("materiality", r"\bmateriality\b", "重要性水平", None),
    ("lock date", r"\block dates?\b", "锁定日期", "锁账日期"),
    ("partner", r"^partner$", "合作伙伴", "往来方"),
    ("reminder letter", r"\breminder letters?\b", "催款函", "提醒函"),
]

# (addon, msgid, concept): where a concept's term does not apply, and why
EXCEPTIONS = {
    # "country and region", the sales analysis' two dimensions: 国家和地区
    (
        "sales_closing",
        "Confirmed order lines with their untaxed amount, cost and margin in\n"
        "                company currency, by day, week or month, product, "
        "category, customer,\n                salesperson, country and region.",
        "country",
    ),
}


def _entries():
    for addon in ADDONS:
        for entry in polib.pofile(str(REPO / addon / "i18n" / "zh_CN.po")):
            if entry.msgstr and not entry.obsolete:
                yield addon, entry


@tagged("post_install", "-at_install")
class TestGlossary(TransactionCase):
    def test_one_term_per_concept(self):
        wrong = []
        for addon, entry in _entries():
            for concept, pattern, required, forbidden in CONCEPTS:
                if not re.search(pattern, entry.msgid, re.IGNORECASE):
                    continue
                if (addon, entry.msgid, concept) in EXCEPTIONS:
                    continue
                if (required and not re.search(required, entry.msgstr)) or (
                    forbidden and re.search(forbidden, entry.msgstr)
                ):
                    wrong.append(
                        f"{addon} [{concept}] {entry.msgid!r} -> {entry.msgstr!r}"
                    )
        self.assertFalse(wrong, "\n".join(["not the glossary's term:", *wrong]))

    def test_exceptions_still_apply(self):
        """An exception whose string is gone or now follows the glossary is
        removed from the list."""
        entries = {(addon, entry.msgid) for addon, entry in _entries()}
        for addon, msgid, _concept in EXCEPTIONS:
            self.assertIn((addon, msgid), entries)

    def test_literal_and_meaning_errors_gone(self):
        """The literal and wrong-meaning translations of issue #22 item 9."""
        banned = {
            "应付金额": "amount payable, for what customers owe us",
            "银行行": "literal 'bank line'",
            "领先第二匹配": "literal 'lead over second match'",
            "天剩余": "literal 'days left'",
            "重新打开给": "literal 'reopened for'",
            "越权": "'abuse of authority' for an override",
            "看板": "Kanban, for a dashboard",
        }
        found = [
            f"{addon} {entry.msgid!r} -> {entry.msgstr!r} ({why})"
            for addon, entry in _entries()
            for text, why in banned.items()
            if text in entry.msgstr and "kanban" not in entry.msgid.lower()
        ]
        self.assertFalse(found, "\n".join(found))


@tagged("post_install", "-at_install")
class TestShippedRecordsTranslated(TransactionCase):
    """Loading Chinese gives every record the addons ship (check kinds and
    checklist tasks, reminder levels and policies, collection stages, mail
    templates) a Chinese text."""

    MODELS = {
        "sales.closing.check.kind": ("name", "description"),
        "sales.closing.dunning.level": ("name", "message"),
        "sales.closing.dunning.policy": ("name",),
        "sales.closing.collection.stage": ("name", "description"),
        "mail.template": ("name", "subject", "body_html"),
    }

    def test_records_have_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(list(ADDONS), ["zh_CN"])
        data = self.env["ir.model.data"].search(
            [("module", "in", ADDONS), ("model", "in", list(self.MODELS))]
        )
        records = [self.env[d.model].browse(d.res_id) for d in data]
        # created at installation from code: each company's default levels
        # and policy
        records += list(self.env["sales.closing.dunning.level"].search([]))
        records += list(self.env["sales.closing.dunning.policy"].search([]))
        self.assertGreater(len(records), 20)
        missing = []
        for record in records:
            for fname in self.MODELS[record._name]:
                field = record._fields[fname]
                english = record.with_context(lang="en_US")[fname]
                if not english or not field.translate:
                    continue
                stored = field._get_stored_translations(record) or {}
                chinese = record.with_context(lang="zh_CN")[fname]
                if "zh_CN" not in stored or chinese == english:
                    missing.append(f"{record._name},{record.id} {fname}: {english!r}")
        self.assertFalse(missing, "\n".join(["no Chinese text:", *missing]))
