"""Benchmark step: real-shaped statement files through the importers, then
the matching.

Usage (from the repository root)::

    ./tests/benchmarks/run import-samples

Each file of ``samples/`` (see its README for the format each follows) is
imported with OCA's statement import wizard (our Alipay, WeChat Pay, Stripe
and PayPal parsers, OCA's CAMT.053 and OFX parsers) into a bank journal of
its currency and account, after creating the open customer items the file
pays (``SAMPLES`` below: what a reader of the file expects each line to
settle).  ``action_auto_match()`` then runs on the imported lines; the
script prints, per file, the lines imported and, per line, what the
matching did against what was expected.  A file an importer rejects is
reported with the error (the file line it names).  Everything is rolled
back.
"""

import argparse
import base64
import datetime
import sys
import traceback
from decimal import Decimal
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

HERE = Path(__file__).resolve().parent
D = datetime.date

# file -> (currency, journal account number, open items, expected answers)
# Items: (partner, move name, amount, order ref, payment ref, customer ref).
# Expected: (a fragment of the line's label or payer, move names the line
# settles or () when nothing is to be matched); lines are checked in file
# order against the first expectation whose fragment they contain.
SAMPLES = {
    "alipay_account_bill.csv": (
        "CNY",
        "20889876543210980321",
        [("Wan Li", "INV/2026/00145", "560.00", "S00045", "", "")],
        [("服务费", ()), ("S00045", ("INV/2026/00145",)), ("", ())],
    ),
    "wechatpay_trade_bill.csv": (
        "CNY",
        None,
        [("微信客户 张三", "INV/2026/00151", "88.00", "S00051", "", "")],
        [("S00051", ("INV/2026/00151",)), ("", ())],
    ),
    "stripe_payout_reconciliation.csv": (
        "EUR",
        None,
        [
            ("Anna Schmidt", "INV/2026/00160", "120.00", "S00060", "", ""),
            ("Li Wei", "INV/2026/00311", "45.50", "", "INV/2026/00311", ""),
        ],
        [
            ("Refund", ()),
            ("S00060", ("INV/2026/00160",)),
            ("INV/2026/00311", ("INV/2026/00311",)),
            ("", ()),
        ],
    ),
    "paypal_activity.csv": (
        "EUR",
        None,
        [("Marco Rossi", "INV/2026/00157", "250.00", "S00057", "", "")],
        [("S00057", ("INV/2026/00157",)), ("", ())],
    ),
    "camt053_eur_customer_credits.xml": (
        "EUR",
        "DE89370400440532013000",
        [
            ("Müller Maschinenbau GmbH", "INV/2026/00042", "1250.00", "", "", ""),
            (
                "Dubois Textiles SARL",
                "INV/2026/00044",
                "980.50",
                "",
                "RF18 5390 0754 7034",
                "",
            ),
            ("Rossi Meccanica S.r.l.", "INV/2026/00061", "300.00", "", "", ""),
            ("Rossi Meccanica S.r.l.", "INV/2026/00062", "450.00", "", "", ""),
            ("Nowak Handel Sp. z o.o.", "INV/2026/00057", "5000.00", "", "", ""),
            ("Van den Berg Logistics B.V.", "INV/2026/00063", "2100.00", "", "", ""),
            ("Schäfer & Söhne KG", "INV/2026/00070", "615.00", "", "", ""),
        ],
        [
            ("INV/2026/00042", ("INV/2026/00042",)),
            ("RF18", ("INV/2026/00044",)),
            ("INV2026-61", ("INV/2026/00061",)),
            ("INV2026-62", ("INV/2026/00062",)),
            ("INV2026-57", ("INV/2026/00057",)),
            ("INV/2026/00063", ("INV/2026/00063",)),
            ("Kontof", ()),
            ("Erstattung", ()),
        ],
    ),
    "ofx102_usd_customer_wires.ofx": (
        "USD",
        "4426001234",
        [
            ("Golden Harbour Trading (HK) Limited", "INV/2026/00081", "3185.00"),
            ("上海华信电子有限公司", "INV/2026/00082", "1450.00"),
            ("Pacific Crest Supplies Pte. Ltd.", "INV/2026/00083", "5000.00"),
            ("Pacific Crest Supplies Pte. Ltd.", "INV/2026/00084", "2980.00"),
            ("Pacific Crest Supplies Pte. Ltd.", "INV/2026/00090", "2980.00"),
            ("Lakeside Industries Inc.", "INV/2026/00085", "6000.00"),
            ("Eastern Star Electronics (HK) Limited", "INV/2026/00086", "980.00"),
        ],
        [
            ("INV/2026/00081", ("INV/2026/00081",)),
            ("INV2026-82", ("INV/2026/00082",)),
            ("INV 83 84", ("INV/2026/00083", "INV/2026/00084")),
            ("WIRE FEE", ()),
            ("DEPOSIT", ("INV/2026/00085",)),
            ("EASTERN STAR", ("INV/2026/00086",)),
        ],
    ),
}
# 上海华信电子有限公司 is registered under its Chinese name; the OFX prints
# the English one the bank knows it by (as the world dataset does).


def items_of(spec, currency):
    items = []
    for index, row in enumerate(spec, 1):
        partner, name, amount = row[:3]
        order, payment, customer = (tuple(row[3:]) + ("", "", ""))[:3]
        items.append(
            {
                "id": index,
                "partner_id": hash(partner) % 10**8,
                "partner_name": partner,
                "move_name": name,
                "payment_ref": payment or name,
                "order_refs": [order] if order else [],
                "tx_refs": [customer] if customer else [],
                "amount_residual": Decimal(amount),
                "currency": currency,
                "date": D(2026, 8, 20),
                "date_maturity": D(2026, 9, 19),
                "kind": "invoice",
            }
        )
    return items


def run_file(env, harness, name, currencies):
    currency, account, spec, expected = SAMPLES[name]
    data = (HERE / "samples" / name).read_bytes()
    items = items_of(spec, currency)
    names = {item["partner_id"]: item["partner_name"] for item in items}
    partners = env["res.partner"].create(
        [{"name": n, "is_company": True} for n in names.values()]
    )
    ctx = harness.Context(env, currencies, dict(zip(names, partners.ids, strict=True)))
    aml_ids = harness.create_items_orm(ctx, items)
    by_aml = {aml_ids[item["id"]]: item["move_name"] for item in items}
    journal_vals = {
        "name": f"Sample {name}",
        "type": "bank",
        "code": f"S{abs(hash(name)) % 10000:04d}",
    }
    if currency != env.company.currency_id.name:
        journal_vals["currency_id"] = currencies[currency].id
    if account:
        journal_vals["bank_acc_number"] = account
    journal = env["account.journal"].create(journal_vals)
    wizard = (
        env["account.statement.import"]
        .with_context(journal_id=journal.id)
        .create(
            {
                "statement_file": base64.b64encode(data),
                "statement_filename": name,
            }
        )
    )
    try:
        with env.cr.savepoint():
            wizard.import_file_button()
    except Exception as exc:  # pylint: disable=broad-except
        print(f"\n{name}: IMPORT FAILED: {type(exc).__name__}: {exc}")
        traceback.print_exc(limit=3, file=sys.stdout)
        return {"file": name, "failed": str(exc)}
    st_lines = env["account.bank.statement.line"].search(
        [("journal_id", "=", journal.id)], order="id"
    )
    env.invalidate_all()
    st_lines.with_context(sales_closing_match_now=True).action_auto_match()
    env.flush_all()
    print(f"\n{name}: {len(st_lines)} lines imported into {currency}")
    right = total = 0
    for st in st_lines:
        state = st.sales_closing_match_state
        _liq, _susp, others = st._seek_for_lines()
        matched = (
            others.matched_debit_ids.debit_move_id
            | others.matched_credit_ids.credit_move_id
        )
        got = tuple(sorted(by_aml.get(a, str(a)) for a in matched.ids))
        suggested = [
            tuple(sorted(by_aml.get(a, str(a)) for a in s.move_line_ids.ids))
            for s in st.sales_closing_suggestion_ids.sorted("rank")
        ]
        text = " ".join(
            str(value or "")
            for value in (
                st.payment_ref,
                st.partner_name,
                st.ref,
                st.sales_closing_order_ref,
                st.narration,
            )
        )
        want = next((answer for fragment, answer in expected if fragment in text), None)
        if want is None:
            verdict = "?"
        elif state == "auto":
            verdict = "right" if got == tuple(sorted(want)) else "WRONG"
        elif want and tuple(sorted(want)) in suggested:
            verdict = "suggested"
        elif want:
            verdict = "missed"
        else:
            verdict = "right (left alone)"
        total += 1
        right += verdict.startswith("right")
        residuals = ", ".join(
            f"{by_aml[a.id]} residual {a.amount_residual_currency:g}"
            for a in env["account.move.line"].browse(list(aml_ids.values()))
            if a.move_id.name in got
        )
        print(
            f"  {st.amount:>10.2f} {st.payment_ref[:38]:<38} "
            f"{(st.partner_name or '')[:24]:<24} {state or '-':<10} "
            f"got {list(got) or '-'} want {list(want or ()) or '-'} "
            f"suggested {suggested[:2] or '-'} -> {verdict}"
            + (f" [{residuals}]" if residuals else "")
        )
    return {"file": name, "lines": total, "right": right}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="sales_closing_bench_import_samples")
    parser.add_argument("files", nargs="*", help="only these sample files")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = Registry(args.database)
    sys.path.insert(0, str(HERE))
    import matching as harness  # noqa: PLC0415 - next to this file

    results = []
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            currencies = harness.setup_company(env)
            for name in args.files or list(SAMPLES):
                with cr.savepoint():
                    results.append(run_file(env, harness, name, currencies))
        finally:
            cr.rollback()
    print("\nsummary")
    for result in results:
        if "failed" in result:
            print(f"  {result['file']:<40} import failed: {result['failed']}")
        else:
            print(
                f"  {result['file']:<40} {result['lines']} lines, "
                f"{result['right']} as expected"
            )


if __name__ == "__main__":
    main()
