from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

STATEMENT = "sales.closing.statement"


class StatementPortal(CustomerPortal):
    """Customer statements on the portal.

    Portal users have no access right on statements: the detail page, the
    downloads and the answers go through ``_document_check_access``, which
    lets internal users in by their access rights and everybody else by the
    statement's access token only (the link of the email).
    """

    def _statement_domain(self, partner):
        return [
            ("partner_id", "=", partner.commercial_partner_id.id),
            ("state", "!=", "draft"),
        ]

    def _statements_sudo(self):
        # sudo: portal users have no ACL on statements; the domain limits
        # the list to the statements sent to the user's own company.
        return request.env[STATEMENT].sudo()

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "statement_count" in counters:
            partner = request.env.user.partner_id
            values["statement_count"] = self._statements_sudo().search_count(
                self._statement_domain(partner)
            )
        return values

    @http.route(
        ["/my/statements", "/my/statements/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_statements(self, page=1, **kw):
        partner = request.env.user.partner_id
        Statement = self._statements_sudo()
        domain = self._statement_domain(partner)
        pager = portal_pager(
            url="/my/statements",
            total=Statement.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        statements = Statement.search(
            domain, limit=self._items_per_page, offset=pager["offset"]
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "statements": statements,
                "page_name": "statement",
                "pager": pager,
                "default_url": "/my/statements",
            }
        )
        return request.render("sales_closing.portal_my_statements", values)

    def _statement_check_access(self, statement_id, access_token):
        """The statement (sudo) if the user may see it, else ``None``."""
        try:
            return self._document_check_access(
                STATEMENT, statement_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return None

    @http.route(
        ["/my/statements/<int:statement_id>"], type="http", auth="public", website=True
    )
    def portal_statement_page(
        self,
        statement_id,
        access_token=None,
        report_type=None,
        download=False,
        message=None,
        **kw,
    ):
        statement_sudo = self._statement_check_access(statement_id, access_token)
        if statement_sudo is None:
            return request.not_found()
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=statement_sudo,
                report_type=report_type,
                report_ref="sales_closing.action_report_customer_statement",
                download=download,
            )
        values = {
            "statement": statement_sudo,
            "page_name": "statement",
            "message": message,
            "error": message == "error"
            and request.session.pop("sales_closing_statement_error", None),
            "token": access_token,
            "res_company": statement_sudo.company_id,
        }
        values = self._get_page_view_values(
            statement_sudo, access_token, values, "my_statements_history", False
        )
        return request.render("sales_closing.portal_statement_page", values)

    @http.route(["/my/statements/<int:statement_id>/xlsx"], type="http", auth="public")
    def portal_statement_xlsx(self, statement_id, access_token=None, **kw):
        statement_sudo = self._statement_check_access(statement_id, access_token)
        if statement_sudo is None:
            return request.not_found()
        content = statement_sudo._xlsx_content()
        filename = f"{statement_sudo._get_report_base_filename()}.xlsx"
        return request.make_response(
            content,
            headers=[
                (
                    "Content-Type",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                ("Content-Length", len(content)),
                ("Content-Disposition", http.content_disposition(filename)),
            ],
        )

    def _statement_answer(self, statement_id, access_token, answer, comment=None):
        statement_sudo = self._statement_check_access(statement_id, access_token)
        if statement_sudo is None:
            return request.not_found()
        user = request.env.user
        name = statement_sudo.partner_id.name if user._is_public() else user.name
        answered_by = f"{name} ({request.httprequest.remote_addr})"
        # the answer is written on the sudo record returned by the token
        # check (the customer has no access right of their own); the
        # activity and the message keep the customer as author
        error = statement_sudo.with_context(
            lang=statement_sudo.partner_id.lang or user.lang
        )._portal_answer(
            answer,
            comment=comment,
            answered_by=answered_by,
            author=statement_sudo.partner_id if user._is_public() else user.partner_id,
        )
        query = f"&message={'error' if error else answer}"
        if error:
            request.session["sales_closing_statement_error"] = error
        return request.redirect(statement_sudo.get_portal_url(query_string=query))

    @http.route(
        ["/my/statements/<int:statement_id>/confirm"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_statement_confirm(self, statement_id, access_token=None, **kw):
        return self._statement_answer(statement_id, access_token, "confirmed")

    @http.route(
        ["/my/statements/<int:statement_id>/dispute"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_statement_dispute(
        self, statement_id, access_token=None, comment=None, **kw
    ):
        return self._statement_answer(
            statement_id, access_token, "disputed", comment=comment
        )
