"""A second matching dataset, shaped by how real bank statements look.

Written from the description below, not from the matching engine nor from
``matching_dataset.py`` (only the shape of what ``generate()`` returns is
shared, so that ``matching.py`` can load either).  The description comes
first; the code follows it.

How the statements of this company look
=======================================

The company sells from Shanghai to Chinese and European customers and to a
few in Hong Kong, Singapore and the US.  Its books are kept in CNY.  It has
a CNY current account (the main bank journal) and a EUR and a USD account
(one foreign-currency bank journal each): the EUR account is held at the
Frankfurt branch of a Chinese bank, so European customers reach it by SEPA
credit transfer; the USD account is in Shanghai, reached by SWIFT.

Customers and their invoices
----------------------------

* Chinese customers (about 55 %): legal names of the form city + brand +
  trade + legal form, e.g. 上海华信电子有限公司, 苏州金桥机械股份有限公司,
  华信(上海)电子科技有限公司 (the city in brackets after the brand, as
  foreign-invested companies are named), 金桥集团有限公司.  A few brands are
  namesakes in two cities (上海华信电子有限公司 and 苏州华信电子有限公司).
  They are invoiced in CNY; about one in seven also buys in USD through its
  foreign-currency account.
* European customers (about 35 %): 罗马 names with legal forms GmbH, KG,
  SARL, S.r.l., B.V., S.L., Sp. z o.o., AB, Ltd, written with accents and
  ampersands (Müller & Söhne Maschinenbau GmbH).  Invoiced in EUR, a few in
  USD.
* Hong Kong, Singapore and US customers (about 10 %): "Golden Harbour
  Trading (HK) Limited", "Pacific Crest Supplies Pte. Ltd.", invoiced in USD.
* Invoice numbers INV/2026/00042 (INV/2025/... for last year's unpaid
  ones), credit notes RINV/2026/00007.  European invoices often carry an
  ISO 11649 structured creditor reference (RF18 5390 0754 7034) as payment
  reference, and the customer's purchase order number (PO 4500123456, SAP
  style) as customer reference.  A customer buying a standard product every
  month has several open invoices of the very same amount.
* Amounts are spread log-uniformly (CNY 300 - 400,000; EUR and USD 120 -
  60,000), some round (deposits, standard prices).

What the bank prints
--------------------

* Domestic CNY transfers (CNAPS / 网银): the payer's full legal name as
  registered with the bank (付款人名称), sometimes without 股份, with
  full-width brackets （上海） instead of (上海) or the reverse, or the name
  of a branch (…有限公司苏州分公司); the payer's account number (19 digits);
  the memo (用途/附言) cut at 40 bytes of GBK, i.e. 20 Chinese characters:
  "货款", "支付货款 INV/2026/00042", "贷款" (a frequent typo for 货款),
  "往来款", often nothing but "网银转账".  Fees are charged to the payer,
  never deducted.
* SEPA credit transfers (EUR): payer name up to 70 characters in the SEPA
  character set (ü -> ue, é -> e, & -> + or "AND", often upper case), the
  IBAN, remittance information up to 140 characters: "Rechnung
  INV/2026/00042", "RE 2026-42", "Facture INV2026-42", "Pago factura",
  "Betaling factuur", or the customer's own PO / voucher number, or the RF
  reference without spaces.
* SWIFT MT103 (USD, and EUR from outside SEPA): payer name of field 50K, one
  line of 35 characters in upper case without punctuation ("SHANGHAI HUAXIN
  ELECTRONICS TECHNOL" - cut at 35), account shown two times in three,
  remittance of field 70 printed on one line of 35 characters, often with
  the MT103 codes "/INV/INV2026-42/260915" (invoice number then its date
  YYMMDD) or "/RFB/".  Charges SHA/BEN: the sending or an intermediary bank
  deducts its fee from the amount (fixed fees: EUR 10-30, USD 15-45, CNY
  50-200; percent fees: 0.1 % min CNY 50 max 260 at Chinese banks, 2.9 % +
  0.30 at card acquirers, 3.4 % + 0.35 at wallet payouts, 0.6 % at WeChat;
  an intermediary (correspondent) bank fee charged in USD on a EUR payment
  arrives converted, e.g. EUR 18.47).
* Cross-border collection platforms (XTransfer, PingPong, LianLian, Payoneer)
  and export agents (深圳一达通企业服务有限公司) pay in their own name; the
  buyer and the invoice are in the memo ("OBO HUAXIN ELECTRONICS INV ...",
  "代付 华信电子 货款").  Group parents pay for subsidiaries
  (华信集团有限公司 for 上海华信电子有限公司), owners from their personal
  account (张伟), "on behalf of" / "o.b.o." / "FAO" appears in the name or
  memo, and sometimes another customer of ours pays for a sister company.
* A foreign-currency payment lands on the EUR or USD account at the rate of
  the day, one or more months after the invoice was booked (the rate has
  moved since); a few are converted by the bank on arrival into the CNY
  account (结汇) at the bank's buying rate, about 0.4 % below the reference
  rate: the CNY line then carries the foreign amount as instructed.

How customers cite their invoices
---------------------------------

INV/2026/00042 as printed; lower case; INV202600042; INV2026-42;
INV-2026-00042; INV 2026 00042; "INV / 2026 / 00042"; 2026/42; 2026/00042;
"inv 42"; "Inv.42"; a dropped zero INV/2026/0042; in full-width characters
typed with a Chinese input method (ＩＮＶ／２０２６／０００４２); "发票号
INV/2026/00042"; with punctuation around ("(INV/2026/00042)", trailing dot).
Several invoices: comma, slash, "+", "、" or space separated, compact forms
("INV/2026/00042/43/47", "inv 42, 43, 47"), and a list cut at the field
width (the last references lost or half printed).

Lines, by kind (share of lines)
-------------------------------

Customer money (about 80 %):

* ``ref_exact`` one invoice cited as printed, full amount;
* ``ref_mangled`` one invoice cited in one of the typed forms above;
* ``ref_customer_po`` only the customer's PO number is cited;
* ``ref_structured`` only the RF creditor reference is cited;
* ``payer_name`` no reference, the payer known by name only (account not on
  file), the amount unique among the payer's open items;
* ``payer_account`` no reference, the payer's account is on file, the amount
  unique among its open items;
* ``fee_fixed`` / ``fee_percent`` / ``fee_intermediary`` the invoice cited,
  a bank fee deducted (fixed, percent, an intermediary's fee in another
  currency);
* ``fee_no_ref`` a fee deducted and no reference; payer known, the net
  amount within 5 % of exactly one open item of the payer;
* ``partial_ref`` part of one invoice, the invoice cited (deposits of 30 %
  or 50 %, instalments, round sums, or simply less); the rest stays open;
* ``group_ref`` several invoices of one customer, cited (the list may be
  cut by the width), sometimes net of a fee;
* ``group_noref`` several invoices of one customer, no reference; exactly
  one subset of the payer's open items sums to the amount;
* ``net_of_credit`` an invoice less a credit note of the same customer, the
  invoice cited;
* ``fx_converted`` a EUR or USD invoice paid into the CNY account, the bank
  converting at its rate, the invoice cited;
* ``third_party_ref`` someone else pays (parent, owner, platform, agent,
  another customer) and cites the invoice;
* ``agent_onbehalf`` an agent or platform pays and names the customer in
  name or memo, no invoice reference, the amount unique among the
  customer's open items;

Genuinely ambiguous by construction (the right answer is not decidable
from the line; a suggestion is the best an engine can do):

* ``ambiguous_twin`` no reference, the payer has two open invoices of the
  very amount paid (its standard monthly price): either could be meant;
* ``ambiguous_subsets`` no reference, two different subsets of the payer's
  open items sum to the amount (they share a twin);
* ``ambiguous_namesake`` an agent pays "for 华信电子" with no reference and
  both 上海华信电子 and 苏州华信电子 have an open invoice of that amount.

Not customer money, never to be reconciled (about 20 %):

* ``bank_fee`` account, SWIFT, SMS and e-banking fees (money out);
* ``salary`` payroll batches (out); ``tax`` VAT, CIT, social security and
  OSS VAT (out); ``supplier_payment`` (out);
* ``other_income`` interest (结息), export VAT refunds (出口退税) from the
  treasury, insurance claims, government subsidies, transfers from the
  company's own accounts (in);
* ``decoy_amount`` money in from a non-customer carrying the exact amount
  of some customer's open invoice;
* ``decoy_similar_name`` a supplier whose name shares a customer's brand
  refunds exactly the amount of that customer's open invoice;
* ``missing_ref`` an unknown payer cites an invoice number that does not
  exist;
* ``advance_payment`` a customer pays in advance citing its proforma or
  order (PI-2026-118), an amount none of its open items has: customer
  money, but there is nothing to reconcile it with.

Channels (printed beside the kinds): ``home`` CNY on the CNY account,
``fx`` EUR/USD on its own account, ``converted`` EUR/USD converted into the
CNY account.

Interface
---------

``build(seed, n_lines, n_items)`` returns a :class:`World`; ``generate()``
returns ``(lines, items, partner_accounts, truth)`` in the shape of
``matching_dataset.generate`` (``truth``: line id -> frozenset of item ids,
``None`` when nothing is to be reconciled).  Lines may carry two more keys
the Odoo harness reads: ``journal`` (``"fx"``: the journal in the line's
currency) and ``company_amount`` (CNY credited on a converted line).
The seed is mixed with this module's own salt, so ``--seed 1`` here has
nothing to do with seed 1 of the other generator.
"""

import datetime
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

HOME = "CNY"
CENT = Decimal("0.01")
SALT = "sales-closing-world-2026"

MATCHABLE_KINDS = {
    # kind: share of all lines, in %
    "ref_exact": 14,
    "ref_mangled": 14,
    "ref_customer_po": 2,
    "ref_structured": 2,
    "payer_name": 8,
    "payer_account": 5,
    "fee_fixed": 4,
    "fee_percent": 3,
    "fee_intermediary": 2,
    "fee_no_ref": 2,
    "partial_ref": 4,
    "group_ref": 4,
    "group_noref": 3,
    "net_of_credit": 1.5,
    "fx_converted": 3,
    "third_party_ref": 4,
    "agent_onbehalf": 2,
    "ambiguous_twin": 1.5,
    "ambiguous_subsets": 0.5,
    "ambiguous_namesake": 0.5,
}
NOISE_KINDS = {
    "bank_fee": 4,
    "salary": 2,
    "tax": 2,
    "supplier_payment": 2,
    "other_income": 3,
    "decoy_amount": 4,
    "decoy_similar_name": 1,
    "missing_ref": 1.5,
    "advance_payment": 0.5,
}
KIND_SHARES = {**MATCHABLE_KINDS, **NOISE_KINDS}

AMBIGUOUS_KINDS = {
    "ambiguous_twin": "no reference and two open invoices of the payer with "
    "the amount paid: either may be meant",
    "ambiguous_subsets": "no reference and two subsets of the payer's open "
    "items with the amount paid",
    "ambiguous_namesake": "the customer is named by a brand two customers "
    "share, both with an open invoice of the amount paid",
}

# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

CN_CITIES = [
    ("上海", "Shanghai"),
    ("深圳", "Shenzhen"),
    ("广州", "Guangzhou"),
    ("杭州", "Hangzhou"),
    ("苏州", "Suzhou"),
    ("宁波", "Ningbo"),
    ("北京", "Beijing"),
    ("天津", "Tianjin"),
    ("成都", "Chengdu"),
    ("武汉", "Wuhan"),
    ("厦门", "Xiamen"),
    ("青岛", "Qingdao"),
    ("东莞", "Dongguan"),
    ("无锡", "Wuxi"),
    ("佛山", "Foshan"),
    ("南京", "Nanjing"),
]
CN_BRANDS = [
    ("华信", "Huaxin"),
    ("金桥", "Jinqiao"),
    ("宏达", "Hongda"),
    ("东方", "Dongfang"),
    ("瑞丰", "Ruifeng"),
    ("恒通", "Hengtong"),
    ("新世纪", "Xinshiji"),
    ("永盛", "Yongsheng"),
    ("海澜", "Hailan"),
    ("天润", "Tianrun"),
    ("博远", "Boyuan"),
    ("中联", "Zhonglian"),
    ("百川", "Baichuan"),
    ("嘉禾", "Jiahe"),
    ("鼎盛", "Dingsheng"),
    ("长江", "Changjiang"),
    ("明珠", "Mingzhu"),
    ("锦程", "Jincheng"),
    ("汇丰源", "Huifengyuan"),
    ("志高", "Zhigao"),
    ("正泰源", "Zhengtaiyuan"),
    ("华美", "Huamei"),
    ("立信", "Lixin"),
    ("同创", "Tongchuang"),
    ("卓越", "Zhuoyue"),
    ("凯达", "Kaida"),
    ("亿通", "Yitong"),
    ("隆兴", "Longxing"),
    ("安泰", "Antai"),
    ("盛世", "Shengshi"),
    ("德润", "Derun"),
    ("联创", "Lianchuang"),
]
CN_TRADES = [
    ("电子", "Electronics"),
    ("电子科技", "Electronic Technology"),
    ("机械", "Machinery"),
    ("纺织", "Textile"),
    ("化工", "Chemical"),
    ("食品", "Food"),
    ("物流", "Logistics"),
    ("医疗器械", "Medical Devices"),
    ("照明", "Lighting"),
    ("贸易", "Trading"),
    ("包装材料", "Packaging Materials"),
    ("汽车配件", "Auto Parts"),
    ("家居用品", "Household Products"),
    ("五金制品", "Hardware Products"),
]
CN_FORMS = [("有限公司", 0.6), ("股份有限公司", 0.25), ("有限责任公司", 0.15)]

EU_SURNAMES = {
    "DE": ["Müller", "Schäfer", "Köhler", "Weiß", "Hoffmann", "Becker", "Krüger"],
    "FR": ["Dubois", "Lefèvre", "Moreau", "Girard", "Bérard", "Fontaine"],
    "IT": ["Rossi", "Bianchi", "Ferrari", "Esposito", "Galli", "Colombo"],
    "NL": ["Van den Berg", "De Vries", "Jansen", "Bakker", "Van Dijk"],
    "ES": ["García", "Martínez", "López", "Sánchez", "Muñoz"],
    "PL": ["Nowak", "Kowalski", "Wiśniewski", "Wójcik"],
    "SE": ["Andersson", "Johansson", "Lindqvist", "Öberg"],
    "IE": ["O'Brien", "Murphy", "Kelly", "O'Sullivan"],
}
EU_TRADES = {
    "DE": ["Maschinenbau", "Elektrotechnik", "Handel", "Logistik", "Textil"],
    "FR": ["Textiles", "Distribution", "Équipements", "Import Export"],
    "IT": ["Meccanica", "Tessuti", "Forniture", "Elettronica"],
    "NL": ["Logistics", "Trading", "Techniek", "Handelsonderneming"],
    "ES": ["Importaciones", "Distribuciones", "Suministros"],
    "PL": ["Handel", "Elektronika", "Dystrybucja"],
    "SE": ["Trading", "Industri", "Teknik"],
    "IE": ["Supplies", "Trading", "Distribution"],
}
EU_SEATS = {
    "DE": ["Hamburg", "Stuttgart", "München", "Köln"],
    "FR": ["Lyon", "Marseille", "Lille", "Paris"],
    "IT": ["Milano", "Torino", "Bologna", "Napoli"],
    "NL": ["Rotterdam", "Utrecht", "Eindhoven", "Venlo"],
    "ES": ["Madrid", "Valencia", "Bilbao", "Sevilla"],
    "PL": ["Poznań", "Łódź", "Gdańsk", "Kraków"],
    "SE": ["Malmö", "Göteborg", "Uppsala", "Örebro"],
    "IE": ["Cork", "Galway", "Limerick", "Dublin"],
}
EU_FORMS = {
    "DE": ["GmbH", "GmbH & Co. KG", "KG", "AG"],
    "FR": ["SARL", "SAS", "S.A."],
    "IT": ["S.r.l.", "S.p.A."],
    "NL": ["B.V.", "N.V."],
    "ES": ["S.L.", "S.A."],
    "PL": ["Sp. z o.o."],
    "SE": ["AB"],
    "IE": ["Ltd", "Limited"],
}
INTL_WORDS = [
    "Golden Harbour",
    "Pacific Crest",
    "Silver Lake",
    "Eastern Star",
    "Bright Ocean",
    "Lakeside",
    "Northgate",
    "Jade Bridge",
    "Summit Peak",
    "Red Lantern",
    "Blue River",
    "Evergreen",
]
INTL_SECOND = ["", "", "Asia", "Global", "International", "Pacific", "Holdings"]
INTL_TRADES = ["Trading", "Supplies", "Industries", "Imports", "Electronics"]
INTL_FORMS = [
    ("(HK) Limited", "HK"),
    ("Limited", "HK"),
    ("Pte. Ltd.", "SG"),
    ("Inc.", "US"),
    ("LLC", "US"),
]

PLATFORMS = [
    "XTRANSFER LIMITED",
    "PINGPONG PAYMENTS (HK) LTD",
    "LIANLIAN GLOBAL TECHNOLOGY",
    "PAYONEER INC",
    "深圳一达通企业服务有限公司",
    "上海外贸代理服务有限公司",
]
PERSONS = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇"]
EU_PERSONS = ["Hans Becker", "Marie Laurent", "Giulia Conti", "Jan de Boer"]

SEPA_MAP = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "&": "+",
        "'": " ",
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Æ": "AE",
        "æ": "ae",
    }
)


def _ascii(text):
    """Strip accents (é -> e), as SEPA and SWIFT character sets force."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )


def _gbk_cut(text, width):
    """Cut ``text`` at ``width`` bytes of GBK, as Chinese bank exports do."""
    out, used = [], 0
    for char in text:
        size = 1 if ord(char) < 128 else 2
        if used + size > width:
            break
        out.append(char)
        used += size
    return "".join(out)


def _fullwidth(text):
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c)
        for c in text
    )


@dataclass
class Partner:
    id: int
    region: str  # cn / eu / intl
    name: str
    currency: str
    country: str = "CN"
    city: tuple = ()
    brand: tuple = ()
    trade: tuple = ()
    form: str = ""
    english: str = ""
    short: str = ""
    accounts: list = field(default_factory=list)
    standard_price: bool = False


@dataclass
class World:
    lines: list
    items: list
    partner_accounts: dict
    truth: dict  # line id -> Truth
    rates: dict  # currency -> [(date, units per EUR)]
    home_currency: str = HOME

    def truth_sets(self):
        return {lid: t.items_set() for lid, t in self.truth.items()}

    def as_tuple(self):
        return self.lines, self.items, self.partner_accounts, self.truth_sets()


@dataclass
class Truth:
    kind: str
    channel: str
    applied: dict = field(default_factory=dict)  # item id -> amount (item ccy)
    fee: Decimal = Decimal(0)
    partial: bool = False
    alternatives: list = field(default_factory=list)  # other right answers

    @property
    def matchable(self):
        return bool(self.applied)

    @property
    def ambiguous(self):
        return self.kind in AMBIGUOUS_KINDS

    def items_set(self):
        return frozenset(self.applied) if self.applied else None

    def accepts(self, ids):
        ids = frozenset(ids)
        return bool(self.applied) and (
            ids == frozenset(self.applied) or ids in self.alternatives
        )


# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------


class _Builder:
    def __init__(self, seed, n_lines, n_items):
        self.rng = random.Random(f"{SALT}:{seed}")
        self.n_lines = n_lines
        self.n_items = n_items
        self.partners = []
        self.items = []
        self.by_partner = {}  # partner id -> [item]
        self.used = set()  # item ids paid by a line
        self.partner_accounts = {}
        self.lines = []
        self.truth = {}
        self.rates = self._rates()
        self.namesakes = {}  # short name -> [partner]

    # -- money and dates ----------------------------------------------------

    def _rates(self):
        """Monthly reference rates, units per EUR, a random walk."""
        rng = random.Random(f"{SALT}:rates")
        rates = {"EUR": [], "USD": [], "CNY": []}
        usd, cny = 1.08, 7.80
        day = datetime.date(2025, 1, 1)
        while day <= datetime.date(2026, 12, 1):
            rates["EUR"].append((day, 1.0))
            rates["USD"].append((day, round(usd, 4)))
            rates["CNY"].append((day, round(cny, 4)))
            usd *= 1 + rng.uniform(-0.02, 0.02)
            cny *= 1 + rng.uniform(-0.02, 0.02)
            day = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        return rates

    def rate(self, code, date):
        """Units of ``code`` per EUR on ``date``."""
        value = None
        for day, rate in self.rates[code]:
            if day > date:
                break
            value = rate
        return value

    def money(self, low, high):
        rng = self.rng
        if rng.random() < 0.15:
            step = rng.choice([100, 500, 1000])
            value = max(step, round(rng.uniform(low, high) / step) * step)
            return Decimal(value).quantize(CENT)
        value = low * (high / low) ** rng.random()
        return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)

    def amount_for(self, currency):
        if currency == "CNY":
            return self.money(300, 400000)
        return self.money(120, 60000)

    # -- partners -------------------------------------------------------------

    def _account(self, partner):
        rng = self.rng
        if partner.region == "cn":
            return "".join(str(rng.randrange(10)) for _ in range(19))
        country = partner.country if partner.region == "eu" else "HK"
        if country in ("HK", "SG", "US"):
            return "".join(str(rng.randrange(10)) for _ in range(12))
        bban = "".join(str(rng.randrange(10)) for _ in range(18))
        return _iban(country, bban)

    def build_partners(self):
        rng = self.rng
        count = max(24, self.n_items // 7)
        seen = set()
        pid = misses = 0
        while len(self.partners) < count:
            pid += 1
            if misses > 5000:
                raise ValueError(f"names exhausted at {len(self.partners)} partners")
            roll = rng.random()
            if roll < 0.55:
                partner = self._cn_partner(pid, seen)
            elif roll < 0.90:
                partner = self._eu_partner(pid, seen)
            else:
                partner = self._intl_partner(pid, seen)
            if partner is None:
                pid -= 1
                misses += 1
                continue
            misses = 0
            partner.standard_price = rng.random() < 0.12
            partner.accounts = [self._account(partner)]
            if rng.random() < 0.3:
                partner.accounts.append(self._account(partner))
            if rng.random() < 0.4:  # paid before: its account is on file
                self.partner_accounts[partner.accounts[0]] = partner.id
            self.partners.append(partner)
        for partner in self.partners:
            if partner.short:
                self.namesakes.setdefault(partner.short, []).append(partner)

    def _cn_partner(self, pid, seen):
        rng = self.rng
        city = rng.choice(CN_CITIES)
        brand = rng.choice(CN_BRANDS)
        trade = rng.choice(CN_TRADES)
        key = (city[0], brand[0], trade[0])
        if key in seen:
            return None
        # a few namesakes: same brand and trade in two cities
        seen.add(key)
        forms, weights = zip(*CN_FORMS, strict=True)
        form = rng.choices(forms, weights)[0]
        style = rng.random()
        if style < 0.12:
            name = f"{brand[0]}({city[0]}){trade[0]}{form}"
            english = f"{brand[1]} {trade[1]} ({city[1]}) Co., Ltd."
        elif style < 0.16:
            name = f"{city[0]}{brand[0]}{trade[0]}集团{form}"
            english = f"{city[1]} {brand[1]} {trade[1]} Group Co., Ltd."
        else:
            name = f"{city[0]}{brand[0]}{trade[0]}{form}"
            english = f"{city[1]} {brand[1]} {trade[1]} Co., Ltd."
        currency = "USD" if rng.random() < 0.14 else "CNY"
        return Partner(
            pid,
            "cn",
            name,
            currency,
            city=city,
            brand=brand,
            trade=trade,
            form=form,
            english=english,
            short=f"{brand[0]}{trade[0]}",
        )

    def _eu_partner(self, pid, seen):
        rng = self.rng
        country = rng.choice(list(EU_SURNAMES))
        surname = rng.choice(EU_SURNAMES[country])
        if rng.random() < 0.4:  # double-barrelled: Müller-Becker
            surname = f"{surname}-{rng.choice(EU_SURNAMES[country])}"
        trade = rng.choice(EU_TRADES[country])
        if rng.random() < 0.5:  # the seat in the name: Handel Hamburg
            trade = f"{trade} {rng.choice(EU_SEATS[country])}"
        form = rng.choice(EU_FORMS[country])
        if (surname, trade) in seen:
            return None
        seen.add((surname, trade))
        if country == "DE" and rng.random() < 0.3:
            name = f"{surname} & Söhne {trade} {form}"
        elif country == "FR" and rng.random() < 0.4:
            name = f"{trade} {surname} {form}"
        else:
            name = f"{surname} {trade} {form}"
        currency = "USD" if rng.random() < 0.1 else "EUR"
        return Partner(pid, "eu", name, currency, country=country, english=name)

    def _intl_partner(self, pid, seen):
        rng = self.rng
        words = f"{rng.choice(INTL_WORDS)} {rng.choice(INTL_SECOND)}".strip()
        trade = rng.choice(INTL_TRADES)
        form, country = rng.choice(INTL_FORMS)
        if (words, trade, country) in seen:
            return None
        seen.add((words, trade, country))
        name = f"{words} {trade} {form}"
        return Partner(pid, "intl", name, "USD", country=country, english=name)

    # -- items ------------------------------------------------------------------

    def build_items(self):
        rng = self.rng
        weights = [rng.lognormvariate(0, 0.9) for _ in self.partners]
        total = sum(weights)
        counts = [max(1, int(w / total * self.n_items)) for w in weights]
        while sum(counts) > self.n_items:
            index = rng.randrange(len(counts))
            if counts[index] > 1:
                counts[index] -= 1
        while sum(counts) < self.n_items:
            counts[rng.randrange(len(counts))] += 1
        specs = []
        for partner, count in zip(self.partners, counts, strict=True):
            price = self.amount_for(partner.currency)
            for _ in range(count):
                if rng.random() < 0.04:
                    kind = "credit_note"
                else:
                    kind = "invoice"
                currency = partner.currency
                if partner.region == "cn" and currency == "USD" and rng.random() < 0.5:
                    currency = "CNY"
                if partner.region == "eu" and currency == "USD" and rng.random() < 0.5:
                    currency = "EUR"
                if partner.standard_price and kind == "invoice" and rng.random() < 0.5:
                    amount = price if currency == partner.currency else None
                else:
                    amount = None
                amount = amount or self.amount_for(currency)
                if kind == "credit_note":
                    amount = -(amount * Decimal(rng.uniform(0.02, 0.3))).quantize(
                        CENT, ROUND_HALF_UP
                    )
                date = datetime.date(2026, 9, 30) - datetime.timedelta(
                    days=int(rng.expovariate(1 / 70)) % 420
                )
                specs.append((date, partner, kind, currency, amount))
        specs.sort(key=lambda s: s[0])
        numbers = {}
        for index, (date, partner, kind, currency, amount) in enumerate(specs, 1):
            prefix = "RINV" if kind == "credit_note" else "INV"
            numbers[prefix, date.year] = numbers.get((prefix, date.year), 0) + 1
            number = numbers[prefix, date.year]
            item = {
                "id": index,
                "partner_id": partner.id,
                "partner_name": partner.name,
                "move_name": f"{prefix}/{date.year}/{number:05d}",
                "payment_ref": "",
                "order_refs": [],
                "tx_refs": [],
                "amount_residual": amount,
                "currency": currency,
                "date": date,
                "date_maturity": date + datetime.timedelta(days=30),
                "kind": kind,
            }
            if kind == "invoice":
                item["order_refs"] = [f"S{20000 + index:05d}"]
                item["payment_ref"] = item["move_name"]
                if partner.region == "eu" and rng.random() < 0.5:
                    item["payment_ref"] = _rf_reference(index * 7919 + 104729)
                if partner.region in ("eu", "intl") and rng.random() < 0.4:
                    item["tx_refs"] = [f"PO {4500000000 + rng.randrange(10**6)}"]
            self.items.append(item)
            self.by_partner.setdefault(partner.id, []).append(item)
        self.partner_by_id = {p.id: p for p in self.partners}
        self.item_by_id = {i["id"]: i for i in self.items}

    # -- picking items -----------------------------------------------------------

    def _free(self, item):
        return item["id"] not in self.used and item["kind"] == "invoice"

    def pick_item(self, test=None, tries=60):
        rng = self.rng
        for _ in range(tries):
            item = self.items[rng.randrange(len(self.items))]
            if self._free(item) and (test is None or test(item)):
                return item
        return None

    def unique_amount(self, item, among=None):
        amount = item["amount_residual"]
        others = among if among is not None else self.by_partner[item["partner_id"]]
        return (
            sum(
                1
                for o in others
                if o["amount_residual"] == amount and o["currency"] == item["currency"]
            )
            == 1
        )

    # -- printing -----------------------------------------------------------------

    def channel_for(self, currency, kind):
        if currency == HOME:
            return "home"
        if kind == "fx_converted":
            return "converted"
        return "fx"

    def field_format(self, partner, currency, channel):
        """How the bank prints the line: ``gbk`` (domestic CNY), ``sepa``
        (EUR from a European customer to the Frankfurt account) or ``swift``."""
        if channel == "home" and partner.region == "cn":
            return "gbk"
        if (
            channel == "fx"
            and currency == "EUR"
            and partner.region == "eu"
            and partner.country not in ("PL", "SE")
        ):
            return "sepa"  # Polish and Swedish banks send EUR by SWIFT
        return "swift"

    def payer_name(self, partner, channel, currency):
        """What the bank prints as payer for ``partner`` on ``channel``."""
        rng = self.rng
        fmt = self.field_format(partner, currency, channel)
        variant = True
        if fmt == "gbk":
            name = partner.name
            if variant:
                roll = rng.random()
                if roll < 0.08 and "股份" in name:
                    name = name.replace("股份", "")
                elif roll < 0.16 and "(" in name:
                    name = name.replace("(", "（").replace(")", "）")
                elif roll < 0.2:
                    city = rng.choice(CN_CITIES)[0]
                    name = f"{name}{city}分公司"
            return _gbk_cut(name, 60)
        if partner.region == "cn":
            # paid from a foreign-currency account: English name, SWIFT
            return _swift_name(partner.english)
        if fmt == "sepa":
            name = partner.name.translate(SEPA_MAP)
            name = _ascii(name)
            if rng.random() < 0.5:
                name = name.upper()
            if rng.random() < 0.15:
                name = name.replace(" + ", " AND ")
            if rng.random() < 0.2:
                # the legal form left out, as some banks print the short name
                for form in EU_FORMS[partner.country]:
                    if name.upper().endswith(form.upper()):
                        name = name[: -len(form)].strip()
                        break
            return name[:70]
        return _swift_name(partner.name)

    def payer_account(self, partner, channel, ccy=None):
        rng = self.rng
        if channel in ("fx", "converted") and rng.random() < 0.34:
            return None
        if len(partner.accounts) > 1 and rng.random() < 0.3:
            return partner.accounts[1]
        return partner.accounts[0]

    def cut(self, memo, partner, channel, currency):
        """The memo as printed: 40 bytes of GBK, 140 SEPA or 35 SWIFT
        characters (no Chinese in either: the bank drops it)."""
        fmt = self.field_format(partner, currency, channel)
        if fmt == "gbk":
            return _gbk_cut(memo, 40)
        text = "".join(c for c in _ascii(memo.translate(SEPA_MAP)) if ord(c) < 128)
        text = " ".join(text.split())
        if fmt == "sepa":
            return text[:140]
        return text.upper()[:35] if self.rng.random() < 0.6 else text[:35]

    def cite(self, item, style=None):
        """One invoice reference, typed as customers type it."""
        rng = self.rng
        prefix, year, number = item["move_name"].split("/")
        num = int(number)
        styles = [
            "exact",
            "lower",
            "nosep",
            "dash_short",
            "dash",
            "space",
            "spaced",
            "year_num",
            "year_pad",
            "inv_num",
            "inv_dot",
            "drop_zero",
            "fullwidth",
            "fapiao",
            "paren",
            "trailing_dot",
        ]
        style = style or rng.choice(styles)
        return {
            "exact": item["move_name"],
            "lower": item["move_name"].lower(),
            "nosep": f"{prefix}{year}{number}",
            "dash_short": f"{prefix}{year}-{num}",
            "dash": f"{prefix}-{year}-{number}",
            "space": f"{prefix} {year} {number}",
            "spaced": f"{prefix} / {year} / {number}",
            "year_num": f"{year}/{num}",
            "year_pad": f"{year}/{number}",
            "inv_num": f"{prefix.lower()} {num}",
            "inv_dot": f"{prefix.capitalize()}.{num}",
            "drop_zero": f"{prefix}/{year}/{num:04d}",
            "fullwidth": _fullwidth(item["move_name"]),
            "fapiao": f"发票号{item['move_name']}",
            "paren": f"({item['move_name']})",
            "trailing_dot": f"{item['move_name']}.",
        }[style]

    def memo_with(self, ref, partner, channel, ccy):
        rng = self.rng
        if channel == "home":
            template = rng.choice(
                [
                    "{r}",
                    "货款 {r}",
                    "支付货款{r}",
                    "货款{r}",
                    "贷款 {r}",
                    "{r} 货款",
                    "付{r}款",
                    "往来款 {r}",
                ]
            )
        elif self.field_format(partner, ccy, channel) == "sepa":
            template = rng.choice(
                [
                    "{r}",
                    "Rechnung {r}",
                    "RE {r}",
                    "Facture {r}",
                    "Fattura n. {r}",
                    "Betaling factuur {r}",
                    "Pago factura {r}",
                    "Invoice {r} Thank you",
                    "Payment {r}",
                ]
            )
        else:
            date = (
                datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(300))
            ).strftime("%y%m%d")
            template = rng.choice(
                [
                    "/INV/{r}/" + date,
                    "/RFB/{r}",
                    "PAYMENT {r}",
                    "INVOICE {r}",
                    "{r}",
                    "TT {r}",
                ]
            )
        return template.format(r=ref)

    def generic_memo(self, partner, channel, ccy):
        rng = self.rng
        if channel == "home":
            return rng.choice(
                ["货款", "支付货款", "贷款", "往来款", "网银转账", "", "采购款"]
            )
        if self.field_format(partner, ccy, channel) == "sepa":
            return rng.choice(
                ["Zahlung", "Payment", "Paiement", "Pagamento", "", "Invoice"]
            )
        return rng.choice(["PAYMENT FOR GOODS", "TT PAYMENT", "", "/RFB/NOTPROVIDED"])

    # -- lines -------------------------------------------------------------------

    def add_line(
        self, kind, currency, amount, payer_name, payer_account, label, **truth
    ):
        channel = truth.pop("channel", None) or self.channel_for(currency, kind)
        items = [self.item_by_id[i] for i in truth.get("applied", {})]
        last = max((i["date"] for i in items), default=datetime.date(2026, 7, 1))
        date = last + datetime.timedelta(days=self.rng.randint(3, 75))
        date = min(date, datetime.date(2026, 11, 30))
        line = {
            "id": 0,  # numbered once shuffled
            "date": date,
            "amount": amount,
            "currency": currency,
            "label": label,
            "note": "",
            "payer_name": payer_name or None,
            "payer_account": payer_account or None,
            "partner_id": None,
        }
        if channel == "fx":
            line["journal"] = "fx"
        if channel == "converted":
            bank_rate = (
                self.rate(HOME, date) / self.rate(currency, date) * (1 - 0.004)
            )  # CNY per unit, the bank's buying rate
            line["company_amount"] = (amount * Decimal(str(bank_rate))).quantize(
                CENT, ROUND_HALF_UP
            )
        self.used.update(truth.get("applied", {}))
        self.lines.append((line, Truth(kind=kind, channel=channel, **truth)))
        return line

    def build_lines(self):
        rng = self.rng
        quotas = {}
        for kind, share in KIND_SHARES.items():
            quotas[kind] = int(share * self.n_lines / 100)
        quotas["ref_exact"] += self.n_lines - sum(quotas.values())
        # the constructions that set amounts first, the others after
        order = ["ambiguous_twin", "ambiguous_subsets", "ambiguous_namesake"]
        order += [k for k in quotas if k not in order]
        for kind in order:
            make = getattr(self, f"make_{kind}")
            for _ in range(quotas[kind]):
                if not make() and not self.make_ref_exact():
                    # no fitting item left, not even a free invoice
                    self.make_missing_ref()
        rng.shuffle(self.lines)
        lines, truth = [], {}
        for index, (line, record) in enumerate(self.lines, 1):
            line["id"] = index
            lines.append(line)
            truth[index] = record
        return lines, truth

    # matchable kinds ------------------------------------------------------------

    def _single(self, kind, ref_style=None, fee=None, test=None, ref=True, payer=None):
        fee_amount = Decimal(0)
        for _ in range(10):
            item = self.pick_item(test)
            if item is None:
                return False
            fee_amount = fee(item) if fee else Decimal(0)
            if fee_amount is not None:
                break
        else:
            return False
        partner = self.partner_by_id[item["partner_id"]]
        currency = item["currency"]
        channel = self.channel_for(currency, kind)
        ccy = currency
        amount = item["amount_residual"]
        if payer:
            payer_name, payer_account = payer(partner, item)
        else:
            payer_name = self.payer_name(partner, channel, ccy)
            payer_account = self.payer_account(partner, channel, ccy)
        if ref:
            cited = ref(item) if callable(ref) else self.cite(item, ref_style)
            label = self.cut(
                self.memo_with(cited, partner, channel, ccy), partner, channel, ccy
            )
        else:
            label = self.cut(
                self.generic_memo(partner, channel, ccy), partner, channel, ccy
            )
        self.add_line(
            kind,
            currency,
            amount - fee_amount,
            payer_name,
            payer_account,
            label,
            applied={item["id"]: amount},
            fee=fee_amount,
        )
        return True

    def make_ref_exact(self):
        return self._single("ref_exact", "exact")

    def make_ref_mangled(self):
        return self._single("ref_mangled")

    def make_ref_customer_po(self):
        return self._single(
            "ref_customer_po",
            test=lambda i: bool(i["tx_refs"]),
            ref=lambda i: i["tx_refs"][0].replace(" ", self.rng.choice(["", " ", "-"])),
        )

    def make_ref_structured(self):
        return self._single(
            "ref_structured",
            test=lambda i: i["payment_ref"].startswith("RF"),
            ref=lambda i: (
                i["payment_ref"].replace(" ", "")
                if self.rng.random() < 0.6
                else i["payment_ref"]
            ),
        )

    def _no_ref_test(self, item, registered):
        partner = self.partner_by_id[item["partner_id"]]
        if registered != (partner.accounts[0] in self.partner_accounts):
            return False
        return self.unique_amount(item)

    def make_payer_name(self):
        item = self.pick_item(lambda i: self._no_ref_test(i, registered=False))
        if item is None:
            return False
        partner = self.partner_by_id[item["partner_id"]]
        channel = self.channel_for(item["currency"], "payer_name")
        ccy = item["currency"]
        account = self.payer_account(partner, channel, ccy)
        if account in self.partner_accounts:
            account = None
        self.add_line(
            "payer_name",
            item["currency"],
            item["amount_residual"],
            self.payer_name(partner, channel, ccy),
            account,
            self.cut(self.generic_memo(partner, channel, ccy), partner, channel, ccy),
            applied={item["id"]: item["amount_residual"]},
        )
        return True

    def make_payer_account(self):
        item = self.pick_item(lambda i: self._no_ref_test(i, registered=True))
        if item is None:
            return False
        partner = self.partner_by_id[item["partner_id"]]
        channel = self.channel_for(item["currency"], "payer_account")
        ccy = item["currency"]
        self.add_line(
            "payer_account",
            item["currency"],
            item["amount_residual"],
            self.payer_name(partner, channel, ccy),
            partner.accounts[0],
            self.cut(self.generic_memo(partner, channel, ccy), partner, channel, ccy),
            applied={item["id"]: item["amount_residual"]},
        )
        return True

    def _swift_route(self, item):
        """Whether ``item`` is paid by SWIFT to a foreign-currency account:
        the only route on which banks deduct their fees."""
        partner = self.partner_by_id[item["partner_id"]]
        return item["currency"] != HOME and (
            self.field_format(partner, item["currency"], "fx") == "swift"
        )

    def _fixed_fee(self, item):
        """The sending bank's fee (OUR/SHA), in the payment's currency."""
        fees = {
            "EUR": ["10", "12.50", "15", "20", "25", "30"],
            "USD": ["15", "20", "25", "30", "35", "40", "45"],
        }[item["currency"]]
        fee = Decimal(self.rng.choice(fees))
        if item["amount_residual"] < fee * 40:
            return None  # nobody wires small sums abroad
        return fee

    def _platform_fee(self, item):
        """A collection platform's commission, a percentage of the amount."""
        rate = Decimal(self.rng.choice(["0.003", "0.004", "0.007", "0.01"]))
        return (item["amount_residual"] * rate).quantize(CENT, ROUND_HALF_UP)

    def _intermediary_fee(self, item):
        """A correspondent's fee charged in USD (converted on a EUR payment)
        plus the receiving bank's own, charged in CNY, converted."""
        rng = self.rng
        usd = Decimal(rng.choice(["15", "18", "20", "25", "30", "35"]))
        cny = Decimal(rng.choice(["0", "0", "50", "80", "100"]))
        day = datetime.date(2026, 9, 15)
        code = item["currency"]
        per_usd = Decimal(str(self.rate(code, day) / self.rate("USD", day)))
        per_cny = Decimal(str(self.rate(code, day) / self.rate(HOME, day)))
        fee = (usd * per_usd + cny * per_cny).quantize(CENT, ROUND_HALF_UP)
        if item["amount_residual"] < fee * 40:
            return None
        return fee

    def make_fee_fixed(self):
        return self._single("fee_fixed", fee=self._fixed_fee, test=self._swift_route)

    def make_fee_percent(self):
        def platform(partner, item):
            return self.rng.choice(PLATFORMS[:4]), None

        def cite(item):
            partner = self.partner_by_id[item["partner_id"]]
            buyer = _swift_name(partner.english)[:18]
            return f"{self.cite(item, 'nosep')} {buyer}"

        return self._single(
            "fee_percent",
            fee=self._platform_fee,
            test=lambda i: i["currency"] != HOME,
            ref=cite,
            payer=platform,
        )

    def make_fee_intermediary(self):
        return self._single(
            "fee_intermediary", fee=self._intermediary_fee, test=self._swift_route
        )

    def make_fee_no_ref(self):
        def test(item):
            if not self._swift_route(item):
                return False
            amount = item["amount_residual"]
            low = amount * Decimal("0.95")
            near = [
                o
                for o in self.by_partner[item["partner_id"]]
                if o["currency"] == item["currency"]
                and low <= o["amount_residual"] <= amount / Decimal("0.95")
            ]
            return len(near) == 1

        return self._single("fee_no_ref", fee=self._fixed_fee, test=test, ref=False)

    def make_partial_ref(self):
        rng = self.rng
        item = self.pick_item(lambda i: i["amount_residual"] >= 200)
        if item is None:
            return False
        partner = self.partner_by_id[item["partner_id"]]
        residual = item["amount_residual"]
        roll = rng.random()
        if roll < 0.4:
            paid = residual * Decimal(rng.choice(["0.3", "0.5", "0.2", "0.4"]))
        elif roll < 0.65:
            step = Decimal(rng.choice([100, 500, 1000]))
            paid = (residual * Decimal("0.6") / step).to_integral_value() * step
        else:
            paid = residual * Decimal(rng.uniform(0.1, 0.9))
        paid = paid.quantize(CENT, ROUND_HALF_UP)
        if paid <= 0 or paid >= residual:
            return False
        channel = self.channel_for(item["currency"], "partial_ref")
        ccy = item["currency"]
        cited = self.cite(item, rng.choice(["exact", "nosep", "dash_short", "exact"]))
        if channel == "home":
            memo = rng.choice(
                ["首付款 {r}", "预付30% {r}", "{r} 第一期", "部分货款{r}", "{r}"]
            )
        else:
            memo = rng.choice(
                [
                    "PARTIAL PAYMENT {r}",
                    "1ST INSTALMENT {r}",
                    "Teilzahlung {r}",
                    "Acompte {r}",
                    "DEPOSIT {r}",
                    "{r}",
                ]
            )
        self.add_line(
            "partial_ref",
            item["currency"],
            paid,
            self.payer_name(partner, channel, ccy),
            self.payer_account(partner, channel, ccy),
            self.cut(memo.format(r=cited), partner, channel, ccy),
            applied={item["id"]: paid},
            partial=True,
        )
        return True

    def _group(self, size_low, size_high, test_partner=None):
        """Free invoices of one partner in one currency (2 or more)."""
        rng = self.rng
        for _ in range(40):
            first = self.pick_item()
            if first is None:
                return None
            mates = [
                i
                for i in self.by_partner[first["partner_id"]]
                if self._free(i) and i["currency"] == first["currency"]
            ]
            if len(mates) < 2:
                continue
            if test_partner and not test_partner(first, mates):
                continue
            size = min(len(mates), rng.randint(size_low, size_high))
            group = rng.sample(mates, size)
            if first not in group:
                group[0] = first
            return sorted(group, key=lambda i: i["id"])
        return None

    def cite_group(self, group, partner, channel, ccy):
        rng = self.rng
        style = rng.random()
        if style < 0.5:
            sep = rng.choice([", ", " ", "/", "+", ";", "、"])
            refs = sep.join(
                self.cite(i, rng.choice(["exact", "nosep", "dash_short"]))
                for i in group
            )
        elif style < 0.75:
            prefix, year, _n = group[0]["move_name"].split("/")
            nums = [i["move_name"].split("/")[2] for i in group]
            refs = f"{prefix}/{year}/{nums[0]}/" + "/".join(
                str(int(n)) for n in nums[1:]
            )
        else:
            nums = [str(int(i["move_name"].split("/")[2])) for i in group]
            refs = "inv " + ", ".join(nums)
        return self.cut(
            self.memo_with(refs, partner, channel, ccy), partner, channel, ccy
        )

    def make_group_ref(self):
        group = self._group(2, 5)
        if group is None:
            return False
        partner = self.partner_by_id[group[0]["partner_id"]]
        currency = group[0]["currency"]
        channel = self.channel_for(currency, "group_ref")
        ccy = currency
        total = sum(i["amount_residual"] for i in group)
        fee = Decimal(0)
        if channel != "home" and self.rng.random() < 0.25:
            fee = self._fixed_fee({"currency": currency, "amount_residual": total}) or 0
        self.add_line(
            "group_ref",
            currency,
            total - fee,
            self.payer_name(partner, channel, ccy),
            self.payer_account(partner, channel, ccy),
            self.cite_group(group, partner, channel, ccy),
            applied={i["id"]: i["amount_residual"] for i in group},
            fee=Decimal(fee),
        )
        return True

    def make_group_noref(self):
        def small(first, mates):
            pool = [
                i
                for i in self.by_partner[first["partner_id"]]
                if i["currency"] == first["currency"]
            ]
            return len(pool) <= 16

        for _ in range(10):
            group = self._group(2, 4, small)
            if group is None:
                return False
            pool = [
                i
                for i in self.by_partner[group[0]["partner_id"]]
                if i["currency"] == group[0]["currency"]
            ]
            total = sum(i["amount_residual"] for i in group)
            if _count_subsets(pool, total, cap=2) == 1:
                break
        else:
            return False
        partner = self.partner_by_id[group[0]["partner_id"]]
        channel = self.channel_for(group[0]["currency"], "group_noref")
        ccy = group[0]["currency"]
        self.add_line(
            "group_noref",
            group[0]["currency"],
            total,
            self.payer_name(partner, channel, ccy),
            self.payer_account(partner, channel, ccy),
            self.cut(self.generic_memo(partner, channel, ccy), partner, channel, ccy),
            applied={i["id"]: i["amount_residual"] for i in group},
        )
        return True

    def make_net_of_credit(self):
        rng = self.rng
        for _ in range(60):
            credit = self.items[rng.randrange(len(self.items))]
            if credit["kind"] != "credit_note" or credit["id"] in self.used:
                continue
            invoices = [
                i
                for i in self.by_partner[credit["partner_id"]]
                if self._free(i)
                and i["currency"] == credit["currency"]
                and i["amount_residual"] > -credit["amount_residual"]
            ]
            if not invoices:
                continue
            invoice = rng.choice(invoices)
            partner = self.partner_by_id[credit["partner_id"]]
            channel = self.channel_for(invoice["currency"], "net_of_credit")
            ccy = invoice["currency"]
            ref = self.cite(invoice, "exact")
            if rng.random() < 0.5:
                less = "扣" if channel == "home" else " less "
                ref = f"{ref}{less}{credit['move_name']}"
            self.add_line(
                "net_of_credit",
                invoice["currency"],
                invoice["amount_residual"] + credit["amount_residual"],
                self.payer_name(partner, channel, ccy),
                self.payer_account(partner, channel, ccy),
                self.cut(
                    self.memo_with(ref, partner, channel, ccy), partner, channel, ccy
                ),
                applied={
                    invoice["id"]: invoice["amount_residual"],
                    credit["id"]: credit["amount_residual"],
                },
            )
            return True
        return False

    def make_fx_converted(self):
        return self._single(
            "fx_converted",
            ref_style="exact",
            test=lambda i: i["currency"] != HOME,
        )

    def third_party(self, partner, item):
        rng = self.rng
        roll = rng.random()
        if roll < 0.25 and partner.region == "cn":
            return f"{partner.brand[0]}集团有限公司", "".join(
                str(rng.randrange(10)) for _ in range(19)
            )
        if roll < 0.45:
            other = rng.choice(self.partners)
            if other.id != partner.id and other.region == partner.region:
                channel = self.channel_for(item["currency"], "third_party_ref")
                ccy = item["currency"]
                return self.payer_name(other, channel, ccy), other.accounts[0]
        if roll < 0.6:
            person = rng.choice(PERSONS if partner.region == "cn" else EU_PERSONS)
            return person, "".join(str(rng.randrange(10)) for _ in range(16))
        return rng.choice(PLATFORMS), None

    def make_third_party_ref(self):
        item = self.pick_item()
        if item is None:
            return False
        partner = self.partner_by_id[item["partner_id"]]
        channel = self.channel_for(item["currency"], "third_party_ref")
        ccy = item["currency"]
        payer, account = self.third_party(partner, item)
        cited = self.cite(
            item, self.rng.choice(["exact", "nosep", "dash_short", "dash"])
        )
        if self.rng.random() < 0.3:
            cited = f"{cited} {partner.english if channel != 'home' else partner.short}"
        self.add_line(
            "third_party_ref",
            item["currency"],
            item["amount_residual"],
            payer,
            account,
            self.cut(
                self.memo_with(cited, partner, channel, ccy), partner, channel, ccy
            ),
            applied={item["id"]: item["amount_residual"]},
        )
        return True

    def _behalf(self, partner, channel, ccy):
        """(payer name, memo) of an agent paying for ``partner``."""
        rng = self.rng
        agent = rng.choice(PLATFORMS)
        if channel == "home":
            short = partner.short
            if len(self.namesakes.get(short, ())) > 1:
                short = partner.city[0] + short
            return agent, rng.choice(
                [f"代付{short}货款", f"代{short}付款", f"代付 {short}"]
            )
        customer = _swift_name(partner.english)
        if rng.random() < 0.5:
            return _swift_name(f"{agent[:14]} OBO {customer}"), "PAYMENT FOR GOODS"
        return agent, rng.choice(
            [f"ON BEHALF OF {customer}", f"OBO {customer}", f"FAO {customer}"]
        )

    def make_agent_onbehalf(self):
        item = self.pick_item(lambda i: self.unique_amount(i))
        if item is None:
            return False
        partner = self.partner_by_id[item["partner_id"]]
        channel = self.channel_for(item["currency"], "agent_onbehalf")
        ccy = item["currency"]
        payer, memo = self._behalf(partner, channel, ccy)
        self.add_line(
            "agent_onbehalf",
            item["currency"],
            item["amount_residual"],
            payer,
            None,
            self.cut(memo, partner, channel, ccy),
            applied={item["id"]: item["amount_residual"]},
        )
        return True

    # ambiguous by construction ----------------------------------------------

    def _twin(self, partner_test=None):
        """Two free invoices of one partner, the second given the first's
        amount.  Returns (first, second) or None."""
        rng = self.rng
        for _ in range(60):
            first = self.pick_item()
            if first is None:
                return None
            mates = [
                i
                for i in self.by_partner[first["partner_id"]]
                if self._free(i)
                and i is not first
                and i["currency"] == first["currency"]
            ]
            if not mates or (partner_test and not partner_test(first)):
                continue
            second = rng.choice(mates)
            second["amount_residual"] = first["amount_residual"]
            return first, second
        return None

    def make_ambiguous_twin(self):
        twin = self._twin()
        if twin is None:
            return False
        first, second = twin
        partner = self.partner_by_id[first["partner_id"]]
        channel = self.channel_for(first["currency"], "ambiguous_twin")
        ccy = first["currency"]
        self.add_line(
            "ambiguous_twin",
            first["currency"],
            first["amount_residual"],
            self.payer_name(partner, channel, ccy),
            self.payer_account(partner, channel, ccy),
            self.cut(self.generic_memo(partner, channel, ccy), partner, channel, ccy),
            applied={first["id"]: first["amount_residual"]},
            alternatives=[frozenset([second["id"]])],
        )
        self.used.add(second["id"])
        return True

    def make_ambiguous_subsets(self):
        twin = self._twin()
        if twin is None:
            return False
        first, second = twin
        mates = [
            i
            for i in self.by_partner[first["partner_id"]]
            if self._free(i) and i not in twin and i["currency"] == first["currency"]
        ]
        if not mates:
            self.used.update([first["id"], second["id"]])  # twins stay open
            return False
        third = self.rng.choice(mates)
        partner = self.partner_by_id[first["partner_id"]]
        channel = self.channel_for(first["currency"], "ambiguous_subsets")
        ccy = first["currency"]
        self.add_line(
            "ambiguous_subsets",
            first["currency"],
            first["amount_residual"] + third["amount_residual"],
            self.payer_name(partner, channel, ccy),
            self.payer_account(partner, channel, ccy),
            self.cut(self.generic_memo(partner, channel, ccy), partner, channel, ccy),
            applied={
                first["id"]: first["amount_residual"],
                third["id"]: third["amount_residual"],
            },
            alternatives=[frozenset([second["id"], third["id"]])],
        )
        self.used.add(second["id"])
        return True

    def make_ambiguous_namesake(self):
        rng = self.rng
        pairs = [v for v in self.namesakes.values() if len(v) > 1]
        rng.shuffle(pairs)
        for pair in pairs:
            one, two = rng.sample(pair, 2)
            free_one = [
                i
                for i in self.by_partner[one.id]
                if self._free(i) and i["currency"] == HOME
            ]
            free_two = [
                i
                for i in self.by_partner[two.id]
                if self._free(i) and i["currency"] == HOME
            ]
            if not free_one or not free_two:
                continue
            first, second = rng.choice(free_one), rng.choice(free_two)
            second["amount_residual"] = first["amount_residual"]
            agent = rng.choice(PLATFORMS)
            self.add_line(
                "ambiguous_namesake",
                HOME,
                first["amount_residual"],
                agent,
                None,
                _gbk_cut(f"代付{one.short}货款", 40),
                applied={first["id"]: first["amount_residual"]},
                alternatives=[frozenset([second["id"]])],
            )
            self.used.add(second["id"])
            return True
        return False

    # not customer money ------------------------------------------------------

    def _noise(self, kind, amount, payer, label, currency=HOME, account=None):
        self.add_line(kind, currency, amount, payer, account, label)
        return True

    def make_bank_fee(self):
        rng = self.rng
        currency = rng.choice([HOME, HOME, "EUR", "USD"])
        label = {
            "CNY": [
                "手续费",
                "账户管理费",
                "短信通知服务费",
                "网银年费",
                "跨行汇款手续费",
            ],
            "EUR": [
                "Kontoführungsgebühr",
                "SWIFT CHARGES",
                "Account fee",
                "Frais bancaires",
            ],
            "USD": ["SWIFT CHARGES", "CABLE CHARGE", "COMMISSION"],
        }[currency]
        channel = "home" if currency == HOME else "fx"
        amount = -Decimal(rng.choice(["2", "5", "10", "15", "20", "25", "50", "100"]))
        return self._noise(
            "bank_fee",
            amount,
            rng.choice(["中国工商银行", "招商银行", ""]) if channel == "home" else "",
            rng.choice(label),
            currency,
        )

    def make_salary(self):
        rng = self.rng
        month = rng.randint(1, 11)
        label = rng.choice(
            [f"代发工资 2026-{month:02d}", "工资", f"SALARY {month:02d}/2026 BATCH"]
        )
        return self._noise("salary", -self.money(50000, 900000), "", label)

    def make_tax(self):
        rng = self.rng
        if rng.random() < 0.2:
            return self._noise(
                "tax",
                -self.money(500, 20000),
                "BUNDESZENTRALAMT FUER STEUERN",
                "OSS VAT Q3 2026",
                "EUR",
            )
        label = rng.choice(
            ["增值税", "企业所得税", "个人所得税代扣", "城建税及附加", "社会保险费"]
        )
        return self._noise(
            "tax", -self.money(2000, 300000), "国家金库上海市分库", label
        )

    def make_supplier_payment(self):
        rng = self.rng
        supplier = (
            f"{rng.choice(CN_CITIES)[0]}{rng.choice(CN_BRANDS)[0]}原料供应有限公司"
        )
        return self._noise(
            "supplier_payment",
            -self.money(1000, 500000),
            supplier,
            rng.choice(["采购款", "材料款", f"PO-2026-{rng.randint(100, 999)}"]),
        )

    def _income(self):
        rng = self.rng
        return rng.choice(
            [
                ("中国工商银行上海分行", "结息"),
                ("国家金库上海市分库", "出口退税"),
                ("中国平安财产保险股份有限公司", "理赔款"),
                ("上海市人力资源和社会保障局", "稳岗补贴"),
                ("本公司", "内部转账 自有账户"),
                ("上海恒源原料供应有限公司", "退货退款"),
            ]
        )

    def make_other_income(self):
        payer, label = self._income()
        return self._noise("other_income", self.money(10, 200000), payer, label)

    def make_decoy_amount(self):
        target = self.pick_item(lambda i: i["currency"] == HOME) or self.pick_item()
        if target is None:
            return False
        payer, label = self._income()
        currency = target["currency"]
        if currency != HOME:
            payer, label = "INSURANCE CLAIMS DEPT", "CLAIM SETTLEMENT"
        return self._noise(
            "decoy_amount", target["amount_residual"], payer, label, currency
        )

    def make_decoy_similar_name(self):
        target = self.pick_item(
            lambda i: (
                self.partner_by_id[i["partner_id"]].region == "cn"
                and i["currency"] == HOME
            )
        )
        if target is None:
            return False
        partner = self.partner_by_id[target["partner_id"]]
        supplier = f"{partner.city[0]}{partner.brand[0]}原料供应有限公司"
        label = self.rng.choice(["退款", "退货款", "多付款退回"])
        return self._noise(
            "decoy_similar_name", target["amount_residual"], supplier, label
        )

    def make_missing_ref(self):
        rng = self.rng
        year = rng.choice([2024, 2026])
        number = rng.randint(90000, 99999) if year == 2026 else rng.randint(1, 999)
        ref = f"INV/{year}/{number:05d}"
        payer = rng.choice(["UNKNOWN REMITTER", "杭州某某贸易有限公司", "Jean Martin"])
        return self._noise(
            "missing_ref",
            self.money(300, 30000),
            payer,
            rng.choice([ref, f"货款 {ref}", f"Invoice {ref}"]),
        )

    def make_advance_payment(self):
        rng = self.rng
        partner = rng.choice(self.partners)
        currency = partner.currency
        amounts = {i["amount_residual"] for i in self.by_partner.get(partner.id, [])}
        amount = self.amount_for(currency)
        while amount in amounts:
            amount += CENT
        channel = self.channel_for(currency, "advance_payment")
        ccy = currency
        proforma = f"PI-2026-{rng.randint(100, 999)}"
        memo = rng.choice(
            [f"预付款 {proforma}", f"ADVANCE {proforma}", f"Vorauskasse {proforma}"]
        )
        line = self.add_line(
            "advance_payment",
            currency,
            amount,
            self.payer_name(partner, channel, ccy),
            self.payer_account(partner, channel, ccy),
            self.cut(memo, partner, channel, ccy),
        )
        return bool(line)


def _iban(country, bban):
    """An IBAN with valid check digits (ISO 13616, mod 97)."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(digits) % 97
    return f"{country}{check:02d}{bban}"


def _rf_reference(number):
    """An ISO 11649 creditor reference, printed in groups of four."""
    body = str(number)
    digits = "".join(str(int(c, 36)) for c in body + "RF00")
    check = 98 - int(digits) % 97
    ref = f"RF{check:02d}{body}"
    return " ".join(ref[i : i + 4] for i in range(0, len(ref), 4))


def _swift_name(name):
    """Field 50K: upper case, SWIFT character set, one line of 35."""
    text = _ascii(name.translate(SEPA_MAP)).upper()
    text = "".join(c if c.isalnum() or c in " -/?:().,+" else " " for c in text)
    text = text.replace(".", "").replace(",", "")
    return " ".join(text.split())[:35].rstrip()


def _count_subsets(pool, total, cap=2):
    """How many subsets of ``pool`` sum to ``total`` (counted up to ``cap``)."""
    counts = {Decimal(0): 1}
    for item in pool:
        amount = item["amount_residual"]
        new = dict(counts)
        for value, count in counts.items():
            key = value + amount
            new[key] = min(cap, new.get(key, 0) + count)
        counts = new
    return counts.get(total, 0)


def build(seed, n_lines, n_items):
    """The world: lines, items, accounts on file, the truth and the rates."""
    builder = _Builder(seed, n_lines, n_items)
    builder.build_partners()
    builder.build_items()
    lines, truth = builder.build_lines()
    return World(lines, builder.items, builder.partner_accounts, truth, builder.rates)


def generate(seed, n_lines, n_items):
    """``(lines, items, partner_accounts, truth)`` as ``matching_dataset``."""
    return build(seed, n_lines, n_items).as_tuple()
