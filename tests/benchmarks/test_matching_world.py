"""Plain-Python checks of the world dataset generator (no Odoo needed).

Run: ``python -m pytest -p no:odoo --noconftest
tests/benchmarks/test_matching_world.py``
"""

import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matching_world as world  # noqa: E402


def _gbk_bytes(text):
    return sum(1 if ord(c) < 128 else 2 for c in text)


def test_same_seed_same_world_other_seed_other_world():
    one = world.build(3, 300, 600)
    two = world.build(3, 300, 600)
    assert one.lines == two.lines
    assert one.items == two.items
    assert one.partner_accounts == two.partner_accounts
    assert one.truth == two.truth
    other = world.build(4, 300, 600)
    assert other.lines != one.lines


def test_kind_shares_follow_the_description():
    n_lines = 2000
    data = world.build(1, n_lines, 4000)
    assert len(data.lines) == n_lines
    kinds = Counter(record.kind for record in data.truth.values())
    for kind, share in world.KIND_SHARES.items():
        quota = int(share * n_lines / 100)
        if kind == "ref_exact":
            continue  # takes the rounding and the lines no item was left for
        # a construction may find no fitting item now and then
        assert kinds[kind] >= 0.8 * quota, (kind, kinds[kind], quota)
        assert kinds[kind] <= quota, (kind, kinds[kind], quota)
    noise = sum(1 for r in data.truth.values() if not r.matchable)
    assert abs(noise / n_lines - 0.2) < 0.015
    assert set(world.AMBIGUOUS_KINDS) <= set(world.MATCHABLE_KINDS)


def test_truth_is_consistent_with_the_lines():
    data = world.build(2, 1500, 3000)
    items = {item["id"]: item for item in data.items}
    lines = {line["id"]: line for line in data.lines}
    paid = Counter()
    for line_id, record in data.truth.items():
        line = lines[line_id]
        assert (record.items_set() is None) == (record.kind in world.NOISE_KINDS)
        answers = set(record.applied).union(*record.alternatives)
        for item_id in answers:
            paid[item_id] += 1
            assert items[item_id]["currency"] == line["currency"]
        assert not record.alternatives or record.ambiguous
        if record.ambiguous:
            assert record.alternatives
        if record.applied:
            due = sum(record.applied.values())
            if record.partial:
                ((item_id, amount),) = record.applied.items()
                assert 0 < amount < items[item_id]["amount_residual"]
                assert line["amount"] == amount
            else:
                assert line["amount"] == due - record.fee
                for item_id, amount in record.applied.items():
                    assert amount == items[item_id]["amount_residual"]
        if record.kind.startswith("fee_"):
            assert record.fee > 0
        if record.channel == "converted":
            assert line["company_amount"] > 0 and "journal" not in line
        if record.channel == "fx":
            assert line["journal"] == "fx" and line["currency"] != world.HOME
        if record.channel == "home":
            assert line["currency"] == world.HOME
            assert _gbk_bytes(line["label"] or "") <= 40
            assert _gbk_bytes(line["payer_name"] or "") <= 60
    # every item is paid (or is the other answer) at most once
    assert max(paid.values()) == 1
    # the world's own truth in the shape of matching_dataset's
    sets = data.truth_sets()
    assert all(v is None or isinstance(v, frozenset) for v in sets.values())


def test_no_reference_kinds_are_decidable_by_construction():
    data = world.build(5, 1500, 3000)
    by_partner = {}
    for item in data.items:
        by_partner.setdefault(item["partner_id"], []).append(item)
    items = {item["id"]: item for item in data.items}
    for record in data.truth.values():
        if record.kind not in ("payer_name", "payer_account", "agent_onbehalf"):
            continue
        ((item_id, amount),) = record.applied.items()
        item = items[item_id]
        same = [
            other
            for other in by_partner[item["partner_id"]]
            if other["amount_residual"] == amount
            and other["currency"] == item["currency"]
        ]
        assert same == [item], record.kind
    for record in data.truth.values():
        if record.kind == "ambiguous_twin":
            (first,) = record.applied
            ((second,),) = [tuple(a) for a in record.alternatives]
            assert items[second]["amount_residual"] == items[first]["amount_residual"]
            assert items[second]["partner_id"] == items[first]["partner_id"]


def test_partial_and_fee_lines_keep_their_evidence():
    data = world.build(6, 1500, 3000)
    lines = {line["id"]: line for line in data.lines}
    for line_id, record in data.truth.items():
        if record.kind in ("fee_fixed", "fee_intermediary"):
            # no bank deducts more than a fortieth of a wire
            assert record.fee * 40 <= sum(record.applied.values())
            assert lines[line_id]["currency"] != world.HOME
        if record.kind == "partial_ref":
            assert record.partial
    assert any(line["amount"] < 0 for line in data.lines)
    assert all(isinstance(line["amount"], Decimal) for line in data.lines)
