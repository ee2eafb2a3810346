// The run page: status, stage, gap and incumbent as the run goes (server-sent events of
// GET /api/runs/{id}/events; polling GET /api/runs/{id} every second when a token is needed,
// which an EventSource cannot send, or when the events stop), a cancel button (DELETE: the
// best solution found is kept), and the way to the result when there is one.
import {
  api, el, moneyPerYear, percent, runIdFromPath, showError, stageText, start, statusText, t,
} from "./common.js";

const $ = (id) => document.getElementById(id);
const STAGES = ["read", "network", "model data", "build model", "solve", "results", "write"];
const FINISHED = new Set(["done", "failed", "cancelled"]);
const POLL_MS = 1000;

const id = runIdFromPath();
const seen = [];

function drawStages(stage, status) {
  if (stage && !seen.includes(stage)) seen.push(stage);
  const shown = [...STAGES];
  for (const extra of seen) if (!shown.includes(extra)) shown.splice(shown.indexOf("write"), 0, extra);
  const at = stage ? shown.indexOf(stage) : -1;
  const list = $("stages");
  list.replaceChildren(
    ...shown.map((name, index) => {
      let cls = "";
      if (status === "done" || index < at) cls = "past";
      else if (index === at) cls = status === "running" ? "current" : "past";
      return el("li", { class: cls, "data-stage": name }, stageText(name));
    }),
  );
  const share = status === "done" ? 1 : at < 0 ? 0 : (at + 0.5) / shown.length;
  $("progress-bar").style.width = `${Math.round(share * 100)}%`;
}

function seconds(job) {
  if (!job.started) return null;
  const end = job.finished ? Date.parse(job.finished) : Date.now();
  return Math.max(0, (end - Date.parse(job.started)) / 1000);
}

function show(job) {
  $("run-name").textContent = job.name;
  const badge = $("run-status");
  badge.textContent = statusText(job.status) + (job.result ? ` · ${statusText(job.result)}` : "");
  badge.className = `status status-${job.status}`;
  badge.dataset.status = job.status;
  drawStages(job.stage, job.status);
  $("stage").textContent = job.stage ? stageText(job.stage) : "–";
  $("gap").textContent = percent(job.gap);
  $("incumbent").textContent = moneyPerYear(job.incumbent);
  $("bound").textContent = moneyPerYear(job.bound);
  const elapsed = seconds(job);
  $("elapsed").textContent = elapsed === null ? "–" : `${Math.round(elapsed)} ${t("unit_s")}`;
  $("run-note").textContent =
    job.status === "queued" ? t("waiting") : job.cancel_requested && !FINISHED.has(job.status) ? t("cancelling") : "";
  $("cancel").hidden = FINISHED.has(job.status);
  const hasResult = job.result && job.status !== "failed";
  const link = $("show-result");
  link.hidden = !hasResult;
  if (hasResult) link.setAttribute("href", `/runs/${encodeURIComponent(job.id)}/result`);
  if (job.error || (job.problems && job.problems.length)) {
    showError($("run-error"), { message: job.error || t("problems"), problems: job.problems });
  }
}

async function poll() {
  try {
    const job = await api(`/api/runs/${encodeURIComponent(id)}`);
    show(job);
    if (!FINISHED.has(job.status)) setTimeout(poll, POLL_MS);
  } catch (error) {
    showError($("run-error"), error);
    if (error.status !== 404 && error.status !== 401) setTimeout(poll, 3 * POLL_MS);
  }
}

/** Follow the run by its events; false when it cannot (a token is needed). */
function follow() {
  if (!window.EventSource || sessionStorage.getItem("symbiosis-token")) return false;
  const source = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
  source.onmessage = (message) => show(JSON.parse(message.data));
  source.addEventListener("end", (message) => {
    source.close();
    show(JSON.parse(message.data));
  });
  source.onerror = () => {
    // the stream broke (a proxy, the server restarting): poll instead
    source.close();
    poll();
  };
  return true;
}

async function cancel() {
  $("cancel").disabled = true;
  try {
    show(await api(`/api/runs/${encodeURIComponent(id)}`, { method: "DELETE" }));
  } catch (error) {
    showError($("run-error"), error);
    $("cancel").disabled = false;
  }
}

async function main() {
  await start();
  $("run-id").textContent = id;
  $("cancel").addEventListener("click", cancel);
  drawStages(null, "queued");
  if (!follow()) await poll();
}

main();
