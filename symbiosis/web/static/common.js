// What every page shares: the API calls (with the access token when the server asks for one),
// the words in the chosen language, number formats, and building elements whose text comes
// from data. Values from data are only ever put in a page as text (textContent), never as HTML.

const LANG_KEY = "symbiosis-lang";
const TOKEN_KEY = "symbiosis-token";

let words = {};

/** The language chosen: ?lang= in the address, else the one saved, else English. */
export function language() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "en" || asked === "zh") {
    localStorage.setItem(LANG_KEY, asked);
    return asked;
  }
  return localStorage.getItem(LANG_KEY) === "zh" ? "zh" : "en";
}

/** A page word in the chosen language; {name} fields filled from `fields`. */
export function t(key, fields = {}) {
  let text = words[key] ?? key;
  for (const [name, value] of Object.entries(fields)) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

/** An element with attributes and a text (never HTML), and children appended. */
export function el(tag, attrs = {}, text = null, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  if (text !== null && text !== undefined) node.textContent = String(text);
  for (const child of children) node.append(child);
  return node;
}

/** A name from data in the chosen language: the `_zh` field in Chinese when there is one. */
export function localName(props, key = "name") {
  if (language() === "zh" && props[`${key}_zh`]) return props[`${key}_zh`];
  return props[key] ?? "";
}

export class ApiError extends Error {
  constructor(status, detail, problems) {
    super(t("request_failed", { status, detail }));
    this.status = status;
    this.detail = detail;
    this.problems = problems || [];
  }
}

/** Call the API: JSON in and out, the access token sent when one was given. */
export async function api(path, options = {}) {
  // Accept-Language: the API's own words (problems, explanations) in the page's language
  const headers = { Accept: "application/json", "Accept-Language": language(), ...(options.headers || {}) };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
  });
  if (response.status === 401) showTokenForm();
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    let detail = body && body.detail ? String(body.detail) : response.statusText;
    // a 422's problems are listed one by one: its detail's first line introduces them
    if (body && body.problems && body.problems.length) detail = detail.split("\n")[0];
    throw new ApiError(response.status, detail, body && body.problems);
  }
  return body;
}

function showTokenForm() {
  const form = document.getElementById("token-form");
  if (form) form.hidden = false;
}

function setUpHeader() {
  const select = document.getElementById("lang");
  if (select) {
    select.value = language();
    select.addEventListener("change", () => {
      localStorage.setItem(LANG_KEY, select.value);
      const url = new URL(location.href);
      url.searchParams.set("lang", select.value);
      location.assign(url.toString());
    });
  }
  const form = document.getElementById("token-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = form.querySelector("input").value.trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      location.reload();
    });
  }
}

/** Load the words of the chosen language and put them in the page (data-t: the text,
 * data-t-placeholder / data-t-title: those attributes). */
export async function start() {
  const lang = language();
  const response = await fetch(`/ui/strings.json?lang=${lang}`);
  words = await response.json();
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-placeholder]")) {
    node.setAttribute("placeholder", t(node.dataset.tPlaceholder));
  }
  for (const node of document.querySelectorAll("[data-t-title]")) {
    node.setAttribute("title", t(node.dataset.tTitle));
  }
  const title = document.querySelector("[data-page-title]");
  document.title = `${title ? t(title.dataset.pageTitle) + " · " : ""}${t("app_title")}`;
  setUpHeader();
}

// ------------------------------------------------------------------------------------------
// Numbers, in the chosen language
// ------------------------------------------------------------------------------------------
function locale() {
  return language() === "zh" ? "zh-CN" : "en-GB";
}

export function number(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  return Number(value).toLocaleString(locale(), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Money per year: M CNY/yr (English), 亿元/年 (Chinese). */
export function moneyPerYear(cny) {
  if (cny === null || cny === undefined) return "–";
  if (language() === "zh") return `${number(cny / 1e8, 2)} 亿元/年`;
  return `${number(cny / 1e6, 1)} ${t("unit_m_cny_yr")}`;
}

/** Money: M CNY (English), 亿元 (Chinese). */
export function money(cny) {
  if (cny === null || cny === undefined) return "–";
  if (language() === "zh") return `${number(cny / 1e8, 2)} 亿元`;
  return `${number(cny / 1e6, 1)} ${t("unit_m_cny")}`;
}

/** Tonnes per year: Mt/yr (English), 万吨/年 (Chinese). */
export function tonnesPerYear(t_) {
  if (t_ === null || t_ === undefined) return "–";
  if (language() === "zh") return `${number(t_ / 1e4, 1)} 万吨/年`;
  return `${number(t_ / 1e6, 2)} ${t("unit_mt_yr")}`;
}

export function percent(fraction, digits = 2) {
  if (fraction === null || fraction === undefined) return "–";
  return `${number(fraction * 100, digits)} %`;
}

/** A status word (queued, running, ...) in the chosen language. */
export function statusText(status) {
  const key = `status_${status}`;
  return words[key] ? t(key) : String(status ?? "");
}

/** A stage (read, network, solve, ...) in the chosen language. */
export function stageText(stage) {
  if (!stage) return "";
  const key = `stage_${String(stage).replace(/ /g, "_")}`;
  return words[key] ? t(key) : String(stage);
}

/** A table of rows: columns are [heading, (row) => text or Node]. */
export function table(columns, rows, attrs = {}) {
  const head = el("tr", {}, null, columns.map(([heading]) => el("th", {}, heading)));
  const body = rows.map((row) =>
    el(
      "tr",
      {},
      null,
      columns.map(([, cell, cls]) => {
        const value = cell(row);
        const td = el("td", cls ? { class: cls } : {});
        if (value instanceof Node) td.append(value);
        else td.textContent = value === null || value === undefined ? "" : String(value);
        return td;
      }),
    ),
  );
  return el("table", attrs, null, [el("thead", {}, null, [head]), el("tbody", {}, null, body)]);
}

/** Show an error (and the problems of a 422) in a box. */
export function showError(box, error) {
  box.replaceChildren();
  box.hidden = false;
  box.append(el("p", {}, error.message || String(error)));
  if (error.problems && error.problems.length) {
    const list = el("ul");
    for (const problem of error.problems) list.append(el("li", {}, problem.text ?? problem.message));
    box.append(list);
  }
}

/** The run id of a page at /runs/{id} or /runs/{id}/result. */
export function runIdFromPath() {
  const parts = location.pathname.split("/").filter(Boolean);
  return decodeURIComponent(parts[1] || "");
}

/** A link to a file of the API: with an access token, the click fetches it with the token
 * (a plain link cannot send one) and saves it. */
export function downloadLink(path, name) {
  const link = el("a", { href: path, download: name }, name);
  link.addEventListener("click", async (event) => {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return;
    event.preventDefault();
    const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) return;
    const url = URL.createObjectURL(await response.blob());
    const save = el("a", { href: url, download: name });
    document.body.append(save);
    save.click();
    save.remove();
    URL.revokeObjectURL(url);
  });
  return link;
}
