// The scenario page: choose a scenario (the Guizhou ones first), change what to try, run it;
// the latest runs, to follow, open or compare.
import { api, el, number, showError, start, statusText, t, table } from "./common.js";

const $ = (id) => document.getElementById(id);

async function loadScenarios() {
  const select = $("scenario");
  const scenarios = await api("/api/scenarios");
  select.replaceChildren();
  for (const scenario of scenarios) {
    const origin = scenario.source === "uploaded" ? t("uploaded") : t("bundled");
    select.append(el("option", { value: scenario.name }, `${scenario.name} (${origin})`));
  }
}

/** The number in a field, or null when it is empty; an Error naming the field otherwise. */
function numberField(id, labelKey) {
  const input = $(id);
  const text = input.value.trim();
  if (text === "") return null;
  const value = Number(text);
  if (!Number.isFinite(value) || input.validity.badInput) {
    throw new Error(t("bad_number", { field: t(labelKey), value: text }));
  }
  return value;
}

function ids(id) {
  return $(id)
    .value.split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function scaleRules() {
  const rules = {};
  const lines = $("scale").value.split("\n");
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    const match = line.match(/^\s*([\w]+\.[\w]+)\s*[=:]\s*x?\s*([0-9.eE+-]+)\s*$/);
    if (!match || !Number.isFinite(Number(match[2]))) {
      throw new Error(t("bad_scale", { line: index + 1 }));
    }
    rules[match[1]] = Number(match[2]);
  });
  return rules;
}

/** The request of the form: {scenario, overrides, time_limit}. */
export function request() {
  const overrides = {};
  const total = numberField("target-total", "target_total");
  const co2 = numberField("target-co2", "target_co2");
  if (total !== null || co2 !== null) {
    overrides.target = {};
    if (total !== null) overrides.target.total = Math.round(total * 1e6);
    if (co2 !== null) overrides.target.co2_avoided = Math.round(co2 * 1e6);
  }
  const most = numberField("max-projects", "max_projects");
  const budget = numberField("capex-budget", "capex_budget");
  if (most !== null || budget !== null) {
    overrides.limits = {};
    if (most !== null) overrides.limits.max_new_facilities = most;
    if (budget !== null) overrides.limits.capex_budget = budget * 1e6;
  }
  const changes = {};
  const forbid = ids("forbid");
  const force = ids("force-build");
  const scale = scaleRules();
  if (forbid.length) changes.forbid = forbid;
  if (force.length) changes.force_build = force;
  if (Object.keys(scale).length) changes.scale = scale;
  if (Object.keys(changes).length) overrides.overrides = changes;
  const gap = numberField("mip-gap", "mip_gap");
  if (gap !== null) overrides.solver = { mip_rel_gap: gap };
  const body = { scenario: $("yaml").value.trim() || $("scenario").value, overrides };
  const limit = numberField("time-limit", "time_limit");
  if (limit !== null) body.time_limit = limit;
  return body;
}

async function submit(event) {
  event.preventDefault();
  const box = $("form-error");
  box.hidden = true;
  const button = $("submit");
  let body;
  try {
    body = request();
  } catch (error) {
    showError(box, error);
    return;
  }
  button.disabled = true;
  button.textContent = t("submitting");
  try {
    const answer = await api("/api/runs", { method: "POST", json: body });
    location.assign(`/runs/${encodeURIComponent(answer.id)}`);
  } catch (error) {
    showError(box, error);
    button.disabled = false;
    button.textContent = t("run");
  }
}

function runLink(run) {
  const done = run.status === "done" || (run.status === "cancelled" && run.result);
  const path = `/runs/${encodeURIComponent(run.id)}${done ? "/result" : ""}`;
  return el("a", { href: path }, run.id);
}

async function loadRuns() {
  const box = $("runs");
  $("runs-error").hidden = true;
  try {
    const runs = await api("/api/runs?limit=50");
    if (!runs.length) {
      box.replaceChildren(el("p", { class: "hint" }, t("no_runs")));
      return;
    }
    box.replaceChildren(
      table(
        [
          ["", (run) => el("input", { type: "checkbox", value: run.id, "aria-label": run.id, disabled: run.result ? null : "disabled" })],
          [t("id"), runLink],
          [t("name"), (run) => run.name],
          [t("status"), (run) => el("span", { class: `status status-${run.status}` }, statusText(run.status))],
          [t("result"), (run) => (run.result ? statusText(run.result) : "")],
          [t("gap"), (run) => (run.gap === null ? "" : `${number(run.gap * 100, 2)} %`), "num"],
          [t("created"), (run) => (run.created || "").replace("T", " ").slice(0, 19)],
        ],
        runs,
        { id: "runs-table" },
      ),
    );
  } catch (error) {
    showError($("runs-error"), error);
  }
}

function compareSelected() {
  const chosen = [...document.querySelectorAll("#runs-table input:checked")].map((box) => box.value);
  if (chosen.length < 2) {
    showError($("runs-error"), new Error(t("select_two")));
    return;
  }
  location.assign(`/compare?runs=${chosen.map(encodeURIComponent).join(",")}`);
}

async function readFile() {
  const file = $("yaml-file").files[0];
  if (file) $("yaml").value = await file.text();
}

async function main() {
  await start();
  $("run-form").addEventListener("submit", submit);
  $("refresh").addEventListener("click", loadRuns);
  $("compare").addEventListener("click", compareSelected);
  $("yaml-file").addEventListener("change", readFile);
  try {
    await loadScenarios();
  } catch (error) {
    showError($("form-error"), error);
  }
  await loadRuns();
}

main();
