/** @odoo-module **/
import { registry } from "@web/core/registry";

const itemRow = '.o_field_widget[name="check_line_ids"] tr.o_data_row:contains("Draft customer invoices")';

registry.category("web_tour.tours").add("sales_closing_close_tour", {
    url: "/odoo/action-sales_closing.sales_closing_period_action",
    steps: () => [
        {
            content: "Open the period to close",
            trigger: '.o_kanban_record:contains("TOUR-2026-01")',
            run: "click",
        },
        {
            content: "Run the checks",
            trigger: 'button[name="action_run_checks"]',
            run: "click",
        },
        {
            content: "The draft invoice check fails",
            trigger: `${itemRow} .badge:contains("Failed")`,
        },
        {
            content: "Open the failed item",
            trigger: `${itemRow} td[name="name"]`,
            run: "click",
        },
        {
            content: "Give the waiver reason",
            trigger: '.modal div[name="waiver_reason"] textarea',
            run: "edit Customer cancels the order in February",
        },
        {
            content: "Waive the check",
            trigger: '.modal button[name="action_waive"]',
            run: "click",
        },
        {
            content: "Close the item's dialog",
            trigger: ".modal .modal-header .btn-close",
            run: "click",
        },
        {
            content: "The item is waived",
            trigger: `body:not(:has(.modal)) ${itemRow} .badge:contains("Waived")`,
        },
        {
            content: "Close the period",
            trigger: 'button[name="action_close"]:not(.d-none)',
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The period is closed",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Closed")',
        },
    ],
});
