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
figures of the pure engine on the same data.

Then, on the same data (rolled back to a savepoint in between), the OCA
peer: an ``account.reconcile.model`` of ``account_reconcile_model_oca``
configured as a consultant would (invoice matching on the references cited
in the label, any partner, automatic validation, 3.5 % payment tolerance
written off to the fee account; then the payer's open items, proposed),
applied line by line as its widget does
(``_retrieve_partner`` then ``_apply_rules``); its automatic matches are
reconciled with our batched reconciliation, which only flatters the OCA
time.  The OCA addon is installed in the benchmark database only
(``--oca``, default on when it is importable).  Everything is rolled back.
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
    # the data is set up, not worked on: no chatter messages
    env = env(context=dict(env.context, tracking_disable=True))
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
    for start in range(0, len(items), 1000):
        batch = items[start : start + 1000]
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


def setup_oca_model(env, fee_account):
    """The OCA invoice-matching rules, as a consultant would set them up:
    first the references (the invoice number, its reference or a line
    label cited in the bank label), reconciled automatically with a 3.5 %
    tolerance written off to the fee account; then, for the lines citing
    nothing, the open items of the partner found from the payer's account
    or name, proposed only."""
    common = {
        "rule_type": "invoice_matching",
        "match_nature": "both",
        "match_same_currency": True,
        "matching_order": "old_first",
        "allow_payment_tolerance": True,
        "payment_tolerance_type": "percentage",
        "payment_tolerance_param": 3.5,
        "line_ids": [
            Command.create(
                {
                    "account_id": fee_account.id,
                    "amount_type": "percentage",
                    "amount_string": "100",
                    "label": "Fees",
                }
            )
        ],
    }
    return env["account.reconcile.model"].create(
        [
            dict(
                common,
                name="Bench: invoices cited in the label",
                sequence=1,
                auto_reconcile=True,
                match_partner=False,
                match_text_location_label=True,
                match_text_location_note=True,
                match_text_location_reference=True,
            ),
            dict(
                common,
                name="Bench: open items of the payer",
                sequence=2,
                auto_reconcile=True,
                match_partner=True,
                match_text_location_label=False,
                match_text_location_note=False,
                match_text_location_reference=False,
            ),
        ]
    )


def run_oca(env, rules, st_lines, aml_ids, st_ids):
    """Apply the OCA rules line by line; reconcile its automatic matches.

    Returns the decisions (as the engine states them), the seconds and the
    number of automatic matches reconciled."""
    to_item = {aml: item for item, aml in aml_ids.items()}
    by_st = {st: line_id for line_id, st in st_ids.items()}
    start = time.perf_counter()
    decisions, matches = [], []
    for st_line in st_lines:
        partner = st_line._retrieve_partner()
        res = rules._apply_rules(st_line, partner)
        amls = res.get("amls") or env["account.move.line"]
        ids = tuple(sorted(to_item.get(a, -a) for a in amls.ids))
        line_id = by_st[st_line.id]
        if amls and res.get("auto_reconcile"):
            decisions.append(Decision(line_id, "auto", [Proposal(ids, 1.0)]))
            amount, currency, _liq = st_line._sales_closing_transaction()
            due = sum(amls.mapped("amount_residual_currency"))
            over = currency.round(due - amount)
            matches.append(
                {
                    "line": st_line,
                    "items": amls,
                    "fee": over if res.get("status") == "write_off" else 0.0,
                    "partial": over * amount > 0 and res.get("status") != "write_off",
                }
            )
        elif amls:
            # the widget lists the candidates: the whole set, or any one of
            # the first three, counts as suggested
            proposals = [Proposal(ids, 0.5)]
            if len(ids) > 1:
                proposals += [Proposal((i,), 0.4) for i in ids[:3]]
            decisions.append(Decision(line_id, "suggest", proposals))
        else:
            decisions.append(Decision(line_id, "none", []))
    applied = 0
    for match in matches:
        # one line at a time, as the OCA widget validates them; a match the
        # rules got wrong may not even be reconcilable (other currency,
        # items already taken): it stays unreconciled, counted as proposed
        try:
            with env.cr.savepoint():
                st_lines._sales_closing_apply_matches([match], state="auto")
            applied += 1
        except Exception:  # pylint: disable=broad-except
            env.invalidate_all()
    env.flush_all()
    return decisions, time.perf_counter() - start, applied


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
    parser.add_argument(
        "--oca",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the OCA account_reconcile_model_oca rules "
        "(installed in the benchmark database if needed)",
    )
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
    if args.oca:
        ensure_oca(registry, args.database)
        registry = Registry(args.database)
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
            savepoint = cr.savepoint()
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
            if args.oca:
                savepoint.rollback()
                env.invalidate_all()
                rules = setup_oca_model(env, env.company.sales_closing_fee_account_id)
                env.flush_all()
                env.invalidate_all()
                decisions, oca_seconds, applied = run_oca(
                    env, rules, st_lines, aml_ids, st_ids
                )
                show(
                    "OCA reconcile model rules",
                    dataset.evaluate(decisions, truth),
                    oca_seconds,
                )
                print(
                    f"OCA automatic matches reconciled: {applied}; "
                    f"ours {oca_seconds / seconds:.1f}x faster"
                )
        finally:
            cr.rollback()


def ensure_oca(registry, database):
    """Install account_reconcile_model_oca in the benchmark database (only
    there: it is no dependency of the addons)."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        module = env["ir.module.module"].search(
            [("name", "=", "account_reconcile_model_oca")]
        )
        if module.state == "installed":
            return
        if not module:
            env["ir.module.module"].update_list()
            module = env["ir.module.module"].search(
                [("name", "=", "account_reconcile_model_oca")]
            )
        if not module:
            raise SystemExit(
                "account_reconcile_model_oca is not installed: "
                "pip install odoo-addon-account_reconcile_model_oca"
            )
        print("installing account_reconcile_model_oca in", database)
        module.button_immediate_install()


if __name__ == "__main__":
    main()
