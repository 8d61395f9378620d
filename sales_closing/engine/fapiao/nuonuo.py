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
  ``queryInvoiceRedConfirm``, ``confirm`` and ``confirmInfoCancel``.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests

from .checks import line_row
from .common import money
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
INVOICE_LINES = {"01": "bs", "02": "pc"}  # 数电专票 / 数电普票
STATUS_ISSUED = {"2"}
STATUS_PENDING = {"20", "21"}
STATUS_FAILED = {"22", "24", "3", "31"}
# the bureau's reasons (01 开票有误, 02 销货退回, 03 服务中止, 04 销售折让)
# as Nuonuo numbers them (1 销货退回, 2 开票有误, 3 服务中止, 4 销售折让)
RED_REASONS = {"01": "2", "02": "1", "03": "3", "04": "4"}


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
        result = self.call(SAVE_RED, payload)
        return {"form_id": result if isinstance(result, str) else form["form_id"]}

    def query_red_form(self, form_id):
        result = self.call(QUERY_RED, {"identity": "0", "billId": form_id})
        if isinstance(result, dict):
            result = result.get("list") or []
        if not result:
            return {"form_id": form_id, "bureau_state": False}
        found = result[0]
        return {
            "form_id": form_id,
            "form_number": found.get("billNo") or "",
            "bureau_state": found.get("billStatus") or False,
            "red_number": found.get("redInvoiceNumber") or "",
        }

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
