/** @odoo-module **/
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sales_closing_statement_portal_tour", {
    steps: () => [
        {
            content: "The statement shows its closing balance",
            trigger: ".o_sales_closing_statement .o_statement_closing",
        },
        {
            content: "Explain what is wrong",
            trigger: "textarea[name='comment']",
            run: "edit Invoice INV/2026/00002 was cancelled",
        },
        {
            content: "Dispute the statement",
            trigger: "button.o_statement_dispute",
            run: "click",
        },
        {
            content: "The dispute is acknowledged",
            trigger: ".o_statement_message.alert-info",
        },
        {
            content: "The statement shows the comment and no answer buttons",
            trigger:
                ".o_sales_closing_statement:not(:has(.o_statement_answer)) .alert-warning:contains('was cancelled')",
        },
    ],
});
