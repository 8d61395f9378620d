"""Demo data: two companies whose last three months of sales need closing.

Loaded only on databases created with demo data (``demo/`` in the manifest),
never on a test database unless a test calls :meth:`_load_demo` itself.
Orders are made through Odoo's own flows (confirm, deliver, invoice, pay), so
every screen of the closing addons shows real, consistent records.
"""

import base64
import io
import logging
import random
from datetime import datetime, time, timedelta
from xml.sax.saxutils import escape

from dateutil.relativedelta import relativedelta
from PIL import Image, ImageDraw, ImageFont

from odoo import Command, api, fields, models
from odoo.tools import mute_logger

from ..tools import write_in_languages

_logger = logging.getLogger(__name__)

COMPANIES = {
    "cn": {
        "name": "上海闭环贸易有限公司",
        "country": "base.cn",
        "currency": "base.CNY",
        "city": "上海",
        "street": "浦东新区世纪大道100号",
        "zip": "200120",
        "state": "base.state_cn_SH",
        "phone": "+86 21 5555 0100",
        "email": "ar@closing-sh.example.com",
        "initials": "SH",
        "colour": "#9a3b1b",
        "vat": "91310115MA1K4ABC2X",
        "warehouses": [("SH", "上海仓"), ("SZ", "深圳仓")],
        # (name, country, credit limit, street, city, zip, state)
        "customers": [
            (
                "北京华信科技有限公司",
                "base.cn",
                200000.0,
                "海淀区中关村大街27号",
                "北京",
                "100080",
                "base.state_cn_BJ",
            ),
            (
                "广州明珠贸易有限公司",
                "base.cn",
                80000.0,
                "天河区珠江新城花城大道85号",
                "广州",
                "510623",
                "base.state_cn_GD",
            ),
            (
                "杭州云帆电子商务有限公司",
                "base.cn",
                150000.0,
                "西湖区文三路398号",
                "杭州",
                "310013",
                "base.state_cn_ZJ",
            ),
            (
                "成都天府餐饮管理有限公司",
                "base.cn",
                30000.0,
                "锦江区春熙路18号",
                "成都",
                "610021",
                "base.state_cn_SC",
            ),
            (
                "深圳前海物流有限公司",
                "base.cn",
                120000.0,
                "南山区前海大道1号",
                "深圳",
                "518052",
                "base.state_cn_GD",
            ),
        ],
        "salespeople": [("li.wei", "李伟"), ("zhang.min", "张敏")],
        # one user per closing group besides the salespeople
        "accountant": ("wang.fang", "王芳"),
        "reviewer": ("zhao.lei", "赵磊"),
        "manager": ("chen.jing", "陈静"),
        "auditor": ("liu.yang", "刘洋"),
        "lang": "zh_CN",
        "tz": "Asia/Shanghai",
    },
    "eu": {
        "name": "Closing Europe GmbH",
        "country": "base.de",
        "currency": "base.EUR",
        "city": "Hamburg",
        "street": "Speicherstadt 12",
        "zip": "20457",
        "state": "base.state_de_hh",
        "phone": "+49 40 5555 0100",
        "email": "ar@closing-europe.example.com",
        "initials": "CE",
        "colour": "#2f5d8a",
        "vat": "DE123456788",
        "warehouses": [("HH", "Hamburg"), ("MU", "Munich")],
        "customers": [
            (
                "Nordlicht Handels AG",
                "base.de",
                50000.0,
                "Jungfernstieg 7",
                "Hamburg",
                "20354",
                "base.state_de_hh",
            ),
            (
                "Boulangerie Martin SARL",
                "base.fr",
                8000.0,
                "12 rue de la République",
                "Lyon",
                "69002",
                False,
            ),
            (
                "Van Dijk Logistics B.V.",
                "base.nl",
                25000.0,
                "Wilhelminakade 91",
                "Rotterdam",
                "3072 AP",
                "base.state_nl_zh",
            ),
            (
                "Rossi Forniture S.r.l.",
                "base.it",
                15000.0,
                "Via Montenapoleone 8",
                "Milano",
                "20121",
                "base.state_it_mi",
            ),
            (
                "Alpine Outdoor GmbH",
                "base.at",
                20000.0,
                "Maria-Theresien-Straße 18",
                "Innsbruck",
                "6020",
                False,
            ),
        ],
        "salespeople": [
            ("anna.schmidt", "Anna Schmidt"),
            ("marco.rossi", "Marco Rossi"),
        ],
        "accountant": ("julia.weber", "Julia Weber"),
        "reviewer": ("lukas.becker", "Lukas Becker"),
        "manager": ("sophie.wagner", "Sophie Wagner"),
        "auditor": ("thomas.klein", "Thomas Klein"),
        "lang": "en_US",
        "tz": "Europe/Berlin",
    },
}

PRODUCTS = [
    # (default code, English name, Chinese name, price, cost, invoicing policy)
    ("SC-DESK", "Standing Desk", "升降办公桌", 450.0, 260.0, "delivery"),
    ("SC-CHAIR", "Ergonomic Chair", "人体工学椅", 320.0, 170.0, "delivery"),
    ("SC-LAMP", "LED Desk Lamp", "LED台灯", 45.0, 18.0, "delivery"),
    ("SC-MONITOR", "27-inch Monitor", "27寸显示器", 280.0, 190.0, "delivery"),
    ("SC-INSTALL", "Installation Service", "安装服务", 120.0, 0.0, "order"),
]

# The states of the orders each company gets, oldest first.
ORDER_PLAN = [
    "paid",
    "paid",
    "overdue",
    "invoiced",
    "delivered",
    "paid",
    "overdue",
    "partial",
    "invoiced",
    "delivered",
    "confirmed",
    "paid",
    "partial",
    "invoiced",
    "confirmed",
    "quotation",
    "delivered",
    "quotation",
]


class SalesClosingDemo(models.AbstractModel):
    _name = "sales.closing.demo"
    _description = "Sales Closing Demo Data Loader"

    @api.model
    def _demo_lang(self, code):
        """``code`` when that language is active, else English.

        The demo never requires a language: on a database without Chinese
        loaded, names and partners stay in English (``./setup/demo`` loads
        zh_CN first to show the Chinese translations).
        """
        return code if self.env["res.lang"]._lang_get(code) else "en_US"

    @api.model
    def _load_demo(self, today=None):
        today = today or fields.Date.context_today(self)
        rng = random.Random(2026)
        self._demo_languages()
        self._demo_translations()
        self._demo_discounts()
        admin = self.env.ref("base.user_admin")
        # the administrator keeps the catalogue shared by the companies
        products = self._demo_as(admin)._demo_products()
        companies = self.env["res.company"]
        for key, spec in COMPANIES.items():
            company = self._demo_company(key, spec)
            companies |= company
            admin.write({"company_ids": [Command.link(company.id)]})
            env = self.with_company(company).with_context(
                allowed_company_ids=company.ids, tracking_disable=True
            )
            env._demo_stock(company, spec, products)
            users = env._demo_users(company, spec)
            customers = env._demo_as(users[0])._demo_customers(spec, users[:2])
            env._demo_as(users[4])._demo_invoice_layouts(company, key, customers)
            env._demo_orders(company, customers, products, users, today, rng)
            env._demo_as(users[0])._demo_order_to_approve(
                company, customers[1], products, users[0]
            )
            # invoicing automation: the last customer is invoiced on delivery
            # by the scheduled action, invoices posted
            company.sales_closing_invoice_post = True
            customers[-1].sales_closing_invoice_policy = "delivery"
            env._demo_as(users[2])._demo_bank_lines(company, today, spec["lang"])
            env._demo_periods(company, users, today)
            if key == "cn":
                env._demo_fapiao(company, customers, products, users, today)
        self._demo_odoo_records(companies)
        admin.write({"company_id": companies[0].id})
        return True

    @api.model
    def _demo_as(self, user):
        """This loader acting as ``user``, with the rights of the superuser.

        The demo data load as the superuser (OdooBot): each record is made in
        the name of the demo user who would make it, so that its creator, the
        author of its messages and who assigned its activities are that user,
        never OdooBot.  sudo: the demo users' groups do not cover every step
        of the demo (a salesperson validates the deliveries of its orders).
        """
        return self.with_user(user).sudo()

    @api.model
    def _demo_user(self, company, role):
        """The demo user of ``company`` in ``role`` (``salesperson``,
        ``accountant``, ``reviewer``, ``manager`` or ``auditor``).

        On Odoo's own demo companies, Odoo's demo users: Marc Demo sells where
        he works, the administrator does the rest."""
        for spec in COMPANIES.values():
            if spec["name"] != company.name:
                continue
            login = (
                spec["salespeople"][0][0] if role == "salesperson" else spec[role][0]
            )
            user = self.env["res.users"].search([("login", "=", login)], limit=1)
            if user:
                return user
        if role == "salesperson":
            demo = self.env.ref("base.user_demo", raise_if_not_found=False)
            if demo and company in demo.company_ids:
                return demo
        return self.env.ref("base.user_admin")

    @api.model
    def _demo_odoo_records(self, companies):
        """Odoo's own demo invoices and orders that OdooBot sells (loaded
        without a salesperson) get the salesperson of their company: the
        demo's reminders, collection cases and installment plans are built on
        them."""
        root = self.env.ref("base.user_root")
        for model, field in (
            ("account.move", "invoice_user_id"),
            ("sale.order", "user_id"),
        ):
            records = self.env[model].search(
                [(field, "=", root.id), ("company_id", "not in", companies.ids)]
            )
            for company in records.company_id:
                records.filtered(lambda r, c=company: r.company_id == c).write(
                    {field: self._demo_user(company, "salesperson").id}
                )

    @api.model
    def _demo_languages(self):
        """English and, when loaded, Chinese active; the administrator reads
        English, the demo users of the Chinese company Chinese."""
        self.env["res.lang"]._activate_lang("en_US")
        self.env.ref("base.user_admin").lang = "en_US"

    @api.model
    def _demo_logo(self, spec):
        """A logo of the company's initials, white on its colour (PNG)."""
        image = Image.new("RGB", (240, 120), spec["colour"])
        draw = ImageDraw.Draw(image)
        try:
            font = ImageFont.truetype("DejaVuSans-Bold.ttf", 64)
        except OSError:
            font = ImageFont.load_default(size=64)
        draw.text((120, 60), spec["initials"], fill="white", font=font, anchor="mm")
        stream = io.BytesIO()
        image.save(stream, format="PNG")
        return base64.b64encode(stream.getvalue())

    @api.model
    def _demo_translations(self):
        """Load this module's translations now: Odoo loads them after the
        demo data, and the closing package the demo seals would print its
        template's text in English in a Chinese package."""
        self.env["ir.module.module"].search(
            [("name", "=", "sales_closing")]
        )._update_translations()

    @api.model
    def _demo_discounts(self):
        """Show the discount column of order lines (Settings > Sales >
        Discounts): the demo's orders carry discounts, and a line of 3 x 450
        reading 1,012.50 without its 25% looks wrong."""
        discount = self.env.ref("sale.group_discount_per_so_line")
        # what res.config.settings does for group_discount_per_so_line
        self.env.ref("base.group_user").write(
            {"implied_ids": [Command.link(discount.id)]}
        )

    # ------------------------------------------------------------------
    def _demo_company(self, key, spec):
        currency = self.env.ref(spec["currency"])
        currency.active = True
        company = self.env["res.company"].create(
            {
                "name": spec["name"],
                "country_id": self.env.ref(spec["country"]).id,
                "currency_id": currency.id,
                "city": spec["city"],
                "street": spec["street"],
                "zip": spec["zip"],
                "state_id": self.env.ref(spec["state"]).id,
                "phone": spec["phone"],
                "email": spec["email"],
                "logo": self._demo_logo(spec),
                "vat": spec["vat"],
                "account_use_credit_limit": True,
            }
        )
        company.partner_id.write(
            {"lang": self._demo_lang(spec["lang"]), "tz": spec["tz"]}
        )
        installed = self.env["ir.module.module"].search(
            [("name", "=", "l10n_cn"), ("state", "in", ("installed", "to install"))]
        )
        template = "cn" if key == "cn" and installed else "generic_coa"
        # The chart is loaded while the demo data of this module loads, as
        # Odoo's own localisation demo data does; the warning about a partly
        # loaded registry does not apply to these already loaded models.
        with mute_logger("odoo.addons.account.models.chart_template"):
            self.env["account.chart.template"].try_loading(template, company)
        # the generic chart sets its own currency; no entry exists yet
        company.currency_id = currency
        self.env.ref("base.user_root").write(
            {"company_ids": [Command.link(company.id)]}
        )
        return company

    def _demo_products(self):
        products = self.env["product.product"]
        for code, name, name_cn, price, cost, policy in PRODUCTS:
            service = code == "SC-INSTALL"
            product = self.env["product.product"].create(
                {
                    "name": name,
                    "default_code": code,
                    "type": "service" if service else "consu",
                    "is_storable": not service,
                    "list_price": price,
                    "standard_price": cost,
                    "invoice_policy": policy,
                }
            )
            if self._demo_lang("zh_CN") == "zh_CN":
                product.product_tmpl_id.with_context(lang="zh_CN").name = name_cn
            products |= product
        return products

    def _demo_stock(self, company, spec, products):
        warehouses = self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)]
        )
        code, name = spec["warehouses"][1]
        warehouses |= self.env["stock.warehouse"].create(
            {"name": name, "code": code, "company_id": company.id}
        )
        taxes = company.account_sale_tax_id or self._demo_sale_tax(company)
        Quant = self.env["stock.quant"]
        for product in products:
            if taxes:
                product.taxes_id = [Command.link(taxes.id)]
            if not product.is_storable:
                continue
            for qty, warehouse in zip((60, 25), warehouses, strict=False):
                Quant._update_available_quantity(product, warehouse.lot_stock_id, qty)

    def _demo_sale_tax(self, company):
        """The company's default sales tax: a chart without one (the
        Chinese chart) gets VAT 13%, so invoices show a rate and a tax."""
        Tax = self.env["account.tax"]
        country = company.account_fiscal_country_id or company.country_id
        tax = Tax.search(
            [
                ("company_id", "=", company.id),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                ("amount", "=", 13.0),
            ],
            limit=1,
        ) or Tax.create(
            {
                "name": "VAT 13%",
                "invoice_label": "13%",
                "amount": 13.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": company.id,
                "country_id": country.id,
                "tax_group_id": self.env["account.tax.group"]
                .create(
                    {
                        "name": "VAT 13%",
                        "company_id": company.id,
                        "country_id": country.id,
                    }
                )
                .id,
            }
        )
        company.account_sale_tax_id = tax
        return tax

    def _demo_users(self, company, spec):
        users = self.env["res.users"]
        groups = {
            "sales": self.env.ref("sales_closing.group_closing_user"),
            "accountant": self.env.ref("sales_closing.group_closing_accountant"),
            "reviewer": self.env.ref("sales_closing.group_closing_accountant"),
            "manager": self.env.ref("sales_closing.group_closing_manager"),
            "auditor": self.env.ref("sales_closing.group_closing_auditor"),
        }
        # users[0:2] salespeople, then preparer, reviewer, manager, auditor
        logins = [(login, name, "sales") for login, name in spec["salespeople"]]
        for role in ("accountant", "reviewer", "manager", "auditor"):
            logins.append((*spec[role], role))
        for login, name, role in logins:
            users |= (
                self.env["res.users"]
                .with_context(no_reset_password=True)
                .create(
                    {
                        "name": name,
                        "login": login,
                        "password": login,
                        "email": f"{login}@example.com",
                        "lang": self._demo_lang(spec["lang"]),
                        # where they work: the times they read (the closing
                        # package says when it was closed) are local
                        "tz": spec["tz"],
                        "company_id": company.id,
                        "company_ids": [Command.set(company.ids)],
                        "groups_id": [Command.link(groups[role].id)],
                    }
                )
            )
        return users

    def _demo_customers(self, spec, salespeople):
        return self.env["res.partner"].create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "street": street,
                    "city": city,
                    "zip": zip_code,
                    "state_id": state and self.env.ref(state).id,
                    "country_id": self.env.ref(country).id,
                    "user_id": salespeople[index % len(salespeople)].id,
                    "lang": self._demo_lang(
                        "zh_CN" if country == "base.cn" else "en_US"
                    ),
                    "credit_limit": limit,
                    "email": f"ar{index}@example.com",
                }
                for index, (
                    name,
                    country,
                    limit,
                    street,
                    city,
                    zip_code,
                    state,
                ) in enumerate(spec["customers"])
            ]
        )

    def _demo_orders(self, company, customers, products, users, today, rng):
        """The orders of ``ORDER_PLAN``: each made, confirmed and delivered by
        its salesperson, invoiced and paid by the company's accountant."""
        salespeople = users[:2]
        accountant = self._demo_as(users[2]).env
        term_30 = self.env.ref("account.account_payment_term_30days")
        start = today.replace(day=1) - relativedelta(months=2)
        span = (today - start).days
        count = len(ORDER_PLAN)
        for index, state in enumerate(ORDER_PLAN):
            # spread from the first day of the month before last to today
            day = start + timedelta(days=(span * index) // (count - 1))
            customer = customers[index % len(customers)]
            lines = [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": rng.randint(2, 8),
                        "discount": rng.choice((0, 0, 5, 10)),
                    }
                )
                for product in rng.sample(list(products[:4]), 2)
            ]
            if index % 3 == 0:
                lines.append(Command.create({"product_id": products[4].id}))
            salesperson = salespeople[index % 2]
            order = (
                self._demo_as(salesperson)
                .env["sale.order"]
                .create(
                    {
                        "partner_id": customer.id,
                        "user_id": salesperson.id,
                        "company_id": company.id,
                        "payment_term_id": term_30.id,
                        "order_line": lines,
                    }
                )
            )
            moment = datetime.combine(day, time(10, 0))
            if state != "quotation":
                order.action_confirm()
            order.date_order = moment
            if state in ("quotation", "confirmed"):
                continue
            self._demo_deliver(order, moment, partial=state == "partial")
            if state in ("delivered", "partial"):
                continue
            invoice_day = day
            invoice = order.with_env(accountant)._create_invoices()
            invoice.invoice_date = invoice_day
            invoice.action_post()
            if state == "paid":
                accountant["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoice.ids
                ).create(
                    {"payment_date": min(today, invoice_day + timedelta(days=12))}
                )._create_payments()

    def _demo_deliver(self, order, moment, partial=False):
        for picking in order.picking_ids:
            for move in picking.move_ids:
                move.quantity = (
                    max(1.0, move.product_uom_qty // 2)
                    if partial
                    else move.product_uom_qty
                )
                move.picked = True
            picking._action_done()
            picking.date_done = moment + timedelta(days=2)

    def _demo_bank_lines(self, company, today, lang="en_US"):
        """A bank line paying each posted invoice, a fee, the salaries and
        a transfer nobody can place, labelled as the company's bank prints
        them: in Chinese for the Chinese company."""
        chinese = lang == "zh_CN"
        salaries = today - relativedelta(days=35)
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
        )
        invoices = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ],
            order="invoice_date",
        )
        values = [
            {
                "journal_id": journal.id,
                "date": min(today, invoice.invoice_date + timedelta(days=10)),
                "payment_ref": (
                    f"货款 {invoice.name}"
                    if chinese
                    else f"Payment {invoice.name} {invoice.partner_id.name}"
                ),
                "partner_name": invoice.partner_id.name,
                "amount": invoice.amount_total,
            }
            for invoice in invoices
        ]
        values += [
            {
                "journal_id": journal.id,
                "date": today - relativedelta(days=days),
                "payment_ref": label,
                "amount": amount,
            }
            for days, label, amount in (
                (40, "手续费" if chinese else "Bank charges", -12.5),
                (
                    35,
                    f"代发工资 {salaries.year}年{salaries.month}月"
                    if chinese
                    else f"Salaries {salaries:%m/%Y}",
                    -4200.0,
                ),
                (5, "汇入 8842" if chinese else "Transfer 8842", 310.0),
            )
        ]
        self.env["account.bank.statement.line"].create(values)

    def _demo_statements(self, company, period):
        """Statements of ``period`` sent to the customers: one confirmed on
        the portal, one disputed, the others waiting for an answer."""
        statements = self.env["sales.closing.statement"]._generate(
            company, period.date_from, period.date_to, period=period
        )
        statements.action_send()
        # the customers answer on the portal, as its controller records it:
        # the public user, in sudo, on the statement of the access token
        public = statements.with_user(self.env.ref("base.public_user")).sudo()
        if statements:
            public[0]._portal_answer("confirmed", answered_by="Demo customer")
        if len(statements) > 1:
            # the customer writes in its own language
            customer = statements[1].partner_id
            public[1]._portal_answer(
                "disputed",
                comment=self.with_context(lang=customer.lang).env._(
                    "The credit note of last month is missing."
                ),
                answered_by=customer.name,
            )

    def _demo_order_to_approve(self, company, customer, products, user):
        """An order above the maximum discount, waiting for approval."""
        company.sales_closing_max_discount = 15.0
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "user_id": user.id,
                "company_id": company.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": products[0].id,
                            "product_uom_qty": 3,
                            "discount": 25,
                        }
                    )
                ],
            }
        )
        order.action_confirm()

    def _demo_periods(self, company, users, today):
        preparer, reviewer, manager = users[2:5]
        # the preparer opens the periods: their responsible, and so of their
        # checks; the manager adds the company's manual task
        Period = self._demo_as(preparer).env["sales.closing.period"]
        first = today.replace(day=1) - relativedelta(months=2)
        periods = Period.browse()
        for months in range(3):
            periods |= Period._create_for(company, first + relativedelta(months=months))
        periods.user_id = preparer
        review = (
            self._demo_as(manager)
            .env["sales.closing.check.kind"]
            .create(
                {
                    "name": "Review sales commissions",
                    "code": f"review_commissions_{company.id}",
                    "is_manual": True,
                    "company_id": company.id,
                    "user_id": preparer.id,
                    "reviewer_id": reviewer.id,
                }
            )
        )
        write_in_languages(
            review, lambda env: {"name": env._("Review sales commissions")}
        )
        # texts the company's accountants type, in the company's language
        texts = self.with_context(lang=company.partner_id.lang).env
        # the checklists first: the customer statements check names who
        # handles a disputed statement (its responsible, the preparer)
        periods._ensure_check_lines()
        self._demo_as(preparer)._demo_statements(
            company, periods.sorted("date_from")[1]
        )
        # the preparer's Run Checks: items, checks, flux and the period's
        # Last Run (running the lines alone left it empty)
        periods.with_user(preparer).action_run_checks()
        # close the oldest period, waiving what the demo leaves open
        oldest = periods.sorted("date_from")[0]
        manual = oldest.check_line_ids.filtered(lambda ln: ln.kind_id == review)
        manual.write(
            {"status": "ok", "comment": texts._("Commissions agreed with sales.")}
        )
        # signed off by its preparer, then by its reviewer
        manual.with_user(preparer).action_sign_prepare()
        manual.with_user(reviewer).action_sign_review()
        failed = oldest.check_line_ids.filtered("is_blocking_open")
        failed.with_env(self._demo_as(manager).env).write(
            {"waiver_reason": texts._("Demo: accepted by the finance manager.")}
        )
        failed.filtered(lambda ln: ln.status == "failed").with_user(
            manager
        ).action_waive()
        failed.filtered(lambda ln: ln.status == "pending").status = "ok"
        oldest.flux_line_ids.filtered("needs_explanation").explanation = texts._(
            "Demo: first month sold through Odoo, no comparable history."
        )
        # the closing manager closes it (the package says who)
        oldest.with_user(manager).action_close()
        # what they changed is computed in their name, not in the
        # superuser's when the loading ends
        self._demo_as(manager).env.flush_all()
        _logger.info("Sales Closing demo data loaded for %s", company.name)

    def _demo_fapiao(self, company, customers, products, users, today):
        """The Chinese company issues e-fapiao (数电票) from yesterday, by the
        batch-issue file: its products get their tax classification codes; a
        customer of its own (a 专票 buyer) has its unified social credit
        code; four invoices of yesterday are posted in a sales journal of
        their own, two of them issued on the platform and imported back (the
        issued XML in the published shape, linked by buyer tax ID, total and
        date, and attached), two to export.  The template is the company's
        own upload (never shipped): the demo has none, so exporting asks for
        it."""
        # the accountant's language: the import's messages are in it
        accountant = self._demo_as(users[2]).with_context(lang=users[2].lang).env
        # settings, journal and catalogue by the administrator, the customer
        # by its salesperson (each record in the name of who would do it)
        admin = self._demo_as(self.env.ref("base.user_admin")).env
        for product in products.with_env(admin):
            product.sales_closing_fapiao_tax_code = (
                "3040201000000000000"  # 现代服务: 技术服务
                if product.type == "service"
                else "1050201990000000000"  # 家具: 其他家具
            )
        company.with_env(admin).write(
            {
                "sales_closing_fapiao_enabled": True,
                "sales_closing_fapiao_type": "02",
                "sales_closing_fapiao_provider": "file",
            }
        )
        # a customer of its own (the other demos' flows leave it alone),
        # with a valid code (check digit), not a real company's
        buyer = (
            self._demo_as(customers[0].user_id)
            .env["res.partner"]
            .create(
                {
                    "name": "上海浦江精密仪器有限公司",
                    "is_company": True,
                    "street": "闵行区江川路1000号",
                    "city": "上海",
                    "zip": "200240",
                    "state_id": self.env.ref("base.state_cn_SH").id,
                    "country_id": self.env.ref("base.cn").id,
                    "user_id": customers[0].user_id.id,
                    "lang": self._demo_lang("zh_CN"),
                    "email": "ap@pujiang.example.com",
                    "vat": "91110108MA01HXKC2G",
                    "sales_closing_fapiao_type": "01",
                }
            )
        )
        # a sales journal of their own: the other demos' invoices keep the
        # numbers their bank lines quote
        journal = admin["account.journal"].create(
            {
                "name": "数电发票"
                if self._demo_lang("zh_CN") == "zh_CN"
                else "E-Fapiao",
                "code": "EFP",
                "type": "sale",
                "company_id": company.id,
            }
        )
        invoices = accountant["account.move"]
        plan = [
            (buyer, [(products[0], 2), (products[4], 1)]),
            (buyer, [(products[1], 4)]),
            (customers[1], [(products[2], 10), (products[3], 1)]),
            (customers[2], [(products[0], 1)]),
        ]
        for customer, lines in plan:
            invoices |= accountant["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    # yesterday, due at once: not the invoice the payments
                    # demo turns into an installment plan (due from today)
                    "invoice_date": today - timedelta(days=1),
                    "invoice_user_id": customer.user_id.id,
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": product.id, "quantity": qty})
                        for product, qty in lines
                    ],
                }
            )
        invoices.action_post()
        # both issued files imported back at once, as the accountant does
        files = accountant["ir.attachment"]
        for index, invoice in enumerate(invoices[:2]):
            number = f"2631200000{invoice.invoice_date:%y%m%d}{index + 1:04d}"
            files |= accountant["ir.attachment"].create(
                {
                    "name": f"dzfp_{number}.xml",
                    "raw": self._demo_issued_xml(invoice, number),
                    "mimetype": "application/xml",
                }
            )
        accountant["sales.closing.fapiao.import"].create(
            {"company_id": company.id, "attachment_ids": [Command.set(files.ids)]}
        ).action_import()
        # what is left to recompute is written in the accountant's name now,
        # not in OdooBot's at the next flush of the demo loader
        accountant.flush_all()

    def _demo_issued_xml(self, invoice, number):
        """An issued e-fapiao XML as the platform lets one download it."""
        company, buyer = invoice.company_id, invoice.commercial_partner_id
        issued = f"{invoice.invoice_date} 10:30:00"
        items = []
        for line in invoice.invoice_line_ids:
            items.append(
                "<IssuItemInformation>"
                f"<ItemName>{escape(line.product_id.name)}</ItemName><SpecMod/>"
                f"<MeaUnits>{escape(line.product_uom_id.name)}</MeaUnits>"
                f"<Quantity>{line.quantity:g}</Quantity>"
                f"<UnPrice>{line.price_subtotal / line.quantity:.2f}</UnPrice>"
                f"<Amount>{line.price_subtotal:.2f}</Amount>"
                f"<TaxRate>{sum(line.tax_ids.mapped('amount')) / 100:g}</TaxRate>"
                f"<ComTaxAm>{line.price_total - line.price_subtotal:.2f}</ComTaxAm>"
                "<TaxClassificationCode>"
                f"{line.product_id.sales_closing_fapiao_tax_code}"
                "</TaxClassificationCode></IssuItemInformation>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><EInvoice><Header>'
            f"<EIid>{number}</EIid><EInvoiceTag>SWEI3100</EInvoiceTag>"
            "<Version>0.32</Version></Header><EInvoiceData><SellerInformation>"
            f"<SellerIdNum>{company.vat}</SellerIdNum>"
            f"<SellerName>{escape(company.name)}</SellerName></SellerInformation>"
            f"<BuyerInformation><BuyerIdNum>{buyer.vat}</BuyerIdNum>"
            f"<BuyerName>{escape(buyer.name)}</BuyerName></BuyerInformation>"
            "<BasicInformation>"
            f"<TotalAmWithoutTax>{invoice.amount_untaxed:.2f}</TotalAmWithoutTax>"
            f"<TotalTaxAm>{invoice.amount_tax:.2f}</TotalTaxAm>"
            f"<TotalTax-includedAmount>{invoice.amount_total:.2f}"
            "</TotalTax-includedAmount>"
            f"<RequestTime>{issued}</RequestTime><Drawer>王芳</Drawer>"
            f"</BasicInformation>{''.join(items)}<AdditionalInformation>"
            f"<Remark>{escape(invoice.name)}</Remark></AdditionalInformation>"
            "</EInvoiceData><TaxSupervisionInfo>"
            f"<InvoiceNumber>{number}</InvoiceNumber><IssueTime>{issued}</IssueTime>"
            "</TaxSupervisionInfo></EInvoice>"
        ).encode()

    def _demo_invoice_layouts(self, company, key, customers):
        """A bank account on the invoices and each invoice layout in use:
        the Chinese company prints the VAT invoice style by default (its
        customers get a tax ID), two customers of each company another one."""
        if key == "cn":
            bank = (
                "中国工商银行上海浦东支行",
                "ICBKCNBJSHI",
                "6222 0210 0112 3456 789",
            )
            vats = [f"9111010{index}MA01ABCD3Y" for index in range(len(customers))]
            layouts = {3: "modern", 4: "classic"}
            company.sales_closing_invoice_layout = "cn_vat"
        else:
            bank = ("Commerzbank Hamburg", "COBADEFFXXX", "DE89 3704 0044 0532 0130 00")
            vats = ["DE811569869", "FR40303265045", "NL810433941B01"]
            layouts = {0: "modern", 2: "modern", 3: "classic"}
        self.env["res.partner.bank"].create(
            {
                "acc_number": bank[2],
                "partner_id": company.partner_id.id,
                "bank_id": self.env["res.bank"]
                .create({"name": bank[0], "bic": bank[1]})
                .id,
            }
        )
        for customer, vat in zip(customers, vats, strict=False):
            customer.vat = vat
        for index, layout in layouts.items():
            customers[index].sales_closing_invoice_layout = layout
