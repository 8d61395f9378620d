"""Issued e-fapiao linked to Odoo's invoices.

A candidate (an Odoo invoice or credit note) is a dict::

    {"id": 7, "ref": "INV/2026/00007", "serial": "SCFP000000000007",
     "buyer_vat": "9111...", "date": date, "number": "" | "2633...",
     "total": Decimal, "tax": Decimal,      # signed: credit notes negative
     "refund": False, "blue_number": ""}    # a credit note: its invoice's fapiao

An issued fapiao (see :mod:`.issued`) finds its invoice

1. by our 发票流水号, found in its remark or given by the file;
2. a red fapiao, by the blue fapiao number it reverses (its remark), among
   the credit notes of that invoice;
3. else by buyer taxpayer ID + total with tax to the fen + issue date =
   invoice date, when exactly one candidate fits.

It is linked only when the totals with tax and the tax agree to the fen;
otherwise it is listed for review with the difference (issued − Odoo).
A fapiao already linked to the same invoice is ``unchanged``: importing the
same file twice changes nothing.
"""

from decimal import Decimal

LINKED = "linked"
UNCHANGED = "unchanged"
REVIEW = "review"
UNMATCHED = "unmatched"


def _result(issued, candidate, status, reason):
    difference_total = difference_tax = Decimal("0.00")
    if candidate:
        difference_total = issued["total"] - candidate["total"]
        difference_tax = issued["tax"] - candidate["tax"]
    return {
        "issued": issued,
        "candidate": candidate,
        "status": status,
        "reason": reason,
        "difference_total": difference_total,
        "difference_tax": difference_tax,
    }


def match(issued_invoices, candidates):
    """One result dict per issued fapiao (see module doc), in input order.

    ``reason`` says how it was found or why it is not linked: ``serial``,
    ``blue_number``, ``buyer_total_date``, ``amounts`` (found, totals
    differ), ``ambiguous``, ``other_number`` (the invoice has another
    fapiao), ``not_found``.
    """
    by_number = {c["number"]: c for c in candidates if c.get("number")}
    by_serial = {c["serial"]: c for c in candidates if c.get("serial")}
    used = set()
    results = []
    for issued in issued_invoices:
        known = by_number.get(issued["number"])
        if known:
            results.append(_result(issued, known, UNCHANGED, "number"))
            continue
        candidate, reason = None, "not_found"
        if issued.get("serial") and issued["serial"] in by_serial:
            candidate, reason = by_serial[issued["serial"]], "serial"
        elif not issued["positive"] and issued.get("blue_number"):
            refunds = [
                c
                for c in candidates
                if c.get("refund")
                and c.get("blue_number") == issued["blue_number"]
                and not c.get("number")
                and c["id"] not in used
            ]
            exact = [c for c in refunds if c["total"] == issued["total"]]
            if len(exact) == 1 or len(refunds) == 1:
                candidate = (exact or refunds)[0]
                reason = "blue_number"
            elif refunds:
                results.append(_result(issued, None, REVIEW, "ambiguous"))
                continue
        if candidate is None:
            fits = [
                c
                for c in candidates
                if not c.get("number")
                and c["id"] not in used
                and issued.get("buyer_vat")
                and c.get("buyer_vat") == issued["buyer_vat"]
                and c["total"] == issued["total"]
                and c.get("date") == issued["date"]
            ]
            if len(fits) > 1:
                results.append(_result(issued, None, REVIEW, "ambiguous"))
                continue
            if fits:
                candidate, reason = fits[0], "buyer_total_date"
        if candidate is None:
            results.append(_result(issued, None, UNMATCHED, "not_found"))
            continue
        if candidate.get("number"):
            results.append(_result(issued, candidate, REVIEW, "other_number"))
            continue
        if candidate["id"] in used:
            results.append(_result(issued, candidate, REVIEW, "ambiguous"))
            continue
        if candidate["total"] != issued["total"] or candidate["tax"] != issued["tax"]:
            results.append(_result(issued, candidate, REVIEW, "amounts"))
            continue
        used.add(candidate["id"])
        results.append(_result(issued, candidate, LINKED, reason))
    return results
