/** @odoo-module **/
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sales_closing_installment_portal_tour", {
    steps: () => [
        {
            content: "The invoice page shows the two installments, both due",
            trigger:
                "#sales_closing_installments tr[data-installment='2'].o_installment_due",
        },
        {
            content: "The first installment is due too",
            trigger:
                "#sales_closing_installments tr[data-installment='1']:not(.o_installment_paid)",
        },
        {
            content: "Open the payment dialog",
            trigger: "a[data-bs-target='#pay_with']",
            run: "click",
        },
        {
            content: "The next installment is proposed",
            trigger: "#pay_with #o_payment_installments_tab.active",
        },
        {
            content: "Choose the demo payment method",
            trigger:
                "#pay_with input[name='o_payment_radio'][data-provider-code='demo']",
            run: "click",
        },
        {
            content: "Enter the (test) card details",
            trigger: "#pay_with #customer_input",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "#pay_with button[name='o_payment_submit_button']:enabled",
            run: "click",
        },
        {
            content: "Back on the invoice: the first installment is paid",
            trigger:
                "#sales_closing_installments tr[data-installment='1'].o_installment_paid",
            timeout: 30000,
        },
        {
            content: "The second installment is still due",
            trigger:
                "#sales_closing_installments tr[data-installment='2'].o_installment_due",
        },
    ],
});
