"""EPC069-12 ("GiroCode") SEPA Credit Transfer QR payload.

Builds the text to encode in the QR code printed on invoices so that a
banking app can pre-fill a SEPA credit transfer.  The payload is version
``002`` (the BIC is optional), character set ``1`` (UTF-8) and
identification ``SCT``; lines are separated by ``\\n`` and trailing empty
lines are left out, as the guideline requires.  Pure Python, no Odoo
import; rendering the QR image is left to the caller.
"""

import re
from decimal import Decimal

MAX_NAME = 70
MAX_REFERENCE = 35
MAX_TEXT = 140
MAX_PAYLOAD_BYTES = 331
MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_RF = re.compile(r"^RF[0-9]{2}[A-Z0-9]{1,21}$")


def _mod97(text):
    """Return the ISO 7064 MOD 97-10 remainder of an alphanumeric string."""
    digits = "".join(str(int(char, 36)) for char in text)
    return int(digits) % 97


def normalise_iban(iban):
    """Return ``iban`` without spaces, in capitals."""
    return "".join((iban or "").split()).upper()


def is_valid_iban(iban):
    """Return True when ``iban`` has a valid format and MOD-97 checksum."""
    iban = normalise_iban(iban)
    if not _IBAN.match(iban):
        return False
    return _mod97(iban[4:] + iban[:4]) == 1


def is_valid_creditor_reference(reference):
    """Return True for a valid ISO 11649 ``RF`` creditor reference."""
    reference = "".join(reference.split()).upper()
    if not _RF.match(reference):
        return False
    return _mod97(reference[4:] + reference[:4]) == 1


def _check_single_line(value, label):
    """Raise ``ValueError`` when ``value`` contains a line break."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"The {label} cannot contain line breaks.")


def _format_amount(amount):
    """Return the EPC amount text (``12.30``) after checking the range."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"The amount must be a Decimal, got {type(amount).__name__}.")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError("The amount must be a finite number.")
    rounded = amount.quantize(MIN_AMOUNT)
    if rounded != amount:
        raise ValueError(f"The amount {amount} has more than two decimals.")
    if not MIN_AMOUNT <= rounded <= MAX_AMOUNT:
        raise ValueError(
            f"The amount {amount} is outside the allowed range "
            f"{MIN_AMOUNT} to {MAX_AMOUNT}."
        )
    return f"{rounded:.2f}"


def _check_reference(reference):
    """Validate a structured remittance reference and return it compacted."""
    compact = "".join(reference.split()).upper()
    if len(compact) > MAX_REFERENCE:
        raise ValueError(
            f"The structured reference is longer than {MAX_REFERENCE} characters."
        )
    if compact.startswith("RF") and not is_valid_creditor_reference(compact):
        raise ValueError(
            f"The creditor reference {reference} has invalid RF check digits."
        )
    return compact


def epc_payload(name, iban, amount, currency="EUR", bic="", reference="", text=""):
    """Return the EPC069-12 SEPA Credit Transfer QR payload.

    ``name`` is the beneficiary (1 to 70 characters), ``iban`` its account
    (spaces allowed, MOD-97 checked), ``amount`` a ``Decimal`` between 0.01
    and 999999999.99 with at most two decimals, or ``None`` to let the payer
    type it.  ``currency`` must be ``EUR``: SEPA credit transfers are in
    euro only.  ``bic`` is optional (8 or 11 characters).  Give either a
    structured ``reference`` (at most 35 characters; an ``RF`` creditor
    reference is checksum-validated) or a free ``text`` (at most 140
    characters), not both.  Raises ``ValueError`` with a plain-English
    message when a value is invalid.
    """
    name = (name or "").strip()
    bic = "".join((bic or "").split()).upper()
    reference = (reference or "").strip()
    text = (text or "").strip()
    for value, label in ((name, "beneficiary name"), (text, "remittance text")):
        _check_single_line(value, label)
    if not name:
        raise ValueError("The beneficiary name is required.")
    if len(name) > MAX_NAME:
        raise ValueError(f"The beneficiary name is longer than {MAX_NAME} characters.")
    if (currency or "").upper() != "EUR":
        raise ValueError("SEPA credit transfer QR codes only support the EUR currency.")
    account = normalise_iban(iban)
    if not is_valid_iban(account):
        raise ValueError(f"The IBAN {iban} is not valid (wrong format or checksum).")
    if bic and not _BIC.match(bic):
        raise ValueError(
            f"The BIC {bic} is not valid; it must have 8 or 11 characters."
        )
    if reference and text:
        raise ValueError(
            "Give either a structured reference or a remittance text, not both."
        )
    if reference:
        reference = _check_reference(reference)
    if len(text) > MAX_TEXT:
        raise ValueError(f"The remittance text is longer than {MAX_TEXT} characters.")
    amount_text = "" if amount is None else "EUR" + _format_amount(amount)
    lines = [
        "BCD",  # service tag
        "002",  # version (BIC optional)
        "1",  # character set: UTF-8
        "SCT",  # identification: SEPA credit transfer
        bic,
        name,
        account,
        amount_text,
        "",  # purpose code
        reference,  # structured remittance reference
        text,  # unstructured remittance text
    ]
    while not lines[-1]:
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValueError(
            f"The QR payload is longer than {MAX_PAYLOAD_BYTES} bytes; "
            "shorten the name or the remittance text."
        )
    return payload
