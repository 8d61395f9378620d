/** @odoo-module **/
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sales_closing_reconcile_accept_tour", {
    url: "/odoo/action-sales_closing_reconcile.sales_closing_match_line_action",
    steps: () => [
        {
            content: "The review screen lists the line with suggestions",
            trigger: '.o_list_view .o_data_row:contains("TOUR TRANSFER")',
        },
        {
            content: "Open the statement line",
            trigger: '.o_data_row:contains("TOUR TRANSFER") td[name="payment_ref"]',
            run: "click",
        },
        {
            content: "Its suggestions are shown with their score and reasons",
            // reasons in words (the engine's code payer_name reads "payer's name")
            trigger: `.o_field_widget[name="sales_closing_suggestion_ids"] .o_data_row:contains("payer's name")`,
        },
        {
            content: "Accept the first suggestion",
            trigger:
                '.o_field_widget[name="sales_closing_suggestion_ids"] .o_data_row:first button[name="action_accept"]',
            run: "click",
        },
        {
            content: "The line is matched by hand now",
            trigger: '.o_statusbar_status button[aria-checked="true"]:contains("Matched by Hand")',
        },
        {
            content: "No suggestion is left",
            trigger: '.o_field_widget[name="sales_closing_suggestion_ids"]:not(:has(.o_data_row))',
        },
    ],
});
