"""Provider clients: issue e-fapiao, query them, red-letter forms.

:class:`FapiaoClient` is the interface; :class:`FileClient` (the default)
is the file workflow: the batch-issue workbook out, the issued files back
in through the import; :mod:`.nuonuo` calls Nuonuo's open platform.

The rule every caller follows (:func:`issue_once`): an invoice is issued at
most once.  Before any retry of an invoice sent without an answer, its
serial (our 发票流水号, the platform's order number) is queried; it is
issued again only if the platform says it never received it.  A timeout
right after sending is resolved the same way.

Results are dicts with ``state``:

- ``issued`` (with ``number``, ``date``, ``urls``),
- ``pending`` (received, being issued),
- ``failed`` (with ``error``; a new request may be sent),
- ``unknown`` (the platform has no such serial),
- ``sent`` (we could not learn the outcome: query again later; never issue),
- ``exported`` (the file workflow: the invoice is in the workbook).
"""

from abc import ABC, abstractmethod

from .checks import template_rows
from .template import fill_template

ISSUED, PENDING, FAILED, UNKNOWN, SENT, EXPORTED = (
    "issued",
    "pending",
    "failed",
    "unknown",
    "sent",
    "exported",
)


class ProviderError(Exception):
    """The provider refused the request (``code`` and its message)."""

    def __init__(self, code, message):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class ProviderTimeout(ProviderError):
    """No answer (timeout, connection lost): the outcome is unknown."""

    def __init__(self, message):
        super().__init__("timeout", message)


class FapiaoClient(ABC):
    """What a provider does; the invoice dicts are those of :mod:`.checks`."""

    code = ""

    @abstractmethod
    def issue(self, invoice):
        """Send one invoice to be issued; a result dict."""

    @abstractmethod
    def query(self, serial):
        """The outcome for our serial; ``unknown`` if never received."""

    @abstractmethod
    def request_red_form(self, form):
        """Apply for a red-letter form (红字确认单); ``form`` has
        ``form_id`` (ours), ``blue_number``, ``reason`` (01-04), ``date``,
        ``seller_vat``, ``seller_name``, ``buyer_vat``, ``buyer_name``,
        ``type``, and for a partial reversal (部分冲红) ``lines``: what each
        line reverses, with its ``index`` on the blue e-fapiao (see
        :func:`.nuonuo.red_detail`).  Returns ``{"form_id", ...}``."""

    @abstractmethod
    def query_red_form(self, form_id):
        """``{"form_id", "form_number", "bureau_state", "red_number"}``."""

    @abstractmethod
    def confirm_red_form(self, form_id):
        """Confirm a form the buyer entered (03 → 04)."""

    @abstractmethod
    def reject_red_form(self, form_id):
        """Reject a form the buyer entered."""

    @abstractmethod
    def revoke_red_form(self, form_id):
        """Revoke a form we entered."""

    def list_buyer_red_forms(self, date_from, date_to):
        """The forms buyers entered for us to confirm (03), as
        :meth:`query_red_form` gives them plus ``blue_number``, ``reason``,
        ``amount_untaxed``, ``amount_tax`` (negative), ``entered_by``.  A
        provider that cannot list them gives none."""
        return []


class FileClient(FapiaoClient):
    """The file workflow: the company's batch-issue template filled, the
    issued invoices read back by the import; red-letter forms are entered
    on the platform by hand (their outcome comes back with the import)."""

    code = "file"

    def __init__(self, template):
        self.template = template

    def export(self, invoices):
        """``(workbook bytes, template version)``; refuses the whole batch."""
        return fill_template(self.template, template_rows(invoices))

    def issue(self, invoice):
        workbook, version = self.export([invoice])
        return {"state": EXPORTED, "workbook": workbook, "version": version}

    def query(self, serial):
        # the platform answers the file workflow by the files it exports
        return {"state": UNKNOWN}

    def _manual(self, form_id=None):
        return {"form_id": form_id, "bureau_state": False, "manual": True}

    def request_red_form(self, form):
        return self._manual(form.get("form_id"))

    def query_red_form(self, form_id):
        return self._manual(form_id)

    def confirm_red_form(self, form_id):
        return self._manual(form_id)

    def reject_red_form(self, form_id):
        return self._manual(form_id)

    def revoke_red_form(self, form_id):
        return self._manual(form_id)


def issue_once(client, invoice, sent_before=False):
    """Issue ``invoice`` through ``client`` at most once.

    ``sent_before``: it was sent earlier without a final answer; the serial
    is queried first and the invoice is issued again only when the platform
    answers ``unknown`` (or ``failed``, a refused request).  When the issue
    call times out, the serial is queried: what the platform has is kept;
    when it still does not know it, the result is ``sent`` and the caller
    queries again later (the request may still arrive): never issued twice.
    """
    serial = invoice["serial"]
    if sent_before:
        known = client.query(serial)
        if known["state"] not in (UNKNOWN, FAILED):
            return known
    try:
        return client.issue(invoice)
    except ProviderTimeout:
        try:
            known = client.query(serial)
        except ProviderTimeout:
            return {"state": SENT}
        if known["state"] == UNKNOWN:
            return {"state": SENT}
        return known
