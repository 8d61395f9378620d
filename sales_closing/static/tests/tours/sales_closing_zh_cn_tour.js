/** @odoo-module **/
/**
 * A Chinese user's walk through the screens of the Sales Closing addons
 * (issue #22): no text on a screen may be one of the English terms the
 * addons translate.
 *
 * The test (``tests/zh_cn_screens.py``) sets ``window.salesClosingZhCn``
 * before it starts the tour:
 *
 * - ``terms``: the English msgids of the three .po files whose Chinese
 *   differs, whitespace collapsed;
 * - ``patterns``: regular expressions of the msgids with placeholders;
 * - ``menus``: ``[app, [section, ...]]``, navbar sections whose dropdowns
 *   are read;
 * - ``screens``: ``{name, action, open, dialog}``: an action (xmlid or
 *   dict) opened as from its menu, its first record opened when ``open``.
 *
 * Each screen is read as the user sees it: every visible text node and
 * placeholder, each notebook page, the search panel's filters. What is
 * found is collected and reported at the end, all screens at once.
 */
import { registry } from "@web/core/registry";

const VIEW = [
    ".o_list_renderer",
    ".o_kanban_renderer",
    ".o_form_renderer",
    ".o_pivot",
    ".o_graph_renderer",
    ".o_calendar_renderer",
    ".o_view_nocontent",
    ".o_setting_container",
].join(", ");
// the action opened last (those before are marked seen)
const CURRENT = ".o_action_manager > .o_action:not(.o_sc_seen)";
const NEW_ACTION = `${CURRENT} :is(${VIEW})`;
const DIALOG = ".modal:not(.o_inactive_modal) .modal-content";
// texts written by people (messages), not by the addons
const IGNORED = ".o-mail-Message-body, .o-mail-Message-textContent, .o_field_html";

function config() {
    return window.salesClosingZhCn;
}

function tick(ms = 50) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function normalize(text) {
    return text.replace(/\s+/g, " ").trim();
}

function visible(element) {
    return element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
}

function texts(root) {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
        const text = normalize(node.nodeValue);
        const element = node.parentElement;
        if (
            text &&
            element &&
            !element.closest(`script, style, ${IGNORED}`) &&
            visible(element)
        ) {
            found.push(text);
        }
    }
    for (const element of root.querySelectorAll("[placeholder]")) {
        const text = normalize(element.getAttribute("placeholder"));
        if (text && visible(element)) {
            found.push(text);
        }
    }
    return found;
}

function english(text) {
    const { terms, patterns } = config();
    if (!config().termSet) {
        config().termSet = new Set(terms);
        config().regexps = patterns.map((source) => new RegExp(`^${source}$`));
    }
    return config().termSet.has(text) || config().regexps.some((re) => re.test(text));
}

function report(screen, root) {
    const { found, seen } = config();
    const all = texts(root);
    // with ``debug``, the report lists the English-looking texts of each screen
    seen.push(`${screen}: ${all.filter((t) => /[A-Za-z]{3,}/.test(t)).join(" | ")}`);
    for (const text of all) {
        const entry = `${screen}: "${text}"`;
        if (english(text) && !found.includes(entry)) {
            found.push(entry);
        }
    }
}

async function readNotebooks(screen, root) {
    for (const link of root.querySelectorAll(".o_notebook_headers .nav-link")) {
        if (!visible(link)) {
            continue;
        }
        link.click();
        await tick();
        report(`${screen} / ${normalize(link.textContent)}`, root);
    }
}

async function readSearchPanel(screen, root) {
    const toggler = root.querySelector(".o_searchview_dropdown_toggler");
    if (!toggler) {
        return;
    }
    toggler.click();
    for (let i = 0; i < 40 && !document.querySelector(".o_search_bar_menu"); i++) {
        await tick();
    }
    const menu = document.querySelector(".o_search_bar_menu");
    if (menu) {
        report(`${screen} / search`, menu);
        toggler.click();
        await tick();
    }
}

async function read(screen, root) {
    report(screen, document.querySelector(".o_main_navbar"));
    report(screen, root);
    await readNotebooks(screen, root);
    await readSearchPanel(screen, root);
}

function actionService() {
    return odoo.__WOWL_DEBUG__.root.env.services.action;
}

function markSeen() {
    for (const element of document.querySelectorAll(".o_action_manager > .o_action")) {
        element.classList.add("o_sc_seen");
    }
}

function menuSteps(app, sections) {
    const steps = [
        {
            content: `Open the app ${app}`,
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            trigger: `.o_app[data-menu-xmlid="${app}"]`,
            run: "click",
        },
    ];
    for (const section of sections) {
        steps.push(
            {
                content: `Open the menu ${section}`,
                trigger: `.o_main_navbar [data-menu-xmlid="${section}"]`,
                run: "click",
            },
            {
                content: `Read the menu ${section}`,
                trigger: ".o-dropdown--menu .o-dropdown-item",
                async run() {
                    report(`menu ${section}`, document.querySelector(".o-dropdown--menu"));
                    document.querySelector(`.o_main_navbar [data-menu-xmlid="${section}"]`).click();
                    await tick();
                },
            }
        );
    }
    return steps;
}

const ROW = `${CURRENT} .o_data_row`;

async function openFirstRecord() {
    // a grouped list: the first group opened
    if (!document.querySelector(ROW)) {
        const group = document.querySelector(`${CURRENT} .o_group_header`);
        if (group) {
            group.click();
            for (let i = 0; i < 100 && !document.querySelector(ROW); i++) {
                await tick();
            }
        }
    }
    const row = document.querySelector(ROW);
    const target = row
        ? row.querySelector(".o_data_cell[name='name']") ||
          row.querySelector(".o_data_cell:not(.o_handle_cell)")
        : document.querySelector(`${CURRENT} .o_kanban_record:not(.o_kanban_ghost)`);
    markSeen();
    target.click();
}

function screenSteps(screen) {
    const steps = [
        {
            content: `Open ${screen.name}`,
            trigger: "body",
            async run() {
                markSeen();
                await actionService().doAction(screen.action, { clearBreadcrumbs: true });
            },
        },
    ];
    if (screen.dialog) {
        steps.push(
            {
                content: `Read ${screen.name}`,
                trigger: `${DIALOG} .modal-body`,
                async run() {
                    await read(screen.name, document.querySelector(DIALOG));
                },
            },
            {
                content: `Close ${screen.name}`,
                trigger: `${DIALOG} .btn-close`,
                run: "click",
            },
            {
                trigger: "body:not(:has(.modal))",
            }
        );
        return steps;
    }
    steps.push({
        content: `Read ${screen.name}`,
        trigger: NEW_ACTION,
        async run() {
            await read(screen.name, document.querySelector(".o_action_manager"));
        },
    });
    if (screen.open) {
        steps.push(
            {
                content: `Open a record of ${screen.name}`,
                trigger: `${CURRENT} :is(.o_data_row, .o_group_header, .o_kanban_record:not(.o_kanban_ghost))`,
                async run() {
                    await openFirstRecord();
                },
            },
            {
                content: `Read the form of ${screen.name}`,
                trigger: `${CURRENT} .o_form_renderer`,
                async run() {
                    await read(`${screen.name} (form)`, document.querySelector(".o_action_manager"));
                },
            }
        );
    }
    return steps;
}

function tourSteps() {
    if (!config()) {
        // only the test starts this tour, with its screens
        return [];
    }
    return [
        ...config().menus.flatMap(([app, sections]) => menuSteps(app, sections)),
        ...config().screens.flatMap(screenSteps),
        {
            content: "No English term on the screens",
            trigger: "body",
            run() {
                const { found, seen, debug } = config();
                if (found.length || debug) {
                    found.push(...(debug ? seen : []));
                    throw new Error(
                        `${found.length} English term(s) on the Chinese screens:\n${found.join("\n")}`
                    );
                }
            },
        },
    ];
}

registry.category("web_tour.tours").add("sales_closing_zh_cn_tour", {
    url: "/odoo",
    steps: tourSteps,
});
