/**
 * Bank matching review: one screen, driven by the keyboard (client action
 * ``sales_closing_reconcile.review``).  Left, the statement lines of the
 * filter; right, the selected line's suggestions, a search of open items with
 * a running total, partial payment and write-off, the partner.  Every
 * decision is one call to ``sales.closing.review``, which checks the user's
 * closing group on the server.
 */
import {
    Component,
    onPatched,
    onWillStart,
    useExternalListener,
    useRef,
    useState,
} from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import {
    formatAmount,
    keyCommand,
    moveIndex,
    selectionSummary,
} from "./review_model";

const MODEL = "sales.closing.review";

export class BankReview extends Component {
    static template = "sales_closing_reconcile.BankReview";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.searchInput = useRef("searchInput");
        this.root = useRef("root");
        this.formatAmount = formatAmount;
        this.state = useState({
            filters: {
                state: "todo",
                journal_id: "",
                statement_id: "",
                date_from: "",
                date_to: "",
                amount_min: "",
                amount_max: "",
                partner_id: false,
                partner_name: "",
                search: "",
            },
            lines: [],
            count: 0,
            totals: [],
            journals: [],
            statements: [],
            canDecide: false,
            index: -1,
            busy: false,
            // open items search of the selected line
            query: { text: "", amount: "", date_from: "", date_to: "", partner_id: false },
            items: [],
            searched: false,
            selected: new Set(),
            mode: "partial",
            writeoff: { preset_id: "", account_id: "", tax_id: "", label: "" },
            options: null,
            partnerText: "",
            partnerResults: [],
            saveAccount: true,
            // decisions of this session, last one first: [{lineId, label}]
            history: [],
            bulk: { minScore: 90, preview: null },
            // undoing the filtered statement's matches: what it would undo
            undoPreview: null,
        });
        useExternalListener(window, "keydown", this.onKeydown);
        onWillStart(() => this.load());
        // an element to focus once rendered (the write-off's preset after "w")
        this.focusAfterRender = null;
        onPatched(() => {
            const el = this.focusAfterRender && this.root.el?.querySelector(this.focusAfterRender);
            if (el) {
                this.focusAfterRender = null;
                el.focus();
            }
        });
    }

    // ------------------------------------------------------------------
    // Getters
    // ------------------------------------------------------------------

    get line() {
        return this.state.lines[this.state.index] || null;
    }

    get suggestions() {
        return (this.line?.suggestions || []).slice(0, 3);
    }

    get summary() {
        const line = this.line;
        if (!line) {
            return null;
        }
        return selectionSummary(
            line.amount,
            this.state.items,
            this.state.selected,
            line.currency
        );
    }

    get readonly() {
        return !this.state.canDecide;
    }

    get stateLabels() {
        return {
            new: _t("Not Processed"),
            suggested: _t("Suggestions"),
            unmatched: _t("Unmatched"),
            auto: _t("Matched Automatically"),
            manual: _t("Matched by Hand"),
        };
    }

    // texts: whole sentences, so that they translate in their own word order
    get countText() {
        const values = { count: this.state.count, shown: this.state.lines.length };
        return this.state.count > this.state.lines.length
            ? _t("%(count)s lines (first %(shown)s shown), left:", values)
            : _t("%(count)s lines, left:", values);
    }

    get bulkText() {
        return _t("%(count)s lines to accept with their best suggestion:", {
            count: this.state.bulk.preview.count,
        });
    }

    get undoStatementText() {
        const preview = this.state.undoPreview;
        return _t(
            "%(count)s matched lines of statement %(statement)s to undo (%(auto)s automatic, %(manual)s by hand):",
            {
                count: preview.count,
                statement: preview.statement,
                auto: preview.auto,
                manual: preview.manual,
            }
        );
    }

    get knownText() {
        return _t("bank account known: %(partner)s", {
            partner: this.line.bank_account_partner,
        });
    }

    get createText() {
        return _t('Create "%(name)s"', { name: this.state.partnerText.trim() });
    }

    get saveOnText() {
        return _t("Save the bank account on %(partner)s", { partner: this.line.partner.name });
    }

    get saveAccountText() {
        return _t("save bank account %(number)s", { number: this.line.account_number });
    }

    get matchedText() {
        return _t("Matched with %(items)s.", {
            items: this.line.matched_items.join(", ") || "-",
        });
    }

    get selectedText() {
        return _t("%(count)s selected", { count: this.summary.count });
    }

    get lastText() {
        const last = this.state.history[0];
        return _t("Last decision: %(decision)s, %(line)s", {
            decision: last.label,
            line: last.line.label,
        });
    }

    feeText(suggestion) {
        return _t("fee %(amount)s", {
            amount: formatAmount(suggestion.fee, this.line.currency),
        });
    }

    get keyHelp() {
        return [
            { keys: ["↑", "↓", "j", "k"], text: _t("move") },
            { keys: ["Enter"], text: _t("accept the best suggestion") },
            { keys: ["1", "2", "3"], text: _t("accept that suggestion") },
            { keys: ["/"], text: _t("search open items") },
            { keys: ["Space"], text: _t("select an item") },
            { keys: ["p"], text: _t("pay partly") },
            { keys: ["w"], text: _t("write off the difference") },
            { keys: ["Ctrl+Enter"], text: _t("match the selection") },
            { keys: ["u"], text: _t("undo the last decision") },
            { keys: ["Shift+U"], text: _t("undo the statement's matches") },
        ];
    }

    percent(score) {
        return score === null || score === undefined ? "" : `${Math.round(score * 100)}%`;
    }

    // ------------------------------------------------------------------
    // Loading
    // ------------------------------------------------------------------

    filterValues() {
        const f = this.state.filters;
        return {
            state: f.state,
            journal_id: f.journal_id ? Number(f.journal_id) : false,
            statement_id: f.statement_id ? Number(f.statement_id) : false,
            date_from: f.date_from || false,
            date_to: f.date_to || false,
            amount_min: f.amount_min === "" ? false : Number(f.amount_min),
            amount_max: f.amount_max === "" ? false : Number(f.amount_max),
            partner_id: f.partner_id || false,
            search: f.search || "",
        };
    }

    async load() {
        const result = await this.orm.call(MODEL, "get_lines", [this.filterValues()]);
        this.state.lines = result.lines;
        this.state.count = result.count;
        this.state.totals = result.totals;
        this.state.journals = result.journals;
        this.state.statements = result.statements || [];
        this.state.canDecide = result.can_decide;
        this.state.bulk.preview = null;
        this.state.undoPreview = null;
        this.select(result.lines.length ? 0 : -1);
    }

    select(index) {
        this.state.index = index;
        this.state.items = [];
        this.state.searched = false;
        this.state.selected = new Set();
        this.state.mode = "partial";
        this.state.partnerText = "";
        this.state.partnerResults = [];
        const line = this.line;
        this.state.query = {
            text: "",
            amount: "",
            date_from: "",
            date_to: "",
            partner_id: line?.partner?.id || false,
        };
        if (line) {
            const row = this.root.el?.querySelector(`[data-line-id="${line.id}"]`);
            row?.scrollIntoView?.({ block: "nearest" });
        }
    }

    onFilterChange() {
        return this.load();
    }

    onJournalChange() {
        // the statement list follows the journal
        this.state.filters.statement_id = "";
        return this.load();
    }

    filterByPartner(line) {
        if (line.partner) {
            this.state.filters.partner_id = line.partner.id;
            this.state.filters.partner_name = line.partner.name;
            return this.load();
        }
    }

    clearPartnerFilter() {
        this.state.filters.partner_id = false;
        this.state.filters.partner_name = "";
        return this.load();
    }

    // ------------------------------------------------------------------
    // Keyboard
    // ------------------------------------------------------------------

    onKeydown(ev) {
        if (document.querySelector(".modal")) {
            return; // a dialog over the screen has the keys
        }
        const command = keyCommand(ev);
        if (!command) {
            return;
        }
        if (command.name === "leave") {
            if (document.activeElement && this.root.el?.contains(document.activeElement)) {
                document.activeElement.blur();
            }
            return;
        }
        ev.preventDefault();
        ev.stopPropagation();
        this.run(command);
    }

    run(command) {
        switch (command.name) {
            case "move":
                return this.select(
                    moveIndex(this.state.index, command.value, this.state.lines.length)
                );
            case "accept":
                return this.accept(command.value);
            case "search":
                return this.openSearch();
            case "undo":
                return this.undoLast();
            case "undoStatement":
                return this.previewUndoStatement();
            case "reconcile":
                return this.reconcile();
            case "mode":
                return this.setMode(command.value, true);
        }
    }

    openSearch() {
        if (!this.line) {
            return;
        }
        this.searchInput.el?.focus();
        this.searchInput.el?.select();
    }

    // ------------------------------------------------------------------
    // Decisions (one call each)
    // ------------------------------------------------------------------

    async decide(label, call) {
        if (this.state.busy || this.readonly) {
            return;
        }
        const line = this.line;
        if (!line) {
            return;
        }
        this.state.busy = true;
        try {
            const result = await call(line);
            this.done(line, result, label);
        } finally {
            this.state.busy = false;
        }
    }

    /** A line decided: out of the list to review, next line selected. */
    done(line, result, label) {
        if (result.stale) {
            // its suggestion was out of date: nothing decided, new suggestions
            const index = this.state.lines.findIndex((l) => l.id === line.id);
            if (index >= 0) {
                this.state.lines[index] = result;
                this.select(index);
            }
            this.notification.add(
                _t(
                    "Its items were matched with another line meanwhile: the suggestions are renewed."
                ),
                { type: "warning" }
            );
            return;
        }
        this.state.history.unshift({ lineId: line.id, label, line: result });
        const index = this.state.lines.findIndex((l) => l.id === line.id);
        if (this.state.filters.state !== "done" && result.state !== "suggested" && index >= 0) {
            this.state.lines.splice(index, 1);
            this.state.count--;
            this.state.totals = this.subtract(this.state.totals, line);
            this.select(Math.min(index, this.state.lines.length - 1));
        } else if (index >= 0) {
            this.state.lines[index] = result;
            this.select(index);
        }
    }

    subtract(totals, line) {
        return totals
            .map((total) =>
                total.currency.id === line.currency.id
                    ? {
                          ...total,
                          amount: total.amount - line.amount,
                          count: total.count - 1,
                      }
                    : total
            )
            .filter((total) => total.count > 0);
    }

    accept(rank) {
        const suggestion = this.suggestions[rank - 1];
        if (!suggestion) {
            return;
        }
        return this.decide(
            _t("Suggestion %(rank)s accepted", { rank }),
            (line) => this.orm.call(MODEL, "accept", [line.id, suggestion.id])
        );
    }

    async reconcile() {
        const summary = this.summary;
        if (!summary || !summary.count) {
            return;
        }
        const writeoff = this.state.writeoff;
        if (this.state.mode === "writeoff" && !summary.balanced) {
            if (!writeoff.account_id || !writeoff.label.trim()) {
                this.notification.add(_t("Choose the account and give the reason."), {
                    type: "warning",
                });
                return;
            }
        }
        const itemIds = [...this.state.selected];
        const mode = this.state.mode;
        const values = {
            account_id: Number(writeoff.account_id) || false,
            tax_id: Number(writeoff.tax_id) || false,
            label: writeoff.label,
        };
        return this.decide(
            mode === "writeoff" ? _t("Matched with a write-off") : _t("Matched by hand"),
            (line) => this.orm.call(MODEL, "reconcile", [line.id, itemIds, mode, values])
        );
    }

    async undoLast() {
        if (this.state.busy || this.readonly) {
            return;
        }
        const last = this.state.history[0];
        if (!last) {
            return;
        }
        return this.undoLine(last.lineId);
    }

    async undoLine(lineId) {
        this.state.busy = true;
        try {
            const result = await this.orm.call(MODEL, "undo", [lineId]);
            this.state.history = this.state.history.filter((h) => h.lineId !== lineId);
            let index = this.state.lines.findIndex((l) => l.id === lineId);
            if (index >= 0) {
                this.state.lines[index] = result;
            } else {
                index = this.state.lines.findIndex(
                    (l) => l.date > result.date || (l.date === result.date && l.id > result.id)
                );
                index = index < 0 ? this.state.lines.length : index;
                this.state.lines.splice(index, 0, result);
                this.state.count++;
                this.state.totals = this.addTotal(this.state.totals, result);
            }
            this.select(index);
        } finally {
            this.state.busy = false;
        }
    }

    addTotal(totals, line) {
        if (!totals.some((t) => t.currency.id === line.currency.id)) {
            return [...totals, { currency: line.currency, amount: line.amount, count: 1 }];
        }
        return totals.map((t) =>
            t.currency.id === line.currency.id
                ? { ...t, amount: t.amount + line.amount, count: t.count + 1 }
                : t
        );
    }

    // ------------------------------------------------------------------
    // Undo a statement's matches
    // ------------------------------------------------------------------

    /** Show what undoing the filtered statement would do, before doing it. */
    async previewUndoStatement() {
        const statementId = Number(this.state.filters.statement_id);
        if (!statementId || this.readonly || this.state.busy) {
            return;
        }
        this.state.undoPreview = await this.orm.call(MODEL, "undo_statement_preview", [
            statementId,
        ]);
        // Enter confirms, Escape leaves
        this.focusAfterRender = ".o_sc_undo_statement_confirm:not([disabled])";
    }

    async confirmUndoStatement() {
        const preview = this.state.undoPreview;
        const statementId = Number(this.state.filters.statement_id);
        if (!preview || !preview.count || !statementId || this.state.busy) {
            return;
        }
        this.state.busy = true;
        let result;
        try {
            result = await this.orm.call(MODEL, "undo_statement", [statementId]);
        } finally {
            this.state.busy = false;
            this.state.undoPreview = null;
        }
        this.notification.add(
            _t("Matches undone: %(count)s. The lines wait for review again.", {
                count: result.count,
            }),
            { type: "success" }
        );
        // the undone lines are not in the history of this session's decisions
        const undone = new Set(result.line_ids);
        this.state.history = this.state.history.filter((h) => !undone.has(h.lineId));
        return this.load();
    }

    cancelUndoStatement() {
        this.state.undoPreview = null;
    }

    // ------------------------------------------------------------------
    // Open items
    // ------------------------------------------------------------------

    async searchItems() {
        const line = this.line;
        if (!line) {
            return;
        }
        const q = this.state.query;
        this.state.items = await this.orm.call(MODEL, "search_items", [
            line.id,
            {
                text: q.text,
                amount: q.amount === "" ? false : Number(q.amount),
                date_from: q.date_from || false,
                date_to: q.date_to || false,
                partner_id: q.partner_id || false,
            },
        ]);
        this.state.searched = true;
        // keep selected only what is still listed
        const ids = new Set(this.state.items.map((i) => i.id));
        this.state.selected = new Set([...this.state.selected].filter((id) => ids.has(id)));
    }

    onSearchKeydown(ev) {
        if (ev.key === "Enter" && !ev.ctrlKey) {
            ev.preventDefault();
            this.searchItems();
        } else if (ev.key === "ArrowDown") {
            ev.preventDefault();
            this.root.el?.querySelector(".o_sc_review_item input")?.focus();
        }
    }

    onItemKeydown(ev, item) {
        if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
            ev.preventDefault();
            const inputs = [...this.root.el.querySelectorAll(".o_sc_review_item input")];
            const index = inputs.indexOf(ev.target);
            const next = inputs[index + (ev.key === "ArrowDown" ? 1 : -1)];
            (next || (ev.key === "ArrowUp" ? this.searchInput.el : null))?.focus();
        } else if (ev.key === "Enter" && !ev.ctrlKey) {
            ev.preventDefault();
            this.toggleItem(item);
        }
    }

    toggleItem(item) {
        const selected = new Set(this.state.selected);
        if (selected.has(item.id)) {
            selected.delete(item.id);
        } else {
            selected.add(item.id);
        }
        this.state.selected = selected;
    }

    clearQueryPartner() {
        this.state.query.partner_id = false;
        return this.searchItems();
    }

    // ------------------------------------------------------------------
    // Write-off
    // ------------------------------------------------------------------

    async setMode(mode, focus = false) {
        if (!this.line) {
            return;
        }
        this.state.mode = mode;
        const companyId = this.line.company_id;
        if (mode === "writeoff" && this.state.options?.companyId !== companyId) {
            const options = await this.orm.call(MODEL, "writeoff_options", [this.line.id]);
            this.state.options = { ...options, companyId };
            this.state.writeoff = { preset_id: "", account_id: "", tax_id: "", label: "" };
            if (!this.state.writeoff.account_id && this.state.options.default_account_id) {
                this.state.writeoff.account_id = String(this.state.options.default_account_id);
            }
        }
        if (mode === "writeoff" && focus) {
            // the preset (or account) to choose next, from the keyboard
            const selector = ".o_sc_writeoff_preset, .o_sc_writeoff_account";
            const el = this.root.el?.querySelector(selector);
            if (el) {
                el.focus();
            } else {
                this.focusAfterRender = selector;
            }
        }
    }

    applyPreset(ev) {
        const id = Number(ev.target.value);
        const preset = this.state.options?.presets.find((p) => p.id === id);
        this.state.writeoff.preset_id = ev.target.value;
        if (preset) {
            this.state.writeoff.account_id = String(preset.account_id);
            this.state.writeoff.tax_id = preset.tax_id ? String(preset.tax_id) : "";
            this.state.writeoff.label = preset.label;
        }
    }

    // ------------------------------------------------------------------
    // Partner
    // ------------------------------------------------------------------

    async searchPartners() {
        const text = this.state.partnerText.trim();
        this.state.partnerResults = text
            ? await this.orm.call(MODEL, "search_partners", [text])
            : [];
    }

    async setPartner(partnerId) {
        const name = partnerId ? false : this.state.partnerText.trim() || false;
        if (!partnerId && !name) {
            return;
        }
        const line = this.line;
        const result = await this.orm.call(MODEL, "set_partner", [
            line.id,
            partnerId || false,
            name,
            this.state.saveAccount,
        ]);
        const index = this.state.lines.findIndex((l) => l.id === line.id);
        if (index >= 0) {
            this.state.lines[index] = result;
        }
        this.state.partnerText = "";
        this.state.partnerResults = [];
        this.state.query.partner_id = result.partner?.id || false;
    }

    // ------------------------------------------------------------------
    // Bulk
    // ------------------------------------------------------------------

    async previewBulk() {
        this.state.bulk.preview = await this.orm.call(MODEL, "bulk_preview", [
            this.filterValues(),
            Number(this.state.bulk.minScore) / 100,
        ]);
    }

    async confirmBulk() {
        const preview = this.state.bulk.preview;
        if (!preview || !preview.count) {
            return;
        }
        const result = await this.orm.call(MODEL, "bulk_accept", [
            preview.line_ids,
            Number(this.state.bulk.minScore) / 100,
        ]);
        this.notification.add(
            _t("%(count)s lines matched with their best suggestion.", {
                count: result.count,
            }),
            { type: "success" }
        );
        return this.load();
    }

    cancelBulk() {
        this.state.bulk.preview = null;
    }
}

registry.category("actions").add("sales_closing_reconcile.review", BankReview);
