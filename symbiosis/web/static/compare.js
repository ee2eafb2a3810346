// The compare page: two runs or more (?runs=a,b), their KPIs side by side and the written
// explanation of GET /api/compare; runs are picked from the latest ones with a result.
import { api, el, number, percent, showError, start, statusText, t, table } from "./common.js";

const $ = (id) => document.getElementById(id);

function chosenFromAddress() {
  const runs = new URLSearchParams(location.search).get("runs") || "";
  return runs.split(",").map((s) => s.trim()).filter(Boolean);
}

async function showPicker(chosen) {
  const runs = (await api("/api/runs?limit=100")).filter((run) => run.result);
  const rows = runs.map((run) => {
    const box = el("input", { type: "checkbox", value: run.id, checked: chosen.includes(run.id) ? "checked" : null });
    return el("label", { class: "row" }, null, [
      box,
      document.createTextNode(` ${run.name} · ${run.id} · ${statusText(run.result)} · ${(run.created || "").replace("T", " ").slice(0, 16)}`),
      el("br"),
    ]);
  });
  $("pick").replaceChildren(...rows);
}

/** A page word, or `fallback` when the server gives none for `key`. */
function wordOr(key, fallback, fields = {}) {
  const words = t(key, fields);
  return words === key ? fallback : words;
}

/** A column of the compare tables in words (the reports' words, /ui/strings.json): a
 * run's label as it is. */
function columnLabel(column) {
  if (column.startsWith("change: ")) return t("column_change_run", { run: column.slice(8) });
  return wordOr(`column_${column.replace(" %", "_pct")}`, column);
}

/** A value of a compare table as text: numbers grouped, shares as percent, KPIs named. */
function cell(column, value) {
  if (value === null || value === undefined) return "";
  if (column === "kpi") return wordOr(`kpi_${String(value).replace(/ /g, "_")}`, String(value));
  if (column === "status") return statusText(String(value));
  if (typeof value !== "number") return String(value);
  if (column === "change %" || column === "mip_gap") return percent(value);
  return number(value, Math.abs(value) < 10 && !Number.isInteger(value) ? 3 : 0);
}

function genericTable(rows, tableId) {
  if (!rows || !rows.length) return el("p", { class: "hint" }, "–");
  const columns = Object.keys(rows[0]).map((column) => [
    columnLabel(column),
    (row) => cell(column, row[column]),
    typeof rows[0][column] === "number" ? "num" : "",
  ]);
  return table(columns, rows, { id: tableId });
}

/** The overview with one column per run: easier to read side by side. */
function overviewTable(rows) {
  if (!rows || !rows.length) return el("p", { class: "hint" }, "–");
  const fields = Object.keys(rows[0]).filter((field) => field !== "run");
  const transposed = fields.map((field) => ({
    field: columnLabel(field),
    values: rows.map((row) => cell(field, row[field])),
  }));
  const columns = [["", (r) => r.field], ...rows.map((row, i) => [row.run, (r) => r.values[i], "wrap"])];
  return table(columns, transposed, { id: "overview-table" });
}

async function compare(ids) {
  const box = $("compare-error");
  box.hidden = true;
  try {
    const answer = await api(`/api/compare?runs=${ids.map(encodeURIComponent).join(",")}`);
    $("explanation").replaceChildren(...answer.explanation.map((line) => el("li", {}, line)));
    $("overview").replaceChildren(overviewTable(answer.tables.overview));
    $("kpi-table").replaceChildren(genericTable(answer.tables.kpis, "kpis-table"));
    for (const card of ["explanation-card", "overview-card", "kpis-card"]) $(card).hidden = false;
  } catch (error) {
    showError(box, error);
  }
}

async function main() {
  await start();
  const chosen = chosenFromAddress();
  try {
    await showPicker(chosen);
  } catch (error) {
    showError($("compare-error"), error);
  }
  $("go").addEventListener("click", () => {
    const ids = [...document.querySelectorAll("#pick input:checked")].map((b) => b.value);
    if (ids.length < 2) {
      showError($("compare-error"), new Error(t("select_two")));
      return;
    }
    const url = new URL(location.href);
    url.searchParams.set("runs", ids.join(","));
    history.replaceState(null, "", url.toString());
    compare(ids);
  });
  if (chosen.length >= 2) await compare(chosen);
}

main();
