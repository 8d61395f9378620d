"""Read a PDF the way a user does: its text as ``pdftotext`` gives it (no
Unicode normalisation), its fonts as ``pdffonts`` lists them, its images.

Used by the report tests of sales_closing and sales_closing_payments. They are
HttpCase tests: wkhtmltopdf then loads the report stylesheets from the test
server, as it does from a running Odoo (the web fonts they declare included).
"""

import base64
import io
import re
import subprocess
from pathlib import Path

import polib
from PIL import Image, ImageDraw

from odoo.tests import HttpCase
from odoo.tools.misc import formatLang

REPO = Path(__file__).resolve().parents[2]
# CJK Radicals Supplement and Kangxi Radicals: what Noto CJK's shared glyphs
# give back for ideographs such as 日 (⽇), 金 (⾦), 行 (⾏)
RADICALS = re.compile("[\u2e80-\u2fdf]")
ZH_MODULES = [
    "base",
    "web",
    "mail",
    "product",
    "account",
    "sale",
    "sales_closing",
    "sales_closing_payments",
    "sales_closing_reconcile",
]


def logo_png(initials, colour="#2f5d8a"):
    """A logo: ``initials`` in white on a coloured square, base64 PNG."""
    image = Image.new("RGB", (96, 96), colour)
    ImageDraw.Draw(image).text((28, 40), initials, fill="white")
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    return base64.b64encode(stream.getvalue())


def pdf_page_text(pdf, page=1):
    """The text of one page of ``pdf``, as typed (no-break spaces read as
    spaces, nothing else changed)."""
    text = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return text.replace("\xa0", " ")


def pdf_fonts(pdf):
    """The (name, type, embedded, to_unicode) of each font of ``pdf``."""
    out = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    fonts = []
    for line in out.splitlines()[2:]:
        columns = line.split()
        # name type... encoding emb sub uni object ID
        fonts.append((columns[0], " ".join(columns[1:-6]), columns[-5], columns[-3]))
    return fonts


def pdf_image_count(pdf):
    out = subprocess.run(
        ["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return len(out.splitlines()[2:])


def po_msgstr(addon, msgid):
    """The zh_CN translation of ``msgid`` in ``addon``'s .po file."""
    entry = polib.pofile(str(REPO / addon / "i18n" / "zh_CN.po")).find(msgid)
    assert entry and entry.msgstr, f"{addon}: no zh_CN for {msgid!r}"
    return entry.msgstr


class ReportPdfCase(HttpCase):
    """Chinese loaded, a company with a full letterhead, a reader of PDFs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        modules = cls.env["ir.module.module"].search(
            [("name", "in", ZH_MODULES), ("state", "=", "installed")]
        )
        cls.env["ir.module.module"]._load_module_terms(
            modules.mapped("name"), ["zh_CN"]
        )
        cls.company = cls.env.company
        cls.company.write(
            {
                "name": "上海闭环贸易有限公司 Closing Trading",
                "street": "浦东新区世纪大道100号",
                "city": "上海",
                "zip": "200120",
                "country_id": cls.env.ref("base.cn").id,
                "phone": "+86 21 5555 0100",
                "email": "ar@closing.example.com",
                "vat": "91310115MA1K4ABC2X",
                "logo": logo_png("SC"),
            }
        )

    def money(self, amount, currency, lang):
        """``amount`` as Odoo formats it in ``currency`` for ``lang``."""
        return formatLang(
            self.env(context=dict(self.env.context, lang=lang)),
            amount,
            currency_obj=currency,
        ).replace("\xa0", " ")

    def assertReadable(self, pdf, expected, lang):
        """Page 1 of ``pdf`` has each of ``expected`` as typed; every font
        is embedded with a text map; no ideograph came back as a radical."""
        self.assertTrue(pdf.startswith(b"%PDF"), "not a PDF")
        text = pdf_page_text(pdf)
        for value in expected:
            self.assertIn(value, text, f"{lang}: {value!r} not in page 1:\n{text}")
        self.assertFalse(
            RADICALS.findall(text), f"{lang}: radicals instead of ideographs:\n{text}"
        )
        fonts = pdf_fonts(pdf)
        self.assertTrue(fonts, f"{lang}: no font in the PDF (text drawn as outlines)")
        for name, kind, embedded, to_unicode in fonts:
            self.assertEqual(
                (embedded, to_unicode), ("yes", "yes"), f"{lang}: font {name} ({kind})"
            )
        return text
