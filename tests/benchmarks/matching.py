"""Benchmark: bank statement matching on a generated messy dataset.

Usage (from the repository root)::

    ./tests/benchmarks/run matching --lines 1000 --items 5000 --seed 1

Generates partners, open items and bank lines with
``matching_dataset.generate`` (next to this file), creates them in Odoo
(partners and bank accounts in batch, the open items as posted journal
entries with a receivable line, statement lines; the first item and line
of each currency through the ORM, the others as copies of their rows, see
``populate``; ``--orm-setup`` for the ORM only, ``--check-setup`` to
compare both), runs
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
(``--oca``, default on when it is importable).  ``--oca-budget 5`` stops the
peer once it has spent five times our time and prints how many lines it did
by then: at 10,000 lines that proves the ratio without waiting for it.
Everything is rolled back.
"""

import argparse
import contextlib
import re
import time
from collections import defaultdict
from decimal import Decimal
from xmlrpc.client import MAXINT

from psycopg2.extras import Json, execute_values

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

# The addons are importable once the configuration is parsed (main()).
dataset = world = Decision = MatchConfig = Proposal = match_lines = None

RATES = {"EUR": 1.0, "USD": 1.1, "CNY": 7.8}  # units per company currency unit
# Rates that move (the world dataset): currency -> [(date, Odoo rate)], the
# Odoo rate being units per company currency unit; None: RATES from
# 2025-12-01 on (the own dataset).
ODOO_RATES = None


def odoo_rate(code, date):
    """The rate Odoo applies to ``code`` on ``date``: the last one on or
    before it, else the first one (as ``res.currency._get_rates``)."""
    table = ODOO_RATES[code]
    value = table[0][1]
    for day, rate in table:
        if day > date:
            break
        value = rate
    return value


def setup_company(env, rates=None, home=None):
    """Currencies, their rates and the fee account of the benchmark company.

    ``rates`` (currency -> [(date, units per EUR)]) and ``home`` (the
    company currency) come with the world dataset: the company currency is
    switched to ``home`` (the benchmark database has no entries yet), the
    rates are written for every date, and a bank journal is made in each
    other currency (the foreign-currency accounts)."""
    global ODOO_RATES  # noqa: PLW0603
    company = env.company
    if home and company.currency_id.name != home:
        currency = (
            env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", home)], limit=1)
        )
        currency.active = True
        company.currency_id = currency
    currencies = {}
    ODOO_RATES = None
    if rates:
        own = dict(rates[company.currency_id.name])
        ODOO_RATES = {
            code: [(day, per_eur / own[day]) for day, per_eur in table]
            for code, table in rates.items()
        }
    for code, rate in RATES.items():
        currency = (
            env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        currency.active = True
        currencies[code] = currency
        if currency == company.currency_id:
            continue
        if ODOO_RATES:
            env["res.currency.rate"].create(
                [
                    {
                        "currency_id": currency.id,
                        "name": day,
                        "rate": value,
                        "company_id": company.id,
                    }
                    for day, value in ODOO_RATES[code]
                ]
            )
            env["account.journal"].create(
                {
                    "name": f"Bench bank {code}",
                    "type": "bank",
                    "code": f"BB{code[:2]}",
                    "currency_id": currency.id,
                    "company_id": company.id,
                }
            )
        else:
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


def populate(env, lines, items, partner_accounts, currencies, orm=False):
    """Create partners, bank accounts, open items and statement lines.

    Partners and bank accounts go through the ORM (in batch).  With ``orm``
    every open item and statement line does too (slow: some 40 ms per item
    and 80 ms per statement line).  Otherwise the first item and the first
    statement line of each currency are created and posted by the ORM and
    serve as templates: the others are copies of their rows (moves, journal
    items, statement lines) inserted in batch, with the values that depend
    on the item or the line (name, sequence, dates, partner, amounts,
    residuals, labels...) computed as the ORM computes them, so that the
    database holds the same rows as after the ORM (``--check-setup``
    compares both on a small dataset, column by column)."""
    # the data is set up, not worked on: no chatter messages
    env = env(context=dict(env.context, tracking_disable=True))
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
    ctx = Context(env, currencies, partner_ids)
    if orm:
        aml_ids = create_items_orm(ctx, items)
        st_ids = create_lines_orm(ctx, lines)
        return st_ids, aml_ids
    firsts = {}
    for item in items:
        firsts.setdefault(item["currency"], item)
    aml_ids = create_items_orm(ctx, list(firsts.values()))
    rest = [item for item in items if item["id"] not in aml_ids]
    aml_ids.update(clone_items(ctx, rest, firsts, aml_ids))
    firsts = {}
    for line in lines:
        firsts.setdefault(_line_key(line), line)
    st_ids = create_lines_orm(ctx, list(firsts.values()))
    rest = [line for line in lines if line["id"] not in st_ids]
    st_ids.update(clone_lines(ctx, rest, firsts, st_ids))
    # in the order of the lines, as the caller expects
    return {line["id"]: st_ids[line["id"]] for line in lines}, {
        item["id"]: aml_ids[item["id"]] for item in items
    }


class Context:
    """What the creation of items and lines shares."""

    def __init__(self, env, currencies, partner_ids):
        self.env = env
        self.company = company = env.company
        self.currencies = currencies
        self.partner_ids = partner_ids
        self.journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        self.bank = env["account.journal"].search(
            [
                ("type", "=", "bank"),
                ("company_id", "=", company.id),
                ("currency_id", "in", (False, company.currency_id.id)),
            ],
            limit=1,
        )
        # the foreign-currency accounts (world dataset)
        self.fx_journals = {
            journal.currency_id.name: journal
            for journal in env["account.journal"].search(
                [
                    ("type", "=", "bank"),
                    ("company_id", "=", company.id),
                    ("currency_id", "not in", (False, company.currency_id.id)),
                ]
            )
        }
        self.receivable = env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", company.id),
            ],
            limit=1,
        )
        self.income = env["account.account"].search(
            [("account_type", "=", "income"), ("company_ids", "in", company.id)],
            limit=1,
        )
        self.company_currency = company.currency_id

    def balance(self, amount, currency_code, date=None):
        """``amount`` of ``currency_code`` in company currency, as Odoo
        converts it on ``date`` (``_convert``: amount x to_rate/from_rate)."""
        if ODOO_RATES is None:
            return self.company_currency.round(
                amount * RATES[self.company_currency.name] / RATES[currency_code]
            )
        if currency_code == self.company_currency.name:
            return self.company_currency.round(amount)
        return self.company_currency.round(
            amount * (1.0 / odoo_rate(currency_code, date))
        )

    def journal_for(self, line):
        if _line_key(line)[1]:
            return self.fx_journals[line["currency"]]
        return self.bank

    def amounts(self, line):
        """(journal amount, transaction amount, company amount, foreign) of a
        statement line, as ``_prepare_move_line_default_vals`` sets them."""
        amount = float(line["amount"])
        if _line_key(line)[1]:
            return (
                amount,
                amount,
                self.balance(amount, line["currency"], line["date"]),
                False,
            )
        if line["currency"] == self.company_currency.name:
            return amount, amount, amount, False
        if line.get("company_amount") is not None:
            company = float(line["company_amount"])  # the bank's conversion
        else:
            company = self.balance(amount, line["currency"], line["date"])
        return company, amount, company, True


def _line_key(line):
    """Statement lines are cloned from a template of their currency and
    journal (the company's, or the foreign-currency one)."""
    return line["currency"], line.get("journal") == "fx"


def create_items_orm(ctx, items):
    env, partner_ids = ctx.env, ctx.partner_ids
    aml_ids = {}
    for start in range(0, len(items), 1000):
        batch = items[start : start + 1000]
        vals_list = []
        for item in batch:
            currency = ctx.currencies[item["currency"]]
            amount = float(item["amount_residual"])
            balance = ctx.balance(amount, item["currency"], item["date"])
            common = {
                "currency_id": currency.id,
                "partner_id": partner_ids[item["partner_id"]],
            }
            vals_list.append(
                {
                    "move_type": "entry",
                    "journal_id": ctx.journal.id,
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
                                account_id=ctx.receivable.id,
                                amount_currency=amount,
                                balance=balance,
                                date_maturity=item["date_maturity"],
                            )
                        ),
                        Command.create(
                            dict(
                                common,
                                account_id=ctx.income.id,
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
            aml = move.line_ids.filtered(lambda aml: aml.account_id == ctx.receivable)
            aml_ids[item["id"]] = aml.id
        env.flush_all()
        env.invalidate_all()
    return aml_ids


def create_lines_orm(ctx, lines):
    vals_list = []
    for line in lines:
        journal_amount, amount, _company, foreign = ctx.amounts(line)
        vals = {
            "journal_id": ctx.journal_for(line).id,
            "date": line["date"],
            "payment_ref": line["label"] or "/",
            "partner_name": line["payer_name"] or False,
            "account_number": line["payer_account"] or False,
            "amount": journal_amount,
        }
        if foreign:
            vals.update(
                foreign_currency_id=ctx.currencies[line["currency"]].id,
                amount_currency=amount,
            )
        vals_list.append(vals)
    st_lines = ctx.env["account.bank.statement.line"].create(vals_list)
    ctx.env.flush_all()
    return {line["id"]: st.id for line, st in zip(lines, st_lines, strict=True)}


def _rows(cr, table, where, params):
    cr.execute(f'SELECT * FROM "{table}" WHERE {where} ORDER BY id', params)  # noqa: S608
    names = [d.name for d in cr.description]
    return [dict(zip(names, row, strict=True)) for row in cr.fetchall()]


def _new_ids(cr, table, count):
    cr.execute(
        "SELECT nextval(%s) FROM generate_series(1, %s)", [f"{table}_id_seq", count]
    )
    return [row[0] for row in cr.fetchall()]


def _insert(cr, table, rows):
    if not rows:
        return
    columns = list(rows[0])
    values = [
        tuple(Json(v) if isinstance(v, dict) else v for v in (r[c] for c in columns))
        for r in rows
    ]
    # the psycopg2 cursor under Odoo's: execute_values sends 1,000 rows
    # per statement
    execute_values(
        cr._obj,  # pylint: disable=protected-access
        'INSERT INTO "{}" ({}) VALUES %s'.format(  # noqa: S608
            table, ", ".join(f'"{c}"' for c in columns)
        ),
        values,
        page_size=1000,
    )


def _split_name(name):
    match = re.match(r"^(.*?)(\d*)$", name)
    return match.group(1), int(match.group(2) or 0)


def _amounts(balance, amount):
    """The amount columns of a journal item of ``balance`` in company currency
    and ``amount`` in its own currency."""
    return {
        "debit": max(balance, 0.0),
        "credit": max(-balance, 0.0),
        "balance": balance,
        "amount_currency": amount,
        "price_subtotal": amount,
        "price_total": amount,
    }


def clone_items(ctx, items, templates, aml_ids):
    """Insert the open items as copies of the ORM-created template of their
    currency (``templates``: currency -> item, created already)."""
    env = ctx.env
    env.flush_all()
    cr = env.cr
    tpl = {}
    for code, item in templates.items():
        (rec,) = _rows(cr, "account_move_line", "id = %s", [aml_ids[item["id"]]])
        (move,) = _rows(cr, "account_move", "id = %s", [rec["move_id"]])
        (inc,) = _rows(
            cr,
            "account_move_line",
            "move_id = %s AND id != %s",
            [move["id"], rec["id"]],
        )
        tpl[code] = (move, rec, inc)
    banks = {}
    for bank in env["res.partner.bank"].search(
        [("company_id", "in", (False, ctx.company.id))], order="sequence desc, id desc"
    ):
        banks[bank.partner_id.id] = bank.id  # the first one, by order, wins
    partner_names = {
        p.id: p.display_name
        for p in env["res.partner"].browse(list(ctx.partner_ids.values()))
    }
    numbers = defaultdict(set)
    for item in list(items) + list(templates.values()):
        prefix, number = _split_name(item["move_name"])
        numbers[prefix].add(number)
    move_ids = _new_ids(cr, "account_move", len(items))
    line_ids = _new_ids(cr, "account_move_line", 2 * len(items))
    moves, lines, result = [], [], {}
    for index, item in enumerate(items):
        move_tpl, rec_tpl, inc_tpl = tpl[item["currency"]]
        partner = ctx.partner_ids[item["partner_id"]]
        amount = float(item["amount_residual"])
        balance = ctx.balance(amount, item["currency"], item["date"])
        prefix, number = _split_name(item["move_name"])
        ref = (item["tx_refs"] or [""])[0]
        move_id = move_ids[index]
        moves.append(
            dict(
                move_tpl,
                id=move_id,
                name=item["move_name"],
                sequence_prefix=prefix,
                sequence_number=number,
                made_sequence_gap=number > 1 and number - 1 not in numbers[prefix],
                date=item["date"],
                ref=ref,
                payment_reference=item["payment_ref"] or None,
                invoice_origin=", ".join(item["order_refs"]) or None,
                partner_id=partner,
                commercial_partner_id=partner,
                partner_bank_id=banks.get(partner),
                invoice_partner_display_name=partner_names[partner],
                amount_total=abs(amount),
                amount_total_signed=abs(balance),
                amount_total_in_currency_signed=abs(amount),
            )
        )
        common = {
            "move_id": move_id,
            "partner_id": partner,
            "move_name": item["move_name"],
            "ref": ref,
            "date": item["date"],
        }
        rec_id, inc_id = line_ids[2 * index], line_ids[2 * index + 1]
        lines.append(
            dict(
                rec_tpl,
                id=rec_id,
                date_maturity=item["date_maturity"],
                amount_residual=balance,
                amount_residual_currency=amount,
                **_amounts(balance, amount),
                **common,
            )
        )
        lines.append(
            dict(
                inc_tpl,
                id=inc_id,
                **_amounts(-balance, -amount),
                **common,
            )
        )
        result[item["id"]] = rec_id
    _insert(cr, "account_move", moves)
    _insert(cr, "account_move_line", lines)
    env.invalidate_all()
    return result


def clone_lines(ctx, lines, templates, st_ids):
    """Insert the statement lines (with their moves and journal items) as
    copies of the ORM-created template of their currency."""
    env = ctx.env
    env.flush_all()
    cr = env.cr
    tpl = {}
    counters = defaultdict(int)
    journals = set()
    for key, line in templates.items():
        (st,) = _rows(
            cr, "account_bank_statement_line", "id = %s", [st_ids[line["id"]]]
        )
        (move,) = _rows(cr, "account_move", "id = %s", [st["move_id"]])
        journal = ctx.journal_for(line)
        journals.add(journal.id)
        liq, susp = sorted(
            _rows(cr, "account_move_line", "move_id = %s", [move["id"]]),
            key=lambda aml, j=journal: aml["account_id"] != j.default_account_id.id,
        )
        tpl[key] = (st, move, liq, susp)
    cr.execute(
        "SELECT sequence_prefix, max(sequence_number) FROM account_move "
        "WHERE journal_id = ANY(%s) GROUP BY sequence_prefix",
        [list(journals)],
    )
    counters.update(cr.fetchall())
    st_new = _new_ids(cr, "account_bank_statement_line", len(lines))
    move_new = _new_ids(cr, "account_move", len(lines))
    aml_new = _new_ids(cr, "account_move_line", 2 * len(lines))
    sts, moves, amls, result = [], [], [], {}
    for index, line in enumerate(lines):
        st_tpl, move_tpl, liq_tpl, susp_tpl = tpl[_line_key(line)]
        journal_amount, amount, balance, foreign = ctx.amounts(line)
        st_id, move_id = st_new[index], move_new[index]
        prefix = re.sub(r"\d{4}", str(line["date"].year), move_tpl["sequence_prefix"])
        counters[prefix] += 1
        number = counters[prefix]
        digits = len(move_tpl["name"]) - len(move_tpl["sequence_prefix"])
        name = f"{prefix}{number:0{digits}d}"
        label = line["label"] or "/"
        sts.append(
            dict(
                st_tpl,
                id=st_id,
                move_id=move_id,
                account_number=line["payer_account"] or None,
                partner_name=line["payer_name"] or None,
                payment_ref=label,
                internal_index=f"{line['date']:%Y%m%d}"
                f"{MAXINT - st_tpl['sequence']:0>10}{st_id:0>10}",
                amount=journal_amount,
                amount_currency=amount if foreign else st_tpl["amount_currency"],
                amount_residual=-amount,
            )
        )
        moves.append(
            dict(
                move_tpl,
                id=move_id,
                statement_line_id=None,  # set once the line exists
                name=name,
                sequence_prefix=prefix,
                sequence_number=number,
                date=line["date"],
                # the amount in currency of the debit line
                amount_total=journal_amount if balance > 0 else -amount,
                amount_total_signed=abs(balance),
                amount_total_in_currency_signed=abs(
                    journal_amount if balance > 0 else -amount
                ),
            )
        )
        common = {
            "move_id": move_id,
            "statement_line_id": st_id,
            "move_name": name,
            "name": label,
            "date": line["date"],
        }
        amls.append(
            dict(
                liq_tpl,
                id=aml_new[2 * index],
                amount_residual=balance,
                amount_residual_currency=journal_amount,
                **_amounts(balance, journal_amount),
                **common,
            )
        )
        amls.append(
            dict(
                susp_tpl,
                id=aml_new[2 * index + 1],
                **_amounts(-balance, -amount),
                **common,
            )
        )
        result[line["id"]] = st_id
    _insert(cr, "account_move", moves)
    _insert(cr, "account_bank_statement_line", sts)
    cr.execute(
        "UPDATE account_move m SET statement_line_id = st.id "
        "FROM account_bank_statement_line st "
        "WHERE st.move_id = m.id AND m.id = ANY(%s)",
        [move_new],
    )
    _insert(cr, "account_move_line", amls)
    env.invalidate_all()
    return result


def dump_setup(env, st_ids, aml_ids):
    """The rows behind the items and lines, keyed by their dataset ids, with
    the ids of the records created with them replaced by what they stand
    for (to compare two setups)."""
    cr = env.cr
    env.flush_all()
    cr.execute("SELECT id, name FROM res_partner")
    partners = dict(cr.fetchall())
    cr.execute("SELECT id, acc_number FROM res_partner_bank")
    banks = dict(cr.fetchall())
    # journals and accounts made by setup_company get new ids in each run
    cr.execute("SELECT id, code FROM account_journal")
    journals = dict(cr.fetchall())
    cr.execute("SELECT id, code_store->>'1' FROM account_account")
    accounts = dict(cr.fetchall())
    # made_sequence_gap: Odoo sets it from the moves already there when it
    # posts a batch (it varies with the batches); the matching ignores it
    skip = {
        "id",
        "move_id",
        "statement_line_id",
        "create_date",
        "write_date",
        "made_sequence_gap",
    }

    def clean(row, names=()):
        out = {k: v for k, v in row.items() if k not in skip and k not in names}
        for key in ("partner_id", "commercial_partner_id"):
            if out.get(key):
                out[key] = partners[out[key]]
        if out.get("partner_bank_id"):
            out["partner_bank_id"] = banks[out["partner_bank_id"]]
        if out.get("journal_id"):
            out["journal_id"] = journals[out["journal_id"]]
        if out.get("account_id"):
            out["account_id"] = accounts.get(out["account_id"], out["account_id"])
        if "internal_index" in out:
            out["internal_index"] = out["internal_index"][:-10]
        return out

    dump = {}
    for item, aml in aml_ids.items():
        (rec,) = _rows(cr, "account_move_line", "id = %s", [aml])
        (move,) = _rows(cr, "account_move", "id = %s", [rec["move_id"]])
        others = _rows(cr, "account_move_line", "move_id = %s", [move["id"]])
        dump["item", item] = [clean(move)] + [clean(r) for r in others]
    numbering = ("name", "move_name", "sequence_number")
    for line, st_id in st_ids.items():
        (st,) = _rows(cr, "account_bank_statement_line", "id = %s", [st_id])
        (move,) = _rows(cr, "account_move", "id = %s", [st["move_id"]])
        others = _rows(cr, "account_move_line", "move_id = %s", [move["id"]])
        dump["line", line] = [clean(st), clean(move, numbering)] + [
            clean(r, ("move_name",)) for r in others
        ]
    return dump


def load(name, seed, n_lines, n_items):
    """``(lines, items, partner_accounts, truth, world)`` of the dataset
    ``name``; ``world`` is the :class:`matching_world.World` (kinds, rates)
    or None for the own generator."""
    if name == "world":
        data = world.build(seed, n_lines, n_items)
        return (*data.as_tuple(), data)
    return (*dataset.generate(seed, n_lines, n_items), None)


def company_args(data):
    if data is None:
        return {}
    return {"rates": data.rates, "home": data.home_currency}


def check_setup(registry, seed, name="own"):
    """Create a small dataset with the ORM, then with the fast setup, and
    compare the rows (column by column)."""
    lines, items, partner_accounts, _truth, data = load(name, seed, 150, 600)
    dumps = []
    for orm in (True, False):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            currencies = setup_company(env, **company_args(data))
            st_ids, aml_ids = populate(
                env, lines, items, partner_accounts, currencies, orm=orm
            )
            dumps.append(dump_setup(env, st_ids, aml_ids))
            cr.rollback()
    differences = 0
    for key, rows in dumps[0].items():
        for row, (orm_row, fast_row) in enumerate(
            zip(rows, dumps[1][key], strict=True)
        ):
            for column, value in orm_row.items():
                if fast_row.get(column) != value:
                    differences += 1
                    if differences <= 20:
                        print(
                            key, row, column, "orm:", value, "fast:", fast_row[column]
                        )
    print(
        f"setup check: {len(items)} items, {len(lines)} lines, "
        f"{differences} differing values"
    )
    return differences


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


def run_oca(env, rules, st_lines, aml_ids, st_ids, budget=None):
    """Apply the OCA rules line by line; reconcile its automatic matches.

    With ``budget`` (seconds), stop taking new lines once it is spent: the
    lines done are then a prefix of the (shuffled) statement lines.
    Returns the decisions (as the engine states them, for the lines done),
    the seconds and the number of automatic matches reconciled."""
    to_item = {aml: item for item, aml in aml_ids.items()}
    by_st = {st: line_id for line_id, st in st_ids.items()}
    start = time.perf_counter()
    decisions, matches = [], []
    for st_line in st_lines:
        if budget is not None and time.perf_counter() - start > budget:
            break
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
    if budget is not None and len(decisions) < len(st_lines):
        # stopped at its budget: reconciling its matches would only add to its
        # time, and the figures come from its decisions
        return decisions, time.perf_counter() - start, None
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


ENGINE_KEYS = (
    "id",
    "date",
    "amount",
    "currency",
    "label",
    "note",
    "payer_name",
    "payer_account",
    "partner_id",
)


def read_residuals(env, aml_ids, item_ids):
    """Residual (item currency) of the items ``item_ids`` after the run."""
    env.flush_all()
    to_item = {aml_ids[i]: i for i in item_ids}
    env.cr.execute(
        "SELECT id, amount_residual_currency FROM account_move_line WHERE id = ANY(%s)",
        [list(to_item)],
    )
    return {to_item[aml]: Decimal(str(value)) for aml, value in env.cr.fetchall()}


def _cited(label, item):
    """Whether ``label`` names ``item`` in a recognisable way (for the
    observed kinds of the own dataset: a crude reading, not the engine's)."""
    text = re.sub(r"[^0-9A-Z]", "", (label or "").upper())
    refs = [item["move_name"], item["payment_ref"], *item["order_refs"]]
    refs += item["tx_refs"]
    if any(r and re.sub(r"[^0-9A-Z]", "", r.upper()) in text for r in refs):
        return True
    number = int(re.sub(r"\D", "", item["move_name"].rsplit("/", 1)[-1]) or 0)
    numbers = {int(n) for n in re.findall(r"\d+", label or "")}
    return number in numbers and number > 0


def observed_kinds(lines, items, partner_accounts, truth):
    """Kinds of the own dataset's lines read from the data itself (the
    generator does not say): items paid, evidence, amount."""
    by_id = {item["id"]: item for item in items}
    kinds = {}
    for line in lines:
        ids = truth[line["id"]]
        amount = line["amount"]
        if not ids:
            kinds[line["id"]] = "nothing to match, money " + (
                "in" if amount > 0 else "out"
            )
            continue
        paid = [by_id[i] for i in ids]
        due = sum(i["amount_residual"] for i in paid)
        if any(_cited(line["label"], i) for i in paid):
            evidence = "reference"
        elif partner_accounts.get(line["payer_account"]) in {
            i["partner_id"] for i in paid
        }:
            evidence = "payer's account"
        else:
            evidence = "no reference"
        if amount == due:
            size = "full"
        elif amount < due and amount >= due * Decimal("0.95"):
            size = "net of a fee"
        elif amount < due:
            size = "part"
        else:
            size = "more"
        count = "one item" if len(paid) == 1 else "several items"
        if any(i["amount_residual"] < 0 for i in paid):
            count += " with a credit"
        kinds[line["id"]] = f"{count}, {evidence}, {size}"
    return kinds


def judge(decisions, truth, data=None, items=None, residuals=None):
    """Per line: (outcome, matchable, ambiguous).  Outcomes: ``right`` (auto,
    right items and, when ``residuals`` are given, right amounts),
    ``wrong_items``, ``wrong_amounts``, ``suggested`` (right answer among
    the proposals, not auto), ``wrong_suggestions``, ``none``; a line with
    nothing to match: ``reconciled``, ``suggested`` or ``none``."""
    by_id = {item["id"]: item for item in items or ()}
    result = {}
    for decision in decisions:
        line_id = decision.line_id
        record = data.truth[line_id] if data else None
        expected = truth[line_id]
        matchable = bool(expected)
        ambiguous = bool(record and record.ambiguous)

        def right(ids, record=record, expected=expected):
            if record is not None:
                return record.accepts(ids)
            return frozenset(ids) == expected

        proposals = [tuple(p.item_ids) for p in decision.proposals]
        if not matchable:
            outcome = {"auto": "reconciled", "suggest": "suggested"}.get(
                decision.action, "none"
            )
        elif decision.action == "auto":
            outcome = "right" if right(proposals[0]) else "wrong_items"
            if outcome == "right" and residuals is not None and record is not None:
                for item_id in proposals[0]:
                    before = by_id[item_id]["amount_residual"]
                    if record.partial:
                        want = before - record.applied[item_id]
                    else:
                        want = Decimal(0)
                    if abs(residuals.get(item_id, before) - want) > Decimal("0.01"):
                        outcome = "wrong_amounts"
        elif any(right(ids) for ids in proposals):
            outcome = "suggested"
        elif proposals:
            outcome = "wrong_suggestions"
        else:
            outcome = "none"
        result[line_id] = (outcome, matchable, ambiguous)
    return result


def figures_of(judged, ids=None):
    rows = [v for k, v in judged.items() if ids is None or k in ids]
    matchable = [o for o, m, _a in rows if m]
    plain = [o for o, m, a in rows if m and not a]
    autos = [
        o
        for o, _m, _a in rows
        if o in ("right", "wrong_items", "wrong_amounts", "reconciled")
    ]
    autos_matchable = [
        o for o in matchable if o in ("right", "wrong_items", "wrong_amounts")
    ]
    found = [o for o in matchable if o in ("right", "suggested")]

    def share(part, whole):
        return len(part) / len(whole) if whole else float("nan")

    return {
        "lines": len(rows),
        "matchable": len(matchable),
        "precision": share([o for o in autos if o == "right"], autos),
        "auto_share": share(autos_matchable, matchable),
        "auto_share_plain": share(
            [o for o in plain if o in ("right", "wrong_items", "wrong_amounts")], plain
        ),
        "in_proposals": share(found, matchable),
        "auto": len(autos),
        "auto_right": sum(1 for o in autos if o == "right"),
        "wrong_items": sum(1 for o in autos if o == "wrong_items"),
        "wrong_amounts": sum(1 for o in autos if o == "wrong_amounts"),
        "noise": len(rows) - len(matchable),
        "noise_reconciled": sum(1 for o, m, _a in rows if not m and o == "reconciled"),
        "noise_suggested": sum(1 for o, m, _a in rows if not m and o == "suggested"),
    }


def show_judged(title, judged, seconds, n_lines):
    f = figures_of(judged)
    print(
        f"{title:<28} precision {f['precision']:.4f}  auto {f['auto_share']:.3f} "
        f"(not ambiguous {f['auto_share_plain']:.3f})  "
        f"in suggestions {f['in_proposals']:.3f}  "
        f"not-customer lines reconciled {f['noise_reconciled']}  "
        f"autos {f['auto']} (wrong items {f['wrong_items']}, wrong amounts "
        f"{f['wrong_amounts']})  {seconds:.2f} s, "
        f"{1000 * seconds / max(n_lines, 1):.1f} ms a line"
    )


def show_kinds(title, judged, kinds, ambiguous=(), order=None):
    """The figures per kind of line."""
    groups = defaultdict(set)
    for line_id, kind in kinds.items():
        if line_id in judged:
            groups[kind].add(line_id)
    print(f"\n{title}")
    print(
        f"  {'kind':<44}{'lines':>6}{'auto':>8}{'right':>8}{'precis.':>8}"
        f"{'in sugg.':>9}{'wrong':>6}{'none':>6}"
    )
    names = order or sorted(groups)
    for kind in names:
        if kind not in groups:
            continue
        ids = groups[kind]
        f = figures_of(judged, ids)
        none = sum(1 for i in ids if judged[i][0] in ("none",))
        label = kind + (" (ambiguous)" if kind in ambiguous else "")
        if f["matchable"]:
            print(
                f"  {label:<44}{f['lines']:>6}{f['auto_share']:>8.1%}"
                f"{f['auto_right']:>8}{f['precision']:>8.1%}"
                f"{f['in_proposals']:>9.1%}"
                f"{f['wrong_items'] + f['wrong_amounts']:>6}{none:>6}"
            )
        else:
            print(
                f"  {label:<44}{f['lines']:>6}  not to match: reconciled "
                f"{f['noise_reconciled']}, suggested {f['noise_suggested']}, "
                f"left alone {none}"
            )


def show(title, figures, seconds):
    print(
        f"{title:<28} precision {figures['precision']:.3f}  "
        f"auto {figures['auto_share']:.3f}  "
        f"in suggestions {figures['in_proposals']:.3f}  "
        f"noise clean {figures['noise_clean']:.3f}  "
        f"autos {figures['auto']}  {seconds:.2f} s"
    )


def start_profiler(path):
    """A started pyinstrument profiler when ``path`` is given, else None."""
    if not path:
        return None
    from pyinstrument import Profiler  # noqa: PLC0415 - optional, --profile only

    profiler = Profiler(interval=0.002)
    profiler.start()
    return profiler


def stop_profiler(profiler, path):
    """Stop ``profiler`` and write its reports next to ``path``."""
    if profiler is None:
        return
    profiler.stop()
    with open(f"{path}.txt", "w", encoding="utf-8") as report:
        report.write(profiler.output_text(unicode=True, show_all=False))
    with open(f"{path}.html", "w", encoding="utf-8") as report:
        report.write(profiler.output_html())
    print(f"profile written to {path}.txt and {path}.html")


# the tables a run writes
RUN_TABLES = (
    "account_move",
    "account_move_line",
    "account_partial_reconcile",
    "account_full_reconcile",
    "account_bank_statement_line",
    "account_bank_statement",
    "res_partner",
    "res_partner_bank",
)


@contextlib.contextmanager
def timed_method(records, name):
    """Time every call of ``records``' model method ``name`` (its first
    argument's length counted as records) while the block runs."""
    cls = type(records)
    original = getattr(cls, name)
    spent = {"seconds": 0.0, "records": 0}

    def timed(self, first, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, first, *args, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - start
            spent["records"] += len(first)

    setattr(cls, name, timed)
    try:
        yield spent
    finally:
        setattr(cls, name, original)


def analyze(cr):
    """ANALYZE the tables a run writes once its data is in (inside its
    transaction, which ANALYZE counts): the planner then knows them as a
    database holding that data would, not as the empty benchmark
    database.

    Each run is rolled back and leaves its rows dead until autovacuum
    passes: after ten runs back to back, the search Odoo makes for an
    exchange entry's accounting date took 13 s of a 64 s world profile
    (1 s after a VACUUM). A VACUUM before each run is no cure: the
    planner then sees empty tables while the data is set up (370 s
    instead of 38 s at 10,000 lines)."""
    for table in RUN_TABLES:
        cr.execute(f"ANALYZE {table}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="sales_closing_bench_matching")
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dataset",
        choices=("own", "world"),
        default="own",
        help="own: matching_dataset (the engine is tuned on it); world: "
        "matching_world, written from a description of real statements "
        "and not tuned on",
    )
    parser.add_argument(
        "--oca",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the OCA account_reconcile_model_oca rules "
        "(installed in the benchmark database if needed)",
    )
    parser.add_argument(
        "--oca-budget",
        type=float,
        default=0.0,
        metavar="FACTOR",
        help="stop the OCA run after FACTOR times our seconds and report the "
        "lines it did by then (0: let it finish); e.g. 5 proves a 5x ratio "
        "without waiting for the peer at 10,000 lines",
    )
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="print the engine's figures alone (overall and per kind of "
        "line) and stop before Odoo: no database is opened",
    )
    parser.add_argument(
        "--orm-setup",
        action="store_true",
        help="create every open item and statement line with the ORM (slow)",
    )
    parser.add_argument(
        "--check-setup",
        action="store_true",
        help="only compare the rows of the fast setup with the ORM's on a "
        "small dataset",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="profile action_auto_match with pyinstrument (not in "
        "requirements.txt: pip install pyinstrument) and write its report: "
        "FILE.html and FILE.txt",
    )
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    if args.engine_only:
        # the addons importable without loading a registry
        odoo.modules.module.initialize_sys_path()
        registry = None
    else:
        registry = Registry(args.database)
    global dataset, world, Decision, MatchConfig, Proposal, match_lines  # noqa: PLW0603
    import matching_dataset as dataset  # noqa: PLC0415 - next to this file
    import matching_world as world  # noqa: PLC0415 - next to this file

    from odoo.addons.sales_closing_reconcile.engine.matching import (
        Decision,
        MatchConfig,
        Proposal,
        match_lines,
    )

    if args.check_setup:
        raise SystemExit(1 if check_setup(registry, args.seed, args.dataset) else 0)
    start = time.perf_counter()
    lines, items, partner_accounts, truth, data = load(
        args.dataset, args.seed, args.lines, args.items
    )
    print(
        f"dataset {args.dataset}: {len(lines)} lines, {len(items)} open items, "
        f"generated in {time.perf_counter() - start:.1f} s"
    )
    if data is not None:
        kinds = {line_id: record.kind for line_id, record in data.truth.items()}
        channels = {line_id: record.channel for line_id, record in data.truth.items()}
        order = list(world.KIND_SHARES)
        ambiguous = set(world.AMBIGUOUS_KINDS)
    elif all("kind" in line for line in lines):
        # the own generator names its lines' kinds (never passed to the
        # engine: ENGINE_KEYS)
        kinds = {line["id"]: line["kind"] for line in lines}
        channels = {line["id"]: line["currency"] for line in lines}
        order, ambiguous = None, ()
    else:
        kinds = observed_kinds(lines, items, partner_accounts, truth)
        channels = {line["id"]: line["currency"] for line in lines}
        order, ambiguous = None, ()
    engine_lines = [{key: line[key] for key in ENGINE_KEYS} for line in lines]
    start = time.perf_counter()
    engine = match_lines(
        engine_lines,
        items,
        partner_accounts,
        MatchConfig(fee_tolerance_abs=Decimal(0), fee_tolerance_pct=Decimal("0.035")),
    )
    seconds = time.perf_counter() - start
    if data is None:
        show("engine alone (no Odoo)", dataset.evaluate(engine, truth), seconds)
    alone = judge(engine, truth, data)
    show_judged("engine alone (no Odoo)", alone, seconds, len(lines))
    if args.engine_only:
        show_kinds("engine alone per kind of line", alone, kinds, ambiguous, order)
        return
    if args.oca:
        ensure_oca(registry, args.database)
        registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            start = time.perf_counter()
            currencies = setup_company(env, **company_args(data))
            st_ids, aml_ids = populate(
                env, lines, items, partner_accounts, currencies, orm=args.orm_setup
            )
            env.flush_all()
            analyze(cr)
            print(
                f"created {len(items)} open items and {len(lines)} statement lines "
                f"in {time.perf_counter() - start:.1f} s"
            )
            savepoint = cr.savepoint()
            st_lines = env["account.bank.statement.line"].browse(list(st_ids.values()))
            env.invalidate_all()
            profiler = start_profiler(args.profile)
            start = time.perf_counter()
            with timed_method(st_lines, "_sales_closing_apply_matches") as writes:
                st_lines.with_context(sales_closing_match_now=True).action_auto_match()
            env.flush_all()
            seconds = time.perf_counter() - start
            stop_profiler(profiler, args.profile)
            decisions = read_decisions(env, st_ids, aml_ids)
            if data is None:
                show(
                    "action_auto_match (Odoo)",
                    dataset.evaluate(decisions, truth),
                    seconds,
                )
            touched = {
                i
                for d in decisions
                if d.action == "auto"
                for i in d.proposals[0].item_ids
            }
            residuals = read_residuals(env, aml_ids, touched)
            ours = judge(decisions, truth, data, items, residuals)
            show_judged("action_auto_match (Odoo)", ours, seconds, len(lines))
            states = defaultdict(int)
            for st in st_lines:
                states[st.sales_closing_match_state] += 1
            print("line states:", dict(states))
            # Odoo's floor: what writing the reconciliations costs alone
            print(
                f"of which Odoo's accounting writes (_sales_closing_apply_matches:"
                f" counterpart items, _reconcile_plan, exchange entries) for "
                f"{writes['records']} reconciliations: {writes['seconds']:.1f} s, "
                f"{1000 * writes['seconds'] / len(lines):.1f} ms a line, "
                f"{1000 * writes['seconds'] / max(writes['records'], 1):.1f} ms a "
                f"reconciliation"
            )
            exchange_journal = env.company.currency_exchange_journal_id
            print(
                "exchange-difference entries Odoo made:",
                env["account.move"].search_count(
                    [("journal_id", "=", exchange_journal.id)]
                ),
            )
            show_kinds(
                "action_auto_match per kind of line",
                ours,
                kinds,
                ambiguous,
                order,
            )
            show_kinds("action_auto_match per channel / currency", ours, channels)
            if args.oca:
                savepoint.rollback()
                env.invalidate_all()
                rules = setup_oca_model(env, env.company.sales_closing_fee_account_id)
                env.flush_all()
                env.invalidate_all()
                budget = args.oca_budget * seconds if args.oca_budget else None
                decisions, oca_seconds, applied = run_oca(
                    env, rules, st_lines, aml_ids, st_ids, budget=budget
                )
                if data is None:
                    show(
                        "OCA reconcile model rules",
                        dataset.evaluate(decisions, truth),
                        oca_seconds,
                    )
                oca = judge(decisions, truth, data)
                show_judged(
                    "OCA reconcile model rules", oca, oca_seconds, len(decisions)
                )
                show_kinds(
                    "OCA rules per kind of line (items only)",
                    oca,
                    kinds,
                    ambiguous,
                    order,
                )
                done = len(decisions)
                if applied is not None:
                    print(f"OCA automatic matches reconciled: {applied}")
                if done == len(st_lines):
                    print(
                        f"OCA did all {done} lines; "
                        f"ours {oca_seconds / seconds:.1f}x faster"
                    )
                else:
                    pace = oca_seconds / done if done else float("inf")
                    print(
                        f"OCA stopped at its budget ({args.oca_budget:g} x ours = "
                        f"{budget:.0f} s) after {done} of {len(st_lines)} lines "
                        f"(its figures above are over those lines; its automatic "
                        f"matches were not reconciled, which would only add to "
                        f"its time): ours is more "
                        f"than {oca_seconds / seconds:.1f}x faster; at its pace "
                        f"({1000 * pace:.0f} ms a line, ours "
                        f"{1000 * seconds / len(st_lines):.1f}) all lines would take "
                        f"{pace * len(st_lines):.0f} s, "
                        f"{pace * len(st_lines) / seconds:.1f}x ours"
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
