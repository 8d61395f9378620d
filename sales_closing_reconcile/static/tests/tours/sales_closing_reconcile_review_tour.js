/**
 * The review screen by keyboard only: Enter accepts the best suggestion, a
 * digit picks another, "/" searches the open items for a grouped payment
 * (Enter selects, Ctrl+Enter matches), a partial payment, a write-off with a
 * preset, and "u" undoes the last decision.
 */
import { registry } from "@web/core/registry";

const selected = (label) => `.o_sc_review_line.o_sc_selected:contains("${label}")`;

function searchAndSelect(label, text, names) {
    const steps = [
        {
            content: `${label} is selected`,
            trigger: selected(label),
        },
        {
            content: "Open the search of open items with /",
            trigger: ".o_sc_review_help",
            run: "press /",
        },
        {
            content: `Type ${text}`,
            trigger: ".o_sc_search_text:focus",
            run: `edit ${text}`,
        },
        {
            content: "Search with Enter",
            trigger: ".o_sc_search_text:focus",
            run: "press Enter",
        },
    ];
    names.forEach((name, index) => {
        steps.push(
            {
                content: `Go down to ${name}`,
                trigger: `.o_sc_review_item:contains("${name}")`,
                run: "press ArrowDown",
            },
            {
                content: `Select ${name} with Enter`,
                trigger: `.o_sc_review_item:contains("${name}") input:focus`,
                run: "press Enter",
            },
            {
                content: `${index + 1} selected`,
                trigger: `.o_sc_selected_count:contains("${index + 1} selected")`,
            }
        );
    });
    return steps;
}

registry.category("web_tour.tours").add("sales_closing_reconcile_review_tour", {
    url: "/odoo/action-sales_closing_reconcile.sales_closing_review_action",
    steps: () => [
        {
            content: "The first line and its suggestion, reasons in words",
            trigger: `${selected("TOUR A")}`,
        },
        {
            content: "Its suggestion says why",
            trigger: ".o_sc_suggestion_reasons:contains('invoice number in the label')",
        },
        {
            content: "Enter accepts the best suggestion",
            trigger: ".o_sc_suggestion_score:contains('95%')",
            run: "press Enter",
        },
        {
            content: "The next line has two suggestions",
            trigger: `${selected("TOUR B")}`,
        },
        {
            content: "2 picks the second suggestion",
            trigger: ".o_sc_suggestion:eq(1):contains('TOURB2')",
            run: "press 2",
        },
        // a grouped payment of two invoices, chosen from the search
        ...searchAndSelect("TOUR C GROUPED", "TOURGRP", ["TOURGRP-1", "TOURGRP-2"]),
        {
            content: "Nothing remains",
            trigger: ".o_sc_remainder:contains('0.00')",
        },
        {
            content: "Ctrl+Enter matches the selection",
            trigger: ".o_sc_running_total:contains('300.00')",
            run: "press ctrl+Enter",
        },
        // a partial payment: 50 of an invoice of 80
        ...searchAndSelect("TOUR D PARTIAL", "TOURPART", ["TOURPART"]),
        {
            content: "The invoice asks more than the line brings: paid partly",
            trigger: ".o_sc_remainder:contains('-30.00')",
        },
        {
            content: "Ctrl+Enter pays it partly",
            trigger: ".o_sc_mode_partial:checked",
            run: "press ctrl+Enter",
        },
        // a write-off: 95 received for 100, the bank's charges
        ...searchAndSelect("TOUR E WRITEOFF", "TOURWO", ["TOURWO"]),
        {
            content: "Leave the item list",
            trigger: ".o_sc_remainder:contains('-5.00')",
            run: "press Escape",
        },
        {
            content: "w writes off the difference",
            trigger: ".o_sc_review_help",
            run: "press w",
        },
        {
            content: "Choose the preset",
            trigger: ".o_sc_writeoff_preset:focus",
            run: "selectByLabel Tour bank charges",
        },
        {
            content: "The preset gives the reason",
            trigger: ".o_sc_writeoff_label:value('Bank charges')",
        },
        {
            content: "Ctrl+Enter books the difference",
            trigger: ".o_sc_writeoff_preset",
            run: "press ctrl+Enter",
        },
        {
            content: "The write-off is the last decision",
            trigger: ".o_sc_history:contains('TOUR E WRITEOFF')",
        },
        {
            content: "u undoes it",
            trigger: ".o_sc_review_empty, .o_sc_review_line",
            run: "press u",
        },
        {
            content: "The line is back to review, selected",
            trigger: `${selected("TOUR E WRITEOFF")}`,
        },
        {
            content: "And the previous decision is now the last one",
            trigger: ".o_sc_history:contains('TOUR D PARTIAL')",
        },
    ],
});
