"""Deterministic messy reconciliation dataset for benchmarks and tests.

``generate(seed, n_lines, n_items)`` builds partners, open items and bank
lines with the mess met in real statements:

* references typed differently: case, spaces / dashes instead of slashes,
  separators removed, leading zeros dropped, prefix missing, only the
  sequence number, order or transaction reference instead of the invoice;
* payer names differing from partner names: upper case, legal suffix
  dropped or changed, initials (``IBM``), full-width characters, Chinese
  names without city or 有限公司, missing names; and (``printed_names``)
  as banks print them: city in brackets, 集团, pinyin and English forms,
  cut at the field width (18, 20, 35, 40 characters), agents paying on
  behalf of the customer (代付, OBO), European names with umlauts and
  accents in SEPA's character set (Müller -> MUELLER, Société -> SOCIETE);
* payments without reference (name + amount, or known payer account,
  printed in groups of four, whole, as the IBAN's domestic number, or
  masked but for its first six and last four or its last four digits),
  fees deducted by banks or gateways, grouped payments for several
  invoices, partial payments, refunds of credit notes;
* what real statements show besides (``net_credit``, ``fee_noref``,
  ``agent``, ``group``): a customer paying an invoice less its own open
  credit note (citing the invoice, sometimes the credit note too); a fee
  deducted from a payment without any reference (the payer known by name
  or account); a collection platform or an export agent paying in its own
  name with the customer named in the memo (OBO / 代付 / FAO), no
  reference; several invoices cited the ways banks print a list: comma,
  slash, plus, 、 or spaces between full references, a compact form
  (``INV/2026/00042/43/47``, ``inv 42, 43, 47``), a list cut at the
  memo's field width (the last references lost or half printed), some
  net of a bank fee;
* deliberate ambiguity: a customer with two open invoices of the same
  amount paid without reference (the right answer can only be suggested);
* payments identified by amount only (unknown payer);
* noise: bank fees, salaries, taxes, interest (truth ``None``);
* several currencies (EUR, USD, CNY).

``truth`` maps each line id to a frozenset of item ids, or None for noise.
``evaluate(decisions, truth)`` returns the quality figures of a run.
"""

import datetime
import random
from decimal import Decimal

CURRENCIES = ("EUR", "USD", "CNY")
WEST_WORDS = (
    "Acme Global Nordic Alpine Atlas Blue River Summit Pioneer Golden Union "
    "Vertex Orion Delta Harbor Maple Silver Eagle Crown Falcon Prime Metro "
    "Coastal Northern Southern Royal Apex Zenith Liberty Sterling Lotus Cedar "
    "Müller Nordström Société Générale Zürich Crème Böhm Åkesson"
).split()
WEST_TRADES = (
    "Trading Logistics Foods Textiles Systems Electronics Furniture Motors "
    "Pharma Packaging Industries Consulting Software Supplies Retail Optics"
).split()
WEST_SUFFIX = (
    "Ltd",
    "Limited",
    "GmbH",
    "S.A.",
    "SARL",
    "B.V.",
    "Inc.",
    "LLC",
    "Co., Ltd.",
    "",
)
FIRST_NAMES = (
    "Anna",
    "Marco",
    "Li",
    "Hans",
    "Maria",
    "John",
    "Sofia",
    "Pierre",
    "Elena",
    "David",
)
LAST_NAMES = (
    "Schmidt",
    "Rossi",
    "Wei",
    "Muller",
    "Garcia",
    "Smith",
    "Dubois",
    "Novak",
    "Berg",
    "Keller",
)
CN_CITIES = ("上海", "北京", "深圳", "广州", "杭州", "苏州", "成都", "南京")
CN_CORES = (
    "华达",
    "鑫源",
    "恒通",
    "佳禾",
    "宏远",
    "瑞丰",
    "金桥",
    "天成",
    "博雅",
    "永盛",
    "海纳",
    "中信达",
)
CN_TRADES = ("贸易", "科技", "电子", "物流", "食品", "纺织", "机械", "医药")
CN_SUFFIX = ("有限公司", "有限责任公司", "股份有限公司")
ROUND_AMOUNTS = (
    50,
    100,
    120,
    150,
    200,
    250,
    300,
    400,
    500,
    750,
    1000,
    1200,
    1500,
    2000,
    2500,
    5000,
)
NOISE_LABELS = (
    ("BANK FEES SEPTEMBER", -1),
    ("Account maintenance fee", -1),
    ("SALARY PAYMENT SEPT", -1),
    ("Payroll batch 2026-09", -1),
    ("VAT PAYMENT Q3", -1),
    ("Income tax advance", -1),
    ("INTEREST CREDIT", 1),
    ("手续费", -1),
    ("代发工资", -1),
    ("税款缴纳", -1),
    ("利息收入", 1),
)
FRAMES = (
    "{ref}",
    "Payment {ref}",
    "INVOICE {ref} THANK YOU",
    "SEPA CT /REF {ref} /NAME {payer}",
    "货款 {ref}",
    "{payer} {ref}",
    "pmt for {ref}",
)


def _money(cents):
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _partner_name(rng):
    roll = rng.random()
    if roll < 0.55:
        words = [rng.choice(WEST_WORDS), rng.choice(WEST_TRADES)]
        if rng.random() < 0.3:
            words.insert(1, rng.choice(WEST_WORDS))
        suffix = rng.choice(WEST_SUFFIX)
        return " ".join(words + ([suffix] if suffix else [])), "west"
    if roll < 0.8:
        name = (
            rng.choice(CN_CITIES)
            + rng.choice(CN_CORES)
            + rng.choice(CN_TRADES)
            + rng.choice(CN_SUFFIX)
        )
        return name, "cn"
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "person"


def _payer_variant(rng, name, style):
    """A payer name as a bank would print it."""
    roll = rng.random()
    if roll < 0.04:
        return ""
    if style == "cn":
        if roll < 0.45:
            return name
        for suffix in ("股份有限公司", "有限责任公司", "有限公司"):
            if name.endswith(suffix):
                core = name[: -len(suffix)]
                break
        return core[2:] if roll < 0.75 else core
    if style == "person":
        first, last = name.split()
        return (
            f"{last} {first}".upper()
            if roll < 0.4
            else name.upper()
            if roll < 0.7
            else name
        )
    words = [
        w
        for w in name.replace(",", "").split()
        if w.rstrip(".")
        not in ("Ltd", "Limited", "GmbH", "S.A", "SARL", "B.V", "Inc", "LLC", "Co")
    ]
    if roll < 0.35:
        return name.upper()
    if roll < 0.6:
        return " ".join(words)
    if roll < 0.72:
        return " ".join(words) + " LIMITED"
    if roll < 0.82:
        return "".join(w[0] for w in words).upper()
    if roll < 0.9:
        return "".join(
            chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000"
            for c in " ".join(words)
        )
    return name


def _mess_ref(rng, ref):
    """The same reference as a human would type it."""
    roll = rng.random()
    if roll < 0.25:
        return ref
    if roll < 0.4:
        return ref.lower()
    if roll < 0.52:
        return ref.replace("/", " ")
    if roll < 0.64:
        return ref.replace("/", "-")
    if roll < 0.74:
        return ref.replace("/", "")
    if roll < 0.84:
        head, _sep, tail = ref.rpartition("/")
        return f"{head}/{tail.lstrip('0')}" if head else ref[0] + ref[1:].lstrip("0")
    if roll < 0.94:
        return ref.split("/", 1)[1] if "/" in ref else ref[1:]
    return ref.rsplit("/", 1)[-1].lstrip("0") if "/" in ref else ref


def _build_partners(rng, n_partners):
    partners = []
    for pid in range(1, n_partners + 1):
        name, style = _partner_name(rng)
        if style == "cn":
            currency = "CNY" if rng.random() < 0.9 else "USD"
        else:
            currency = rng.choices(CURRENCIES, (0.78, 0.2, 0.02))[0]
        account = f"DE{rng.randrange(10**19, 10**20)}" if rng.random() < 0.6 else None
        if account and style == "cn":
            # a Chinese bank card or account number (19 digits), no IBAN
            account = "62" + account[4:21]
        partners.append(
            {
                "id": pid,
                "name": name,
                "style": style,
                "currency": currency,
                "account": account,
            }
        )
    return partners


def _build_items(rng, partners, n_items):
    cum, acc = [], 0.0
    for i in range(len(partners)):
        acc += 1.0 / (i + 40)
        cum.append(acc)
    items = []
    by_partner = {}
    for seq in range(1, n_items + 1):
        partner = rng.choices(partners, cum_weights=cum)[0]
        siblings = by_partner.setdefault(partner["id"], [])
        if siblings and rng.random() < 0.02:
            cents = siblings[-1]["cents"]  # twin amount: ambiguity source
        elif rng.random() < 0.12:
            cents = rng.choice(ROUND_AMOUNTS) * 100
        else:
            cents = rng.randrange(2000, 800000)
        credit_note = rng.random() < 0.05
        date = datetime.date(2026, 1, 1) + datetime.timedelta(
            days=rng.randrange(0, 260)
        )
        year = date.year
        item = {
            "id": seq,
            "partner_id": partner["id"],
            "partner_name": partner["name"],
            "move_name": f"{'RINV' if credit_note else 'INV'}/{year}/{seq:05d}",
            "payment_ref": "",
            "order_refs": [f"S{seq + 10000:05d}"]
            if not credit_note and rng.random() < 0.6
            else [],
            "tx_refs": [],
            "amount_residual": _money(-cents if credit_note else cents),
            "currency": partner["currency"],
            "date": date,
            "date_maturity": date + datetime.timedelta(days=30),
            "kind": "credit_note" if credit_note else "invoice",
            "cents": cents,
        }
        if item["order_refs"] and rng.random() < 0.3:
            item["tx_refs"] = [f"{item['order_refs'][0]}-{rng.randrange(1, 3)}"]
        items.append(item)
        siblings.append(item)
    return items, by_partner


def _cite(rng, item):
    """Reference the payer cites for ``item``."""
    roll = rng.random()
    if item["order_refs"] and roll < 0.2:
        return _mess_ref(rng, item["order_refs"][0])
    if item["tx_refs"] and roll < 0.28:
        return item["tx_refs"][0]
    return _mess_ref(rng, item["move_name"])


def _label(rng, refs, payer):
    frame = rng.choice(FRAMES)
    return frame.format(ref=" ".join(refs), payer=payer or "").strip()


SCENARIOS = (
    ("ref", 0.47),
    ("net_credit", 0.02),
    ("fee_noref", 0.02),
    ("agent", 0.02),
    ("name", 0.09),
    ("account", 0.07),
    ("fee", 0.07),
    ("group", 0.07),
    ("partial", 0.015),
    ("ambiguous", 0.02),
    ("refund", 0.025),
    ("amount_only", 0.005),
    ("noise", 0.05),
)


def generate(seed, n_lines, n_items, printed_names=True):
    """Build ``(lines, items, partner_accounts, truth)`` deterministically.

    ``printed_names``: about a third of the payer names are then printed as
    banks print them abroad and in China (``_printed_name``), drawn from a
    second random stream so that everything else stays the same."""
    rng = random.Random(seed)
    partners = _build_partners(rng, max(20, n_items // 8))
    pmap = {p["id"]: p for p in partners}
    items, by_partner = _build_items(rng, partners, n_items)
    partner_accounts = {p["account"]: p["id"] for p in partners if p["account"]}
    used = set()
    invoices = [it for it in items if it["kind"] == "invoice"]
    credit_notes = [it for it in items if it["kind"] == "credit_note"]
    rng.shuffle(invoices)
    rng.shuffle(credit_notes)
    twins = [
        (a, b)
        for group in by_partner.values()
        for a, b in zip(group, group[1:], strict=False)
        if a["cents"] == b["cents"] and a["kind"] == b["kind"] == "invoice"
    ]
    rng.shuffle(twins)
    names, probs = zip(*SCENARIOS, strict=True)
    lines, truth = [], {}

    def take(pool):
        while pool:
            item = pool.pop()
            if item["id"] not in used:
                used.add(item["id"])
                return item
        return None

    for line_id in range(1, n_lines + 1):
        scenario = rng.choices(names, probs)[0]
        line = _make_line(
            rng,
            scenario,
            line_id,
            take,
            invoices,
            credit_notes,
            twins,
            by_partner,
            pmap,
            used,
        )
        if line is None:
            scenario = "ref"
            line = _make_line(
                rng,
                "ref",
                line_id,
                take,
                invoices,
                credit_notes,
                twins,
                by_partner,
                pmap,
                used,
            )
        line, truth_ids = line
        line["kind"] = scenario
        lines.append(line)
        truth[line_id] = truth_ids
    if printed_names:
        _print_names(random.Random(seed + 104729), lines, items, pmap, truth)
    for item in items:
        item.pop("cents")
    return lines, items, partner_accounts, truth


# Pinyin and English of the Chinese name parts (written by hand, not by the
# engine's tables).
CITY_PINYIN = {
    "上海": "Shanghai",
    "北京": "Beijing",
    "深圳": "Shenzhen",
    "广州": "Guangzhou",
    "杭州": "Hangzhou",
    "苏州": "Suzhou",
    "成都": "Chengdu",
    "南京": "Nanjing",
}
CORE_PINYIN = {
    "华达": "Huada",
    "鑫源": "Xinyuan",
    "恒通": "Hengtong",
    "佳禾": "Jiahe",
    "宏远": "Hongyuan",
    "瑞丰": "Ruifeng",
    "金桥": "Jinqiao",
    "天成": "Tiancheng",
    "博雅": "Boya",
    "永盛": "Yongsheng",
    "海纳": "Haina",
    "中信达": "Zhongxinda",
}
TRADE_FORMS = {
    "贸易": ("Maoyi", "Trading"),
    "科技": ("Keji", "Technology"),
    "电子": ("Dianzi", "Electronics"),
    "物流": ("Wuliu", "Logistics"),
    "食品": ("Shipin", "Foods"),
    "纺织": ("Fangzhi", "Textiles"),
    "机械": ("Jixie", "Machinery"),
    "医药": ("Yiyao", "Pharmaceutical"),
}
AGENTS = ("PAYONEER OBO", "WISE PAYMENTS ON BEHALF OF", "ABC SERVICES LTD O/B/O")
CN_AGENTS = ("张伟", "李娜", "深圳市某某供应链有限公司")


def _cn_parts(name):
    """(city, core, trade, suffix) of a generated Chinese name."""
    suffix = next(
        s for s in sorted(CN_SUFFIX, key=len, reverse=True) if name.endswith(s)
    )
    middle = name[2 : -len(suffix)]
    return name[:2], middle[:-2], middle[-2:], suffix


def _printed_name(rng, partner):
    """The partner's name as a bank prints it: Chinese names with the city
    in brackets or 集团, in pinyin or English (SWIFT, upper case, cut at 35
    characters), cut at the field width, paid by an agent (代付, OBO)."""
    name = partner["name"]
    roll = rng.random()
    if partner["style"] == "cn":
        city, core, trade, suffix = _cn_parts(name)
        pinyin, english = TRADE_FORMS[trade]
        city_py, core_py = CITY_PINYIN[city], CORE_PINYIN[core]
        forms = (
            f"{core}{trade}（{city}）{suffix}",
            f"{city}{core}{trade}集团有限公司",
            f"{city_py} {core_py} {pinyin} Youxian Gongsi".upper()[:35],
            f"{city_py} {core_py} {english} Co., Ltd.".upper()[:35],
            f"{core_py} {english} ({city_py}) Co Ltd".upper(),
            f"{rng.choice(CN_AGENTS)}代付{name}",
            name[:8],
        )
        return forms[int(roll * len(forms))]
    upper = name.upper().replace(",", "").replace(".", "")
    forms = (
        upper[:20],
        upper[:18],
        f"{rng.choice(AGENTS)} {upper}"[:40],
        name.lower(),
        _sepa(rng, name)[:70],
    )
    return forms[int(roll * len(forms))]


SEPA_LETTERS = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "AE", "Ö": "OE"}
SEPA_LETTERS.update({"Ü": "UE", "é": "e", "è": "e", "É": "E", "å": "a", "Å": "A"})


def _sepa(rng, name):
    """A name in SEPA's character set: umlauts written out, accents lost,
    '&' as '+' or 'AND', often upper case."""
    text = "".join(SEPA_LETTERS.get(c, c) for c in name)
    text = text.replace("&", rng.choice(("+", "AND")))
    return text.upper() if rng.random() < 0.6 else text


def _print_names(rng, lines, items, pmap, truth):
    partner_of = {item["id"]: item["partner_id"] for item in items}
    for line in lines:
        answer = truth.get(line["id"])
        roll = rng.random()
        if (
            not answer
            or not line["payer_name"]
            or line["kind"] == "amount_only"  # an unknown payer
            or roll >= 0.33
        ):
            continue
        partner = pmap[partner_of[min(answer)]]
        line["payer_name"] = _printed_name(rng, partner)


def _make_line(
    rng, scenario, line_id, take, invoices, credit_notes, twins, by_partner, pmap, used
):
    def base(item, cents, label, with_name=True):
        partner = pmap[item["partner_id"]]
        return {
            "id": line_id,
            "date": item["date"] + datetime.timedelta(days=rng.randrange(0, 45)),
            "amount": _money(cents),
            "currency": item["currency"],
            "label": label,
            "note": "",
            "payer_name": _payer_variant(rng, partner["name"], partner["style"])
            if with_name
            else "",
            "payer_account": None,
            "partner_id": None,
        }

    if scenario == "noise":
        text, sign = rng.choice(NOISE_LABELS)
        line = {
            "id": line_id,
            "date": datetime.date(2026, 9, rng.randrange(1, 29)),
            "amount": _money(
                sign
                * rng.choice(
                    (rng.randrange(100, 300000), rng.choice(ROUND_AMOUNTS) * 100)
                )
            ),
            "currency": rng.choice(CURRENCIES),
            "label": text,
            "note": "",
            "payer_name": rng.choice(("", "BANK", "Tax Office", "国家税务局")),
            "payer_account": None,
            "partner_id": None,
        }
        return line, None
    if scenario == "refund":
        item = take(credit_notes)
        if item is None:
            return None
        line = base(
            item, -item["cents"], _label(rng, [_cite(rng, item)], ""), with_name=False
        )
        return line, frozenset({item["id"]})
    if scenario == "ambiguous":
        while twins:
            a, b = twins.pop()
            if a["id"] not in used and b["id"] not in used:
                used.add(a["id"])
                used.add(b["id"])  # the twin stays open but is not paid elsewhere
                line = base(
                    a, a["cents"], rng.choice(("TRANSFER", "Payment", "货款", ""))
                )
                return line, frozenset({a["id"]})
        return None
    if scenario == "group":
        first = take(invoices)
        if first is None:
            return None
        group = [
            it
            for it in by_partner[first["partner_id"]]
            if it["id"] not in used
            and it["kind"] == "invoice"
            and abs((it["date"] - first["date"]).days) <= 20
        ]
        group.sort(key=lambda it: abs((it["date"] - first["date"]).days))
        chosen = [first] + group[: rng.randrange(1, 4)]
        if len(chosen) < 2:
            used.discard(first["id"])
            invoices.insert(0, first)
            return None
        used.update(it["id"] for it in chosen)
        total = sum(it["cents"] for it in chosen)
        cite = rng.random() < 0.7
        label = (
            _group_label(rng, chosen)
            if cite
            else rng.choice(("Payment invoices", "Sammelzahlung", "货款"))
        )
        if cite and rng.random() < 0.25:
            # a bank fee deducted from the grouped payment
            total -= min(rng.choice((1000, 1500, 2500)), total * 3 // 100)
        line = base(first, total, label)
        if not cite and rng.random() < 0.5 and pmap[first["partner_id"]]["account"]:
            line["payer_account"] = pmap[first["partner_id"]]["account"]
        return line, frozenset(it["id"] for it in chosen)
    if scenario == "net_credit":
        return _net_credit_line(rng, take, credit_notes, by_partner, used, base)
    item = take(invoices)
    if item is None:
        return None
    line = _single_line(rng, scenario, item, pmap[item["partner_id"]], base)
    return None if line is None else (line, frozenset({item["id"]}))


def _printed_account(draw, account):
    """``account`` as a statement prints it, by ``draw`` in [0, 1): in
    groups of four, whole, the domestic number of an IBAN without its
    leading zeros, masked but for its first six and last four characters,
    or but for its last four (the last a hint only)."""
    if draw < 0.3:
        return " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    if draw < 0.6:
        return account
    if draw < 0.75 and account[:2].isalpha():
        return account[4:].lstrip("0")
    if draw < 0.9:
        return account[:6] + "*" * (len(account) - 10) + account[-4:]
    return "****" + account[-4:]


def _single_line(rng, scenario, item, partner, base):
    """A line paying one invoice in the way ``scenario`` says (or None)."""
    cents = item["cents"]
    if scenario == "ref":
        line = base(item, cents, _label(rng, [_cite(rng, item)], ""))
    elif scenario == "name":
        line = base(
            item, cents, rng.choice(("TRANSFER", "Payment", "Zahlung", "货款", ""))
        )
        if not line["payer_name"]:
            line["payer_name"] = partner["name"]
    elif scenario == "account":
        if not partner["account"]:
            return None
        line = base(
            item,
            cents,
            rng.choice(("TRANSFER", "SEPA CT", "")),
            with_name=rng.random() < 0.5,
        )
        line["payer_account"] = _printed_account(rng.random(), partner["account"])
    elif scenario == "fee":
        fee = rng.choice(
            (1500, 1000, 2500, 30 + cents * 29 // 1000, 30 + cents * 34 // 1000)
        )
        fee = min(fee, max(500, cents * 35 // 1000))
        line = base(item, cents - fee, _label(rng, [_cite(rng, item)], ""))
    elif scenario == "partial":
        share = rng.choice((30, 40, 50, 60, 70))
        line = base(
            item, cents * share // 100, _label(rng, [_cite(rng, item)], "") + " partial"
        )
    elif scenario == "fee_noref":
        # a bank or gateway fee deducted, no reference: the payer known by
        # its name, or by its account when on file
        fee = rng.choice((1000, 1500, 2500, 30 + cents * 29 // 1000))
        fee = min(fee, max(500, cents * 30 // 1000))
        line = base(item, cents - fee, rng.choice(("TRANSFER", "Payment", "货款", "")))
        if partner["account"] and rng.random() < 0.4:
            line["payer_account"] = partner["account"]
        elif not line["payer_name"]:
            line["payer_name"] = partner["name"]
    elif scenario == "agent":
        # a platform or agent pays in its own name and names the customer
        line = base(item, cents, "", with_name=False)
        agent, frame = rng.choice(AGENT_MEMOS)
        line["payer_name"] = agent
        line["label"] = frame.format(name=_memo_name(rng, partner))
    else:  # amount_only: unknown payer, odd amount
        if cents % 100 == 0:
            return None
        line = base(item, cents, "TRANSFER", with_name=False)
        line["payer_name"] = rng.choice(
            ("K. TANAKA", "PRIVATE TRANSFER", "王小明", "J. DOE")
        )
    return line


AGENT_MEMOS = (
    ("XTRANSFER LIMITED", "OBO {name} PAYMENT"),
    ("PINGPONG GLOBAL SOLUTIONS", "ON BEHALF OF {name}"),
    ("LIANLIAN GLOBAL", "o.b.o. {name}"),
    ("PAYONEER INC", "PAYMENT FOR {name}"),
    ("深圳一达通企业服务有限公司", "代付 {name} 货款"),
    ("张伟", "代{name}付款"),
)


def _memo_name(rng, partner):
    """The customer's name as an agent writes it in the memo."""
    name = partner["name"]
    if partner["style"] == "cn":
        _city, core, trade, _suffix = _cn_parts(name)
        return rng.choice((name, core + trade, name[2:]))
    return rng.choice((name, name.upper().replace(",", "").replace(".", "")))


def _group_label(rng, chosen):
    """Several invoices cited as banks print a list: separated by comma,
    slash, plus, 、 or spaces, in a compact form (the common head once,
    then the last digits), possibly cut at the memo's field width."""
    names = [it["move_name"] for it in chosen]
    roll = rng.random()
    if roll < 0.35:
        sep = rng.choice((" ", ", ", ",", "/", " + ", "+", "、", "; "))
        refs = [_mess_ref(rng, n) if rng.random() < 0.4 else n for n in names]
        text = sep.join(refs)
    elif roll < 0.55:
        # INV/2026/00042/43/47: the full first one, then the digits that
        # differ
        first = names[0]
        tails = [n.rsplit("/", 1)[1] for n in names[1:]]
        head = first.rsplit("/", 1)[1]
        short = [t[len(head) - len(t.lstrip("0")) :].lstrip("0") or t for t in tails]
        text = first + "/" + "/".join(short)
    elif roll < 0.75:
        # inv 42, 43, 47: the sequence numbers only
        word = rng.choice(("inv", "INV", "Invoices", "Rechnungen", "发票"))
        numbers = [n.rsplit("/", 1)[1].lstrip("0") for n in names]
        text = f"{word} " + rng.choice((", ", " ", "/", "、")).join(numbers)
    else:
        text = " ".join(names)
    frame = rng.choice(("{ref}", "Payment {ref}", "货款 {ref}", "pmt for {ref}"))
    label = frame.format(ref=text)
    if rng.random() < 0.4 and len(label) > 35:
        label = label[: rng.choice((35, 40))]  # cut at the field width
    return label


def _net_credit_line(rng, take, credit_notes, by_partner, used, base):
    """A customer pays one invoice less one of its open credit notes, and
    cites the invoice (sometimes the credit note too)."""
    credit = take(credit_notes)
    if credit is None:
        return None
    invoices = [
        it
        for it in by_partner[credit["partner_id"]]
        if it["id"] not in used
        and it["kind"] == "invoice"
        and it["cents"] > credit["cents"] + 100
    ]
    if not invoices:
        used.discard(credit["id"])
        credit_notes.insert(0, credit)
        return None
    invoice = rng.choice(invoices)
    used.add(invoice["id"])
    refs = [_cite(rng, invoice)]
    if rng.random() < 0.4:
        refs.append(rng.choice(("less", "minus", "./.", "abzgl.", "扣")))
        refs.append(_mess_ref(rng, credit["move_name"]))
    line = base(invoice, invoice["cents"] - credit["cents"], _label(rng, refs, ""))
    return line, frozenset({invoice["id"], credit["id"]})


def evaluate(decisions, truth):
    """Quality figures of ``decisions`` against ``truth``.

    Returns a dict: ``precision`` (auto decisions whose first proposal is
    exactly the truth, over all auto decisions, noise included),
    ``auto_share`` (matchable lines decided auto), ``in_proposals``
    (matchable lines whose truth is one of the proposals), ``noise_clean``
    (noise lines without any auto), and the counts.
    """
    autos = correct = matchable = auto_matchable = found = noise = noise_clean = 0
    for decision in decisions:
        expected = truth.get(decision.line_id)
        proposals = [frozenset(p.item_ids) for p in decision.proposals]
        is_auto = decision.action == "auto"
        if is_auto:
            autos += 1
            correct += bool(expected) and proposals[0] == expected
        if expected:
            matchable += 1
            auto_matchable += is_auto
            found += expected in proposals
        else:
            noise += 1
            noise_clean += not is_auto
    return {
        "lines": len(decisions),
        "matchable": matchable,
        "auto": autos,
        "auto_correct": correct,
        "precision": correct / autos if autos else 1.0,
        "auto_share": auto_matchable / matchable if matchable else 0.0,
        "in_proposals": found / matchable if matchable else 0.0,
        "noise_clean": noise_clean / noise if noise else 1.0,
    }
