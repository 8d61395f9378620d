"""Benchmark: bank statement matching on a generated messy dataset.

Usage (from the repository root)::

    ./tests/benchmarks/run matching --lines 1000 --items 5000 --seed 1

Generates partners, open items and bank lines with
``sales_closing_reconcile.engine.dataset.generate``, creates them in Odoo
(partners and bank accounts in batch, the open items as posted journal
entries with a receivable line, statement lines in batch), runs
``action_auto_match()`` on the lines (all chunks inline), reads back what
was reconciled and suggested, and prints precision, automatic share, share
of lines whose answer is among the suggestions and seconds, next to the
figures of the pure engine on the same data.  Everything is rolled back.
"""

import argparse
import time
from collections import defaultdict
from decimal import Decimal

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

# The addons are importable once the configuration is parsed (main()).
dataset = Decision = MatchConfig = Proposal = match_lines = None

RATES = {"EUR": 1.0, "USD": 1.1, "CNY": 7.8}  # units per company currency unit


def setup_company(env):
    company = env.company
    currencies = {}
    for code, rate in RATES.items():
        currency = (
            env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        currency.active = True
        currencies[code] = currency
        if currency != company.currency_id:
            env["res.currency.rate"].create(
                {
                    "currency_id": currency.id,
                    "name": "2025-12-01",
                    "rate": rate / RATES.get(company.currency_id.name, 1.0),
                    "company_id": company.id,
                }
            )
    fee_account = env["account.account"].create(
        {"name": "Bench Fees", "code": "626199", "account_type": "expense"}
    )
    company.write(
        {
            "sales_closing_fee_account_id": fee_account.id,
            "sales_closing_fee_tolerance": 3.5,
        }
    )
    return currencies


def populate(env, lines, items, partner_accounts, currencies):
    company = env.company
    partner_ids = {}
    names = {}
    for item in items:
        names[item["partner_id"]] = item["partner_name"]
    pids = sorted(names)
    partners = env["res.partner"].create(
        [{"name": names[pid], "is_company": True} for pid in pids]
    )
    partner_ids = dict(zip(pids, partners.ids, strict=True))
    env["res.partner.bank"].create(
        [
            {"acc_number": number, "partner_id": partner_ids[pid]}
            for number, pid in partner_accounts.items()
            if pid in partner_ids
        ]
    )
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    receivable = env["account.account"].search(
        [
            ("account_type", "=", "asset_receivable"),
            ("company_ids", "in", company.id),
        ],
        limit=1,
    )
    income = env["account.account"].search(
        [("account_type", "=", "income"), ("company_ids", "in", company.id)], limit=1
    )
    company_currency = company.currency_id
    aml_ids = {}
    for start in range(0, len(items), 500):
        batch = items[start : start + 500]
        vals_list = []
        for item in batch:
            currency = currencies[item["currency"]]
            amount = float(item["amount_residual"])
            balance = company_currency.round(
                amount * RATES[company_currency.name] / RATES[item["currency"]]
            )
            common = {
                "currency_id": currency.id,
                "partner_id": partner_ids[item["partner_id"]],
            }
            vals_list.append(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "name": item["move_name"],
                    "date": item["date"],
                    "ref": (item["tx_refs"] or [""])[0],
                    "payment_reference": item["payment_ref"] or False,
                    "invoice_origin": ", ".join(item["order_refs"]) or False,
                    "partner_id": partner_ids[item["partner_id"]],
                    "line_ids": [
                        Command.create(
                            dict(
                                common,
                                account_id=receivable.id,
                                amount_currency=amount,
                                balance=balance,
                                date_maturity=item["date_maturity"],
                            )
                        ),
                        Command.create(
                            dict(
                                common,
                                account_id=income.id,
                                amount_currency=-amount,
                                balance=-balance,
                            )
                        ),
                    ],
                }
            )
        moves = env["account.move"].create(vals_list)
        moves.action_post()
        for item, move in zip(batch, moves, strict=True):
            aml = move.line_ids.filtered(lambda aml: aml.account_id == receivable)
            aml_ids[item["id"]] = aml.id
        env.flush_all()
        env.invalidate_all()
    bank = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    vals_list = []
    for line in lines:
        amount = float(line["amount"])
        vals = {
            "journal_id": bank.id,
            "date": line["date"],
            "payment_ref": line["label"] or "/",
            "partner_name": line["payer_name"] or False,
            "account_number": line["payer_account"] or False,
            "amount": amount,
        }
        if line["currency"] != company_currency.name:
            vals.update(
                foreign_currency_id=currencies[line["currency"]].id,
                amount_currency=amount,
                amount=company_currency.round(
                    amount * RATES[company_currency.name] / RATES[line["currency"]]
                ),
            )
        vals_list.append(vals)
    st_lines = env["account.bank.statement.line"].create(vals_list)
    return {
        line["id"]: st.id for line, st in zip(lines, st_lines, strict=True)
    }, aml_ids


def read_decisions(env, st_ids, aml_ids):
    """Decisions as the engine would state them, read back from Odoo."""
    to_item = {aml: item for item, aml in aml_ids.items()}
    decisions = []
    for line_id, st_id in st_ids.items():
        st = env["account.bank.statement.line"].browse(st_id)
        state = st.sales_closing_match_state
        if state == "auto":
            _liq, _susp, others = st._seek_for_lines()
            matched = (
                others.matched_debit_ids.debit_move_id
                | others.matched_credit_ids.credit_move_id
            )
            ids = tuple(sorted(to_item[a] for a in matched.ids if a in to_item))
            decisions.append(Decision(line_id, "auto", [Proposal(ids, 1.0)]))
        elif state == "suggested":
            proposals = [
                Proposal(
                    tuple(sorted(to_item[a] for a in s.move_line_ids.ids)), s.score
                )
                for s in st.sales_closing_suggestion_ids.sorted("rank")
            ]
            decisions.append(Decision(line_id, "suggest", proposals))
        else:
            decisions.append(Decision(line_id, "none", []))
    return decisions


def show(title, figures, seconds):
    print(
        f"{title:<28} precision {figures['precision']:.3f}  "
        f"auto {figures['auto_share']:.3f}  "
        f"in suggestions {figures['in_proposals']:.3f}  "
        f"noise clean {figures['noise_clean']:.3f}  "
        f"autos {figures['auto']}  {seconds:.2f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="sales_closing_bench_matching")
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = Registry(args.database)
    global dataset, Decision, MatchConfig, Proposal, match_lines  # noqa: PLW0603
    from odoo.addons.sales_closing_reconcile.engine import dataset
    from odoo.addons.sales_closing_reconcile.engine.matching import (
        Decision,
        MatchConfig,
        Proposal,
        match_lines,
    )

    lines, items, partner_accounts, truth = dataset.generate(
        args.seed, args.lines, args.items
    )
    start = time.perf_counter()
    engine = match_lines(
        lines,
        items,
        partner_accounts,
        MatchConfig(fee_tolerance_abs=Decimal(0), fee_tolerance_pct=Decimal("0.035")),
    )
    show(
        "engine alone (no Odoo)",
        dataset.evaluate(engine, truth),
        time.perf_counter() - start,
    )
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            start = time.perf_counter()
            currencies = setup_company(env)
            st_ids, aml_ids = populate(env, lines, items, partner_accounts, currencies)
            env.flush_all()
            print(
                f"created {len(items)} open items and {len(lines)} statement lines "
                f"in {time.perf_counter() - start:.1f} s"
            )
            st_lines = env["account.bank.statement.line"].browse(list(st_ids.values()))
            env.invalidate_all()
            start = time.perf_counter()
            st_lines.with_context(sales_closing_match_now=True).action_auto_match()
            env.flush_all()
            seconds = time.perf_counter() - start
            figures = dataset.evaluate(read_decisions(env, st_ids, aml_ids), truth)
            show("action_auto_match (Odoo)", figures, seconds)
            states = defaultdict(int)
            for st in st_lines:
                states[st.sales_closing_match_state] += 1
            print("line states:", dict(states))
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
