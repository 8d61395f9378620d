/** @odoo-module **/
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sales_closing_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Invoicing",
            trigger: '.o_app[data-menu-xmlid="account.menu_finance"]',
            run: "click",
        },
        {
            content: "Open the Closing menu",
            trigger: '.o_main_navbar [data-menu-xmlid="sales_closing.menu_closing_root"]',
            run: "click",
        },
        {
            content: "Open Closing Periods",
            trigger: '.o-dropdown-item[data-menu-xmlid="sales_closing.menu_closing_periods"]',
            run: "click",
        },
        {
            content: "The periods view is shown",
            trigger: '.o_breadcrumb:contains("Closing Periods")',
        },
        {
            content: "Open the Closing menu again",
            trigger: '.o_main_navbar [data-menu-xmlid="sales_closing.menu_closing_root"]',
            run: "click",
        },
        {
            content: "Open Settings",
            trigger: '.o-dropdown-item[data-menu-xmlid="sales_closing.menu_closing_settings"]',
            run: "click",
        },
        {
            content: "The Sales Closing settings section is shown",
            trigger: '.app_settings_block[data-key="sales_closing"] #sales_closing_lock_sale',
        },
    ],
});
