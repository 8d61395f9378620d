/**
 * The review screen's state rules, apart from the component so that they are
 * unit-tested on their own: amounts in a currency's own decimals, the running
 * total of the selected open items and what remains, the keys of the screen.
 */
import { formatFloat, roundDecimals } from "@web/core/utils/numbers";

/** Round ``value`` to the decimals of ``currency`` ({digits}). */
export function roundTo(value, currency) {
    return roundDecimals(value || 0, currency?.digits ?? 2);
}

/** ``amount`` with the symbol of ``currency`` on its side. */
export function formatAmount(amount, currency) {
    const digits = currency?.digits ?? 2;
    const text = formatFloat(amount || 0, { digits: [16, digits] });
    if (!currency?.symbol) {
        return text;
    }
    return currency.position === "before"
        ? `${currency.symbol}\u00a0${text}`
        : `${text}\u00a0${currency.symbol}`;
}

/**
 * What the selection does to the line.
 *
 * @param {number} amount the statement line's amount (its transaction currency)
 * @param {{id: number, residual: number}[]} items open items on screen
 * @param {Set<number>|number[]} selectedIds ids of the selected items
 * @param {{digits: number}} currency
 * @returns {{count: number, total: number, remainder: number,
 *            over: boolean, balanced: boolean}}
 *   ``total``: what the selected items are open for; ``remainder``: the
 *   line's amount left once they are paid (negative: the items ask more than
 *   the line brings, to pay partly or write off)
 */
export function selectionSummary(amount, items, selectedIds, currency) {
    const selected = new Set(selectedIds);
    let total = 0;
    let count = 0;
    const seen = new Set();
    for (const item of items) {
        if (selected.has(item.id) && !seen.has(item.id)) {
            seen.add(item.id);
            total += item.residual;
            count++;
        }
    }
    total = roundTo(total, currency);
    const remainder = roundTo(amount - total, currency);
    const zero = roundTo(0, currency);
    return {
        count,
        total,
        remainder,
        over: amount >= 0 ? remainder < zero : remainder > zero,
        balanced: remainder === zero || Object.is(remainder, -0),
    };
}

/**
 * Totals per currency, never added across currencies.
 *
 * @param {{amount: number, currency: {id: number}}[]} lines
 * @returns {{currency: object, amount: number, count: number}[]}
 */
export function totalsByCurrency(lines) {
    const byId = new Map();
    for (const line of lines) {
        const key = line.currency.id;
        if (!byId.has(key)) {
            byId.set(key, { currency: line.currency, amount: 0, count: 0 });
        }
        const entry = byId.get(key);
        entry.amount = roundTo(entry.amount + line.amount, line.currency);
        entry.count++;
    }
    return [...byId.values()];
}

const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset"]);

/** Whether keys typed in ``target`` are its own (text, choices). */
export function isTextField(target) {
    if (!target || !target.tagName) {
        return false;
    }
    if (target.isContentEditable || ["TEXTAREA", "SELECT"].includes(target.tagName)) {
        return true;
    }
    return target.tagName === "INPUT" && !NOT_TEXT.has((target.type || "").toLowerCase());
}

/**
 * The command of a key press on the screen, or null.
 *
 * In a text field only Escape (leave it) and Ctrl+Enter (reconcile the
 * selection) are the screen's; elsewhere: arrows and j/k move, Enter accepts
 * the best suggestion, 1-3 accept that suggestion, "/" opens the search of
 * open items, "w" writes off the difference, "p" pays partly, "u" undoes the
 * last decision, "U" (Shift+U) undoes the matches of the statement filtered
 * on (once confirmed).  A key an element handled itself (default prevented) is not
 * the screen's.
 *
 * @param {KeyboardEvent} ev
 * @returns {{name: string, value?: number}|null}
 */
export function keyCommand(ev) {
    if (ev.altKey || ev.metaKey || ev.defaultPrevented) {
        return null;
    }
    const target = ev.target;
    const inField = isTextField(target);
    if (ev.key === "Enter" && ev.ctrlKey) {
        return { name: "reconcile" };
    }
    if (ev.ctrlKey) {
        return null;
    }
    if (inField) {
        return ev.key === "Escape" ? { name: "leave" } : null;
    }
    if (target && target.tagName === "BUTTON" && (ev.key === "Enter" || ev.key === " ")) {
        return null; // the button's own click
    }
    switch (ev.key) {
        case "ArrowDown":
        case "j":
            return { name: "move", value: 1 };
        case "ArrowUp":
        case "k":
            return { name: "move", value: -1 };
        case "Enter":
            return { name: "accept", value: 1 };
        case "1":
        case "2":
        case "3":
            return { name: "accept", value: Number(ev.key) };
        case "/":
            return { name: "search" };
        case "u":
            return { name: "undo" };
        case "U":
            return { name: "undoStatement" };
        case "w":
            return { name: "mode", value: "writeoff" };
        case "p":
            return { name: "mode", value: "partial" };
        case "Escape":
            return { name: "leave" };
    }
    return null;
}

/** The index of the line after moving ``step`` from ``index`` in ``count``. */
export function moveIndex(index, step, count) {
    if (!count) {
        return -1;
    }
    if (index < 0) {
        return step > 0 ? 0 : count - 1;
    }
    return Math.min(count - 1, Math.max(0, index + step));
}
