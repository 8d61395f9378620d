"""Nuonuo's open platform (诺诺开放平台, 诺税通 SaaS) as a provider client.

From Nuonuo's published API (open.nuonuo.com / jss.com.cn/open):

- one endpoint, ``https://sdk.nuonuo.com/open/v1/services``; the method in
  the ``method`` header; ``senid`` (32 random characters), ``nonce`` (8
  random digits), ``timestamp`` (seconds) and ``appkey`` in the query;
  ``accessToken`` and ``userTax`` headers;
- ``X-Nuonuo-Sign``: base64 of HMAC-SHA1 with the app secret over
  ``a=services&l=v1&p=open&k=<appKey>&i=<senid>&n=<nonce>&t=<timestamp>&f=<body>``
  (the endpoint's path read backwards, then the exact body sent);
- answers ``{"code": "E0000", "describe": ..., "result": ...}``, another
  code being a refusal;
- ``nuonuo.OpeMplatform.requestBillingNew`` (``order`` with ``orderNo``, our
  发票流水号), ``queryInvoiceResult`` (by ``orderNos``; status 2 issued, 20/21
  issuing, 22/24 failed, 3/31 void), ``saveInvoiceRedConfirm``,
  ``queryInvoiceRedConfirm``, ``refreshInvoiceRedConfirm`` (the forms
  entered at the bureau downloaded into Nuonuo), ``confirm`` and
  ``confirmInfoCancel``;
- a partial red-letter form (部分冲红) carries ``detail`` lines, each with
  ``blueDetailIndex`` (the line's number on the blue e-fapiao; a discount
  line is skipped, only the line it discounts is named), ``goodsName``,
  ``goodsCode``, ``taxRate``, ``specType``, ``unit``, ``num`` (negative),
  ``taxExcludedPrice`` (positive), ``taxExcludedAmount`` and ``taxAmount``
  (negative, 2 decimals); a whole reversal sends none.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlsplit

import requests

from .checks import line_row
from .common import decimal_text, money, rate_text
from .provider import (
    FAILED,
    ISSUED,
    PENDING,
    UNKNOWN,
    FapiaoClient,
    ProviderError,
    ProviderTimeout,
)

ENDPOINT = "https://sdk.nuonuo.com/open/v1/services"
SUCCESS = "E0000"
NOT_FOUND = "E9500"
DUPLICATE = "E9106"  # 订单编号不能重复: already received, query it
ISSUE = "nuonuo.OpeMplatform.requestBillingNew"
QUERY = "nuonuo.OpeMplatform.queryInvoiceResult"
SAVE_RED = "nuonuo.OpeMplatform.saveInvoiceRedConfirm"
QUERY_RED = "nuonuo.OpeMplatform.queryInvoiceRedConfirm"
CONFIRM_RED = "nuonuo.OpeMplatform.confirm"
REVOKE_RED = "nuonuo.OpeMplatform.confirmInfoCancel"
REFRESH_RED = "nuonuo.OpeMplatform.refreshInvoiceRedConfirm"
SELLER, BUYER = "0", "1"  # identity / applySource
RED_PAGE_SIZE = 50  # the most queryInvoiceRedConfirm returns a page
RED_MAX_PAGES = 20
INVOICE_LINES = {"01": "bs", "02": "pc"}  # 数电专票 / 数电普票
STATUS_ISSUED = {"2"}
STATUS_PENDING = {"20", "21"}
STATUS_FAILED = {"22", "24", "3", "31"}
# the bureau's reasons (01 开票有误, 02 销货退回, 03 服务中止, 04 销售折让)
# as Nuonuo numbers them (1 销货退回, 2 开票有误, 3 服务中止, 4 销售折让)
RED_REASONS = {"01": "2", "02": "1", "03": "3", "04": "4"}
RED_REASONS_BACK = {nuonuo: ours for ours, nuonuo in RED_REASONS.items()}


def blue_detail_indexes(invoice):
    """The number of each line of ``invoice`` on its blue e-fapiao, as
    :meth:`NuonuoClient._order` sends them: one detail a line, a discounted
    line followed by its discount line (which takes the next number)."""
    indexes, number = [], 0
    for line in invoice["lines"]:
        number += 1
        indexes.append(number)
        if line_row(invoice["serial"], line)["discount"]:
            number += 1
    return indexes


def red_detail(line):
    """One ``detail`` of a partial red-letter form: ``line`` has ``index``
    (on the blue e-fapiao), ``name``, ``tax_code``, ``spec``, ``uom``,
    ``rate``, and what is reversed, positive: ``quantity`` (0 or None for
    an amount only, a sales allowance), ``amount`` (untaxed) and ``tax``."""
    detail = {
        "blueDetailIndex": str(line["index"]),
        "goodsName": (line["name"] or "")[:90],
        "goodsCode": line["tax_code"],
        "specType": (line.get("spec") or "")[:40],
        "unit": (line.get("uom") or "")[:22],
        "taxRate": rate_text(line["rate"]) or "",
        "taxExcludedAmount": format(-money(line["amount"]), "f"),
        "taxAmount": format(-money(line["tax"]), "f"),
    }
    quantity = Decimal(str(line.get("quantity") or 0))
    if quantity:
        detail["num"] = decimal_text(-quantity)
        detail["taxExcludedPrice"] = decimal_text(
            money(line["amount"]) / quantity, places=8
        )
    return detail


def sign(app_secret, app_key, senid, nonce, timestamp, body, url=ENDPOINT):
    """The ``X-Nuonuo-Sign`` of a request to ``url`` with ``body`` (str)."""
    parts = urlsplit(url).path.strip("/").split("/")  # open, v1, services
    message = (
        f"a={parts[-1]}&l={parts[-2]}&p={parts[-3]}&k={app_key}"
        f"&i={senid}&n={nonce}&t={timestamp}&f={body}"
    )
    digest = hmac.new(app_secret.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class NuonuoClient(FapiaoClient):
    code = "nuonuo"

    def __init__(
        self,
        app_key,
        app_secret,
        access_token,
        user_tax="",
        url=ENDPOINT,
        timeout=30,
        seller=None,
    ):
        self.app_key = app_key
        self.app_secret = app_secret
        self.access_token = access_token
        self.user_tax = user_tax
        self.url = url
        self.timeout = timeout
        self.seller = seller or {}

    # transport ----------------------------------------------------------
    def call(self, method, payload):
        """POST ``payload`` as ``method``; the ``result`` of an E0000 answer."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        senid = secrets.token_hex(16)
        nonce = str(secrets.randbelow(90000000) + 10000000)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json;charset=UTF-8",
            "X-Nuonuo-Sign": sign(
                self.app_secret, self.app_key, senid, nonce, timestamp, body, self.url
            ),
            "accessToken": self.access_token,
            "method": method,
        }
        if self.user_tax:
            headers["userTax"] = self.user_tax
        params = {
            "senid": senid,
            "nonce": nonce,
            "timestamp": timestamp,
            "appkey": self.app_key,
        }
        try:
            response = requests.post(
                self.url,
                params=params,
                data=body.encode(),
                headers=headers,
                timeout=self.timeout,
            )
        except (requests.Timeout, requests.ConnectionError) as error:
            raise ProviderTimeout(str(error)) from error
        if response.status_code >= 500:
            raise ProviderTimeout(f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as error:
            raise ProviderError(
                f"HTTP {response.status_code}", response.text[:200]
            ) from error
        code = str(answer.get("code", ""))
        if code != SUCCESS:
            raise ProviderError(code, str(answer.get("describe", "")))
        return answer.get("result")

    # invoices -----------------------------------------------------------
    def _order(self, invoice):
        buyer = invoice["buyer"]
        details = []
        included = invoice["tax_included"]
        for line in invoice["lines"]:
            row = line_row(invoice["serial"], line)
            amount_key = "taxIncludedAmount" if included else "taxExcludedAmount"
            detail = {
                "goodsName": row["name"],
                "goodsCode": row["tax_code"],
                "specType": row["spec"],
                "unit": row["uom"],
                "num": row["quantity"],
                "price": row["price_unit"],
                "withTaxFlag": "1" if included else "0",
                "taxRate": row["rate"],
                amount_key: row["amount"],
                "invoiceLineProperty": "2" if row["discount"] else "0",
            }
            details.append(detail)
            if row["discount"]:
                details.append(
                    {
                        "goodsName": row["name"],
                        "goodsCode": row["tax_code"],
                        "withTaxFlag": detail["withTaxFlag"],
                        "taxRate": row["rate"],
                        amount_key: format(-money(row["discount"]), "f"),
                        "invoiceLineProperty": "1",
                    }
                )
        return {
            "order": {
                "orderNo": invoice["serial"],
                "invoiceDate": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                "invoiceType": "1",
                "invoiceLine": INVOICE_LINES[invoice["type"]],
                "buyerName": buyer.get("name") or "",
                "buyerTaxNum": buyer.get("vat") or "",
                "buyerAddress": buyer.get("address") or "",
                "buyerTel": buyer.get("phone") or "",
                "buyerAccount": " ".join(
                    part for part in (buyer.get("bank"), buyer.get("account")) if part
                ),
                "email": buyer.get("email") or "",
                "salerTaxNum": self.seller.get("vat", ""),
                "salerAddress": self.seller.get("address", ""),
                "salerTel": self.seller.get("phone", ""),
                "clerk": self.seller.get("clerk", ""),
                "pushMode": "-1",
                "remark": invoice.get("remark") or "",
                "invoiceDetail": details,
            }
        }

    def issue(self, invoice):
        try:
            result = self.call(ISSUE, self._order(invoice))
        except ProviderError as error:
            if isinstance(error, ProviderTimeout):
                raise
            if error.code == DUPLICATE:  # sent before: never issued twice
                return self.query(invoice["serial"])
            return {"state": FAILED, "error": error.message, "code": error.code}
        return {
            "state": PENDING,
            "provider_ref": (result or {}).get("invoiceSerialNum", ""),
        }

    def query(self, serial):
        try:
            result = self.call(
                QUERY, {"orderNos": [serial], "isOfferInvoiceDetail": "0"}
            )
        except ProviderError as error:
            if error.code == NOT_FOUND:
                return {"state": UNKNOWN}
            raise
        if not result:
            return {"state": UNKNOWN}
        found = result[0]
        status = str(found.get("status", ""))
        if status in STATUS_ISSUED:
            issued_at = found.get("invoiceTime")
            return {
                "state": ISSUED,
                "number": found.get("allElectronicInvoiceNumber")
                or found.get("invoiceNo"),
                "date": datetime.fromtimestamp(int(issued_at) / 1000, timezone.utc)
                .astimezone(timezone.utc)
                .date()
                if issued_at
                else None,
                "total": money(found.get("orderAmount")),
                "tax": money(found.get("taxAmount")),
                "urls": {
                    kind: found.get(key)
                    for kind, key in (("pdf", "pdfUrl"), ("ofd", "ofdUrl"))
                    if found.get(key)
                },
                "provider_ref": found.get("serialNo", ""),
            }
        if status in STATUS_FAILED:
            return {
                "state": FAILED,
                "error": found.get("failCause") or found.get("statusMsg") or status,
            }
        return {"state": PENDING, "provider_ref": found.get("serialNo", "")}

    # red-letter forms ---------------------------------------------------
    def request_red_form(self, form):
        payload = {
            "billId": form["form_id"],
            "blueInvoiceLine": INVOICE_LINES.get(form.get("type"), "pc"),
            "applySource": "0",
            "blueElecInvoiceNumber": form["blue_number"],
            "billTime": form.get("date")
            or datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "sellerTaxNo": form.get("seller_vat", ""),
            "sellerName": form.get("seller_name", ""),
            "buyerTaxNo": form.get("buyer_vat", ""),
            "buyerName": form.get("buyer_name", ""),
            "redReason": RED_REASONS[form["reason"]],
        }
        if form.get("lines"):  # 部分冲红: the lines reversed, as numbered on the blue
            payload["detail"] = [red_detail(line) for line in form["lines"]]
        result = self.call(SAVE_RED, payload)
        return {"form_id": result if isinstance(result, str) else form["form_id"]}

    def query_red_form(self, form_id):
        result = self.call(QUERY_RED, {"identity": SELLER, "billId": form_id})
        if isinstance(result, dict):
            result = result.get("list") or []
        if not result:
            return {"form_id": form_id, "bureau_state": False}
        return self._red_form(result[0], form_id)

    @staticmethod
    def _red_form(found, form_id=None):
        return {
            "form_id": form_id or found.get("billId") or "",
            "form_number": found.get("billNo") or "",
            "bureau_state": found.get("billStatus") or False,
            "red_number": found.get("redInvoiceNumber") or "",
            "blue_number": found.get("blueElecInvoiceNumber")
            or found.get("blueInvoiceNumber")
            or "",
            "entered_by": "buyer"
            if str(found.get("applySource")) == BUYER
            else "seller",
            "reason": RED_REASONS_BACK.get(str(found.get("redReason") or "")),
            "amount_untaxed": money(found.get("taxExcludedAmount")),
            "amount_tax": money(found.get("taxAmount")),
            "buyer_vat": found.get("buyerTaxNo") or "",
            "buyer_name": found.get("buyerName") or "",
            "date": found.get("billTime") or "",
        }

    def list_buyer_red_forms(self, date_from, date_to):
        """The forms buyers entered at the bureau for us to confirm (03
        购方录入待销方确认), entered from ``date_from`` to ``date_to`` (dates,
        90 days at most): downloaded from the bureau into Nuonuo
        (``refreshInvoiceRedConfirm``), then read page by page."""
        window = {
            "startTime": f"{date_from:%Y-%m-%d}",
            "endTime": f"{date_to:%Y-%m-%d}",
        }
        self.call(REFRESH_RED, {"identity": SELLER, **window})
        forms = []
        for page in range(1, RED_MAX_PAGES + 1):
            result = self.call(
                QUERY_RED,
                {
                    "identity": SELLER,
                    "billStatus": "03",
                    "billTimeStart": window["startTime"],
                    "billTimeEnd": window["endTime"],
                    "pageNo": str(page),
                    "pageSize": str(RED_PAGE_SIZE),
                },
            )
            if isinstance(result, list):
                result = {"list": result, "total": len(result)}
            batch = (result or {}).get("list") or []
            forms += batch
            total = int((result or {}).get("total") or 0)
            if len(batch) < RED_PAGE_SIZE or len(forms) >= total:
                break
        return [
            self._red_form(found)
            for found in forms
            if str(found.get("applySource")) == BUYER and found.get("billId")
        ]

    def confirm_red_form(self, form_id):
        self.call(
            CONFIRM_RED, {"identity": "0", "billId": form_id, "confirmAgreement": "1"}
        )
        return self.query_red_form(form_id)

    def reject_red_form(self, form_id):
        self.call(
            CONFIRM_RED, {"identity": "0", "billId": form_id, "confirmAgreement": "0"}
        )
        return self.query_red_form(form_id)

    def revoke_red_form(self, form_id):
        self.call(REVOKE_RED, {"identity": "0", "billId": form_id})
        return self.query_red_form(form_id)
