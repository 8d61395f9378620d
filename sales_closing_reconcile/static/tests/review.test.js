import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { press, queryAllTexts, queryOne } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { contains, makeMockEnv, mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";
import { BankReview } from "@sales_closing_reconcile/review/review_action";
import {
    formatAmount,
    isTextField,
    keyCommand,
    moveIndex,
    selectionSummary,
    totalsByCurrency,
} from "@sales_closing_reconcile/review/review_model";

defineMailModels();

const EUR = { id: 1, name: "EUR", symbol: "€", position: "after", digits: 2 };
const CNY = { id: 2, name: "CNY", symbol: "¥", position: "before", digits: 2 };
const JPY = { id: 3, name: "JPY", symbol: "¥", position: "before", digits: 0 };

function key(k, { target = document.body, ctrlKey = false, defaultPrevented = false } = {}) {
    return { key: k, target, ctrlKey, altKey: false, metaKey: false, defaultPrevented };
}

describe("state", () => {
    test("running total and remainder of the selected items", () => {
        const items = [
            { id: 1, residual: 100.1 },
            { id: 2, residual: 200.2 },
            { id: 3, residual: 0.3 },
        ];
        expect(selectionSummary(300.3, items, [], EUR)).toEqual({
            count: 0,
            total: 0,
            remainder: 300.3,
            over: false,
            balanced: false,
        });
        // 100.1 + 200.2 is 300.29999... in floats: rounded to the cent
        const both = selectionSummary(300.3, items, new Set([1, 2]), EUR);
        expect(both.total).toBe(300.3);
        expect(both.remainder).toBe(0);
        expect(both.balanced).toBe(true);
        const all = selectionSummary(300.3, items, [1, 2, 3], EUR);
        expect(all.remainder).toBe(-0.3);
        expect(all.over).toBe(true);
        expect(all.balanced).toBe(false);
        // an id listed twice counts once; an item not on screen not at all
        expect(selectionSummary(300.3, items, [1, 1, 9], EUR).count).toBe(1);
    });

    test("a refund line: items asking more are negative", () => {
        const items = [{ id: 1, residual: -80 }];
        const summary = selectionSummary(-50, items, [1], EUR);
        expect(summary.remainder).toBe(30);
        expect(summary.over).toBe(true);
        expect(selectionSummary(-100, items, [1], EUR).over).toBe(false);
    });

    test("amounts in the currency's own decimals", async () => {
        await makeMockEnv(); // the user's number format
        expect(selectionSummary(1000, [{ id: 1, residual: 999.6 }], [1], JPY).total).toBe(1000);
        expect(formatAmount(1234.5, EUR)).toBe("1,234.50\u00a0€");
        expect(formatAmount(-3, CNY)).toBe("¥\u00a0-3.00");
        expect(formatAmount(5, JPY)).toBe("¥\u00a05");
    });

    test("totals per currency, never added across currencies", () => {
        const totals = totalsByCurrency([
            { amount: 10.1, currency: EUR },
            { amount: 20.2, currency: CNY },
            { amount: 0.2, currency: EUR },
        ]);
        expect(totals.map((t) => [t.currency.name, t.amount, t.count])).toEqual([
            ["EUR", 10.3, 2],
            ["CNY", 20.2, 1],
        ]);
    });

    test("moving stays within the list", () => {
        expect(moveIndex(-1, 1, 3)).toBe(0);
        expect(moveIndex(-1, -1, 3)).toBe(2);
        expect(moveIndex(2, 1, 3)).toBe(2);
        expect(moveIndex(0, -1, 3)).toBe(0);
        expect(moveIndex(0, 1, 0)).toBe(-1);
    });
});

describe("keys", () => {
    test("commands of the screen", () => {
        expect(keyCommand(key("j"))).toEqual({ name: "move", value: 1 });
        expect(keyCommand(key("ArrowDown"))).toEqual({ name: "move", value: 1 });
        expect(keyCommand(key("k"))).toEqual({ name: "move", value: -1 });
        expect(keyCommand(key("ArrowUp"))).toEqual({ name: "move", value: -1 });
        expect(keyCommand(key("Enter"))).toEqual({ name: "accept", value: 1 });
        expect(keyCommand(key("2"))).toEqual({ name: "accept", value: 2 });
        expect(keyCommand(key("3"))).toEqual({ name: "accept", value: 3 });
        expect(keyCommand(key("4"))).toBe(null);
        expect(keyCommand(key("/"))).toEqual({ name: "search" });
        expect(keyCommand(key("u"))).toEqual({ name: "undo" });
        expect(keyCommand(key("U"))).toEqual({ name: "undoStatement" });
        expect(keyCommand(key("w"))).toEqual({ name: "mode", value: "writeoff" });
        expect(keyCommand(key("Enter", { ctrlKey: true }))).toEqual({ name: "reconcile" });
        expect(keyCommand(key("x"))).toBe(null);
    });

    test("typing in a field is not a command", () => {
        const input = document.createElement("input");
        const checkbox = document.createElement("input");
        checkbox.type = "checkbox";
        const button = document.createElement("button");
        expect(isTextField(input)).toBe(true);
        expect(isTextField(checkbox)).toBe(false);
        expect(keyCommand(key("j", { target: input }))).toBe(null);
        expect(keyCommand(key("Enter", { target: input }))).toBe(null);
        expect(keyCommand(key("Escape", { target: input }))).toEqual({ name: "leave" });
        expect(keyCommand(key("Enter", { target: input, ctrlKey: true }))).toEqual({
            name: "reconcile",
        });
        // a checkbox leaves the moves to the screen, a button its Enter
        expect(keyCommand(key("j", { target: checkbox }))).toEqual({ name: "move", value: 1 });
        expect(keyCommand(key("Enter", { target: button }))).toBe(null);
        // handled by the element already
        expect(keyCommand(key("Enter", { defaultPrevented: true }))).toBe(null);
    });
});

function suggestion(id, rank, score, name, residual) {
    return {
        id,
        rank,
        score,
        reasons: "invoice number in the label",
        fee: 0,
        partial: false,
        partner: "Nordic Trading",
        residual,
        items: [{ id: id * 10, name, residual, currency: EUR, partner: "Nordic Trading" }],
    };
}

function makeLine(id, label, amount, suggestions = []) {
    return {
        id,
        company_id: 1,
        date: `2026-01-0${id}`,
        journal: "Bank",
        label,
        ref: "",
        partner_name: "NORDIC TRADING",
        account_number: "",
        partner: { id: 7, name: "Nordic Trading" },
        amount,
        currency: EUR,
        state: suggestions.length ? "suggested" : "unmatched",
        is_reconciled: false,
        score: suggestions[0]?.score ?? null,
        top: suggestions[0]?.items[0].name ?? "",
        suggestions,
        bank_account_partner: "",
        matched_items: [],
        can_create_partner: true,
    };
}

function mockServer({ canDecide = true, matchedOfStatement = 2 } = {}) {
    const lines = [
        makeLine(1, "Transfer INV/1", 100, [
            suggestion(1, 1, 0.93, "INV/1", 100),
            suggestion(2, 2, 0.61, "INV/2", 100),
        ]),
        makeLine(2, "Grouped payment", 300),
    ];
    onRpc("sales.closing.review", "get_lines", ({ args }) => {
        if (args[0].statement_id) {
            expect.step(`get_lines statement ${args[0].statement_id}`);
        }
        return {
            count: lines.length,
            totals: [{ currency: EUR, amount: 400, count: 2 }],
            lines: JSON.parse(JSON.stringify(lines)),
            journals: [{ id: 1, name: "Bank" }],
            statements: [{ id: 5, name: "BNK1/2026/00005", date: "2026-02-28", journal: "Bank" }],
            can_decide: canDecide,
        };
    });
    onRpc("sales.closing.review", "undo_statement_preview", ({ args }) => {
        expect.step(`undo_statement_preview ${args[0]}`);
        return {
            statement: "BNK1/2026/00005",
            count: matchedOfStatement,
            auto: 1,
            manual: matchedOfStatement - 1,
            line_ids: [8, 9].slice(0, matchedOfStatement),
            totals: [{ currency: EUR, amount: 950, count: matchedOfStatement }],
        };
    });
    onRpc("sales.closing.review", "undo_statement", ({ args }) => {
        expect.step(`undo_statement ${args[0]}`);
        return { count: 2, line_ids: [8, 9], totals: [] };
    });
    onRpc("sales.closing.review", "accept", ({ args }) => {
        expect.step(`accept ${args[0]} ${args[1]}`);
        return { ...lines.find((l) => l.id === args[0]), state: "manual", suggestions: [] };
    });
    onRpc("sales.closing.review", "undo", ({ args }) => {
        expect.step(`undo ${args[0]}`);
        return lines.find((l) => l.id === args[0]);
    });
    onRpc("sales.closing.review", "search_items", ({ args }) => {
        expect.step(`search ${args[1].text}`);
        return [
            { id: 21, name: "INV/21", residual: 120, currency: EUR, partner: "A", ref: "" },
            { id: 22, name: "INV/22", residual: 200, currency: EUR, partner: "B", ref: "" },
        ];
    });
    onRpc("sales.closing.review", "reconcile", ({ args }) => {
        expect.step(`reconcile ${args[0]} ${args[1].join(",")} ${args[2]}`);
        return { ...lines[1], state: "manual" };
    });
}

describe("screen", () => {
    test("lines, count and amount left; Enter accepts the best suggestion", async () => {
        mockServer();
        await mountWithCleanup(BankReview, { props: {} });
        expect(".o_sc_review_line").toHaveCount(2);
        expect(".o_sc_review_count").toHaveText(/2 lines/);
        expect(".o_sc_review_total").toHaveText("400.00 €");
        expect(".o_sc_selected").toHaveText(/Transfer INV\/1/);
        expect(queryAllTexts(".o_sc_suggestion_score")).toEqual(["93%", "61%"]);
        expect(".o_sc_suggestion_reasons:first").toHaveText("invoice number in the label");
        await press("Enter");
        await animationFrame();
        expect.verifySteps(["accept 1 1"]);
        // decided: out of the list, the next line selected, totals follow
        expect(".o_sc_review_line").toHaveCount(1);
        expect(".o_sc_selected").toHaveText(/Grouped payment/);
        expect(".o_sc_review_total").toHaveText("300.00 €");
        await press("u");
        await animationFrame();
        expect.verifySteps(["undo 1"]);
        expect(".o_sc_review_line").toHaveCount(2);
        expect(".o_sc_selected").toHaveText(/Transfer INV\/1/);
        expect(".o_sc_review_total").toHaveText("400.00 €");
    });

    test("digits pick a suggestion, j/k move", async () => {
        mockServer();
        await mountWithCleanup(BankReview, { props: {} });
        await press("j");
        await animationFrame();
        expect(".o_sc_selected").toHaveText(/Grouped payment/);
        await press("k");
        await animationFrame();
        expect(".o_sc_selected").toHaveText(/Transfer INV\/1/);
        await press("3"); // no third suggestion: nothing
        await press("2");
        await animationFrame();
        expect.verifySteps(["accept 1 2"]);
    });

    test("search, multi-select, running total and remainder", async () => {
        mockServer();
        await mountWithCleanup(BankReview, { props: {} });
        await press("j");
        await animationFrame();
        await press("/");
        await animationFrame();
        expect(".o_sc_search_text").toBeFocused();
        await contains(".o_sc_search_text").edit("INV", { confirm: false });
        await press("Enter");
        await animationFrame();
        expect.verifySteps(["search INV"]);
        expect(".o_sc_review_item").toHaveCount(2);
        await press("ArrowDown");
        expect(".o_sc_review_item:first input").toBeFocused();
        await press("Enter");
        await animationFrame();
        expect(".o_sc_running_total").toHaveText("120.00 €");
        expect(".o_sc_remainder").toHaveText("180.00 €");
        await press("ArrowDown");
        await press("Enter");
        await animationFrame();
        expect(".o_sc_selected_count").toHaveText("2 selected");
        expect(".o_sc_running_total").toHaveText("320.00 €");
        expect(".o_sc_remainder").toHaveText("-20.00 €");
        expect(".o_sc_mode_partial").toBeChecked();
        await press(["ctrl", "Enter"]);
        await animationFrame();
        expect.verifySteps(["reconcile 2 21,22 partial"]);
    });

    test("Shift+U undoes the filtered statement's matches once confirmed", async () => {
        mockServer();
        await mountWithCleanup(BankReview, { props: {} });
        // no statement filtered: nothing to undo
        await press("U");
        await animationFrame();
        expect(".o_sc_undo_statement").toHaveCount(0);
        await contains(".o_sc_filter_statement").select("5");
        await animationFrame();
        expect.verifySteps(["get_lines statement 5"]);
        expect(".o_sc_undo_statement").toHaveCount(1);
        // the statement chosen, Escape leaves the field: the keys are the screen's
        await press("Escape");
        await press("U");
        await animationFrame();
        expect.verifySteps(["undo_statement_preview 5"]);
        expect(".o_sc_undo_statement_confirm_box").toHaveText(
            /2 matched lines of statement BNK1\/2026\/00005 to undo \(1 automatic, 1 by hand\)/
        );
        expect(".o_sc_undo_statement_confirm_box").toHaveText(/950.00 €/);
        // the confirmation has the focus: Enter confirms
        expect(".o_sc_undo_statement_confirm").toBeFocused();
        await press("Enter");
        await animationFrame();
        expect.verifySteps(["undo_statement 5", "get_lines statement 5"]);
        expect(".o_sc_undo_statement_confirm_box").toHaveCount(0);
    });

    test("nothing matched in the statement: nothing to confirm", async () => {
        mockServer({ matchedOfStatement: 0 });
        await mountWithCleanup(BankReview, { props: {} });
        await contains(".o_sc_filter_statement").select("5");
        await contains(".o_sc_undo_statement").click();
        expect.verifySteps(["get_lines statement 5", "undo_statement_preview 5"]);
        expect(".o_sc_undo_statement_confirm").not.toBeEnabled();
        await contains(".o_sc_undo_statement_cancel").click();
        expect(".o_sc_undo_statement_confirm_box").toHaveCount(0);
        expect.verifySteps([]);
    });

    test("an auditor reads but has no decision", async () => {
        mockServer({ canDecide: false });
        await mountWithCleanup(BankReview, { props: {} });
        expect(".o_sc_readonly").toHaveCount(1);
        expect(".o_sc_suggestion_accept").toHaveCount(0);
        expect(".o_sc_bulk").toHaveCount(0);
        await contains(".o_sc_filter_statement").select("5");
        expect(".o_sc_undo_statement").toHaveCount(0);
        await press("Enter");
        await press("u");
        await press("U");
        await animationFrame();
        expect.verifySteps(["get_lines statement 5"]);
        expect(queryOne(".o_sc_selected")).not.toBe(null);
    });
});
