// The result page: KPIs of summary.json, the map (flows coloured by stream, line width by
// amount; the projects built highlighted; existing plants; the province outline), the table of
// projects built and the files of the run folder to download.
/* global L */
import {
  api, downloadLink, el, localName, money, moneyPerYear, number, percent, runIdFromPath, showError, start,
  statusText, t, table, tonnesPerYear,
} from "./common.js";

const $ = (id) => document.getElementById(id);
const id = runIdFromPath();
const base = `/api/runs/${encodeURIComponent(id)}`;
const PX_PER_MM = 96 / 25.4;

function kpi(label, value) {
  return el("div", { class: "kpi" }, null, [
    el("div", { class: "label" }, label),
    el("div", { class: "value" }, value),
  ]);
}

/** A target's name in words: the total, a stream by its name (`streams`: map.json's, by
 * id), a prefecture; of a year in multi-year runs (`total@2027`). */
function targetName(name, streams) {
  const [base, year] = String(name).split("@");
  let words = base;
  if (base === "total") words = t("target_name_total");
  else if (base.startsWith("prefecture:")) words = t("target_name_prefecture", { name: base.slice(11) });
  else if (streams[base]) words = localName(streams[base]) || base;
  return year ? t("target_name_year", { target: words, year }) : words;
}

function showKpis(summary, streams = {}) {
  $("run-name").textContent = summary.name;
  const badge = $("run-status");
  badge.textContent = statusText(summary.status);
  badge.className = `status status-${summary.status === "optimal" || summary.status === "feasible" ? "done" : "failed"}`;
  const cards = [
    kpi(t("total_cost"), moneyPerYear(summary.objective)),
    kpi(t("delivered_target"), tonnesPerYear(summary.delivered_target_t)),
    kpi(t("co2_avoided"), tonnesPerYear(summary.co2_avoided_t)),
    kpi(t("capex_built"), money(summary.capex_built)),
    kpi(t("projects_built"), number((summary.built || []).length)),
    kpi(t("gap"), percent(summary.mip_gap)),
  ];
  for (const target of summary.targets || []) {
    cards.push(
      kpi(
        `${t("targets_met")}: ${targetName(target.name, streams)}`,
        `${tonnesPerYear(target.delivered)} (${target.met ? t("met") : t("not_met")})`,
      ),
    );
  }
  $("kpis").replaceChildren(...cards);
}

function streamInfo(mapInfo) {
  const info = {};
  for (const s of mapInfo.streams || []) info[s.stream] = s;
  return info;
}

/** Popup content built as elements: every value is text. */
function popup(rows) {
  const box = el("div");
  for (const [label, value] of rows) {
    box.append(el("div", {}, null, [el("b", {}, `${label}: `), document.createTextNode(String(value ?? ""))]));
  }
  return box;
}

function drawMap(flows, facilities, mapInfo) {
  // no attribution control: its prefix links to Leaflet's site, and the page links nowhere
  const map = L.map("map", { preferCanvas: false, zoomSnap: 0.25, attributionControl: false });
  const streams = streamInfo(mapInfo);
  const groups = [];
  if (mapInfo.province) {
    const outline = L.geoJSON(mapInfo.province, {
      style: { color: "#6b7b88", weight: 1.2, fillColor: "#f3f1ea", fillOpacity: 1 },
      interactive: false,
    }).addTo(map);
    groups.push(outline);
  }
  const lines = L.geoJSON(flows, {
    style: (feature) => {
      const p = feature.properties;
      return {
        color: (streams[p.stream] || {}).colour || "#555555",
        weight: Math.max(1, (p.width_mm || 0.5) * PX_PER_MM),
        opacity: 0.8,
        className: `flow flow-${p.stream}`,
      };
    },
    onEachFeature: (feature, layer) => {
      const p = feature.properties;
      const stream = streams[p.stream];
      layer.bindPopup(() =>
        popup([
          [t("from"), localName(p, "from_name") || p.from_site],
          [t("to"), localName(p, "facility_name") || p.facility],
          [t("legend"), stream ? localName(stream) : p.stream],
          [t("shipped"), `${number(p.shipped_yr)} ${p.unit}`],
          [t("mode"), p.mode],
        ]),
      );
    },
  }).addTo(map);
  groups.push(lines);
  const shown = facilities.features.filter((f) => f.properties.state === "built" || f.properties.state === "existing");
  // existing plants first, the projects built on top
  shown.sort((a, b) => (a.properties.state === "built") - (b.properties.state === "built"));
  const points = L.geoJSON(
    { type: "FeatureCollection", features: shown },
    {
      pointToLayer: (feature, latlng) => {
        const built = feature.properties.state === "built";
        return L.circleMarker(latlng, {
          radius: built ? 8 : 4,
          color: built ? "#000000" : "#1a3a6b",
          weight: built ? 2 : 1,
          fillColor: built ? "#c51b7d" : "#4575b4",
          fillOpacity: built ? 0.95 : 0.8,
          className: built ? "facility-built" : "facility-existing",
        });
      },
      onEachFeature: (feature, layer) => {
        const p = feature.properties;
        layer.bindPopup(() =>
          popup([
            [t("project"), `${localName(p)} (${p.facility})`],
            [t("tech"), p.tech],
            [t("prefecture"), p.prefecture],
            [t("intake"), `${number(p.intake_yr)} ${p.unit}`],
            [t("capex"), money(p.capex_cny)],
          ]),
        );
      },
    },
  ).addTo(map);
  groups.push(points);
  const bounds = L.featureGroup(groups).getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  else map.setView([26.8, 106.7], 7);
  L.control.scale({ imperial: false }).addTo(map);
  $("flows-count").textContent = t("flows_count", { n: number(flows.features.length) });
  return streams;
}

function drawLegend(flows, streams) {
  const used = new Set(flows.features.map((f) => f.properties.stream));
  const rows = [];
  for (const [stream, info] of Object.entries(streams)) {
    if (!used.has(stream)) continue;
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = info.colour;
    rows.push(el("div", { class: "row" }, null, [swatch, el("span", {}, `${localName(info)} (${info.unit})`)]));
  }
  rows.push(el("div", { class: "row" }, null, [el("span", { class: "dot built" }), el("span", {}, t("built_projects"))]));
  rows.push(el("div", { class: "row" }, null, [el("span", { class: "dot existing" }), el("span", {}, t("existing_plants"))]));
  $("legend").replaceChildren(...rows);
}

function showProjects(facilities) {
  const built = facilities.features
    .map((f) => f.properties)
    .filter((p) => p.state === "built")
    .sort((a, b) => (b.capex_cny || 0) - (a.capex_cny || 0));
  $("projects").replaceChildren(
    table(
      [
        [t("project"), (p) => p.facility],
        [t("name"), (p) => localName(p)],
        [t("tech"), (p) => p.tech],
        [t("prefecture"), (p) => p.prefecture],
        [t("capacity"), (p) => `${number(p.capacity_yr)} ${p.unit}`, "num"],
        [t("intake"), (p) => `${number(p.intake_yr)} ${p.unit}`, "num"],
        [t("capex"), (p) => money(p.capex_cny), "num"],
        [t("co2_avoided_yr"), (p) => number(p.co2_avoided_t_yr), "num"],
      ],
      built,
      { id: "projects-table" },
    ),
  );
}

async function showDownloads() {
  const files = await api(`${base}/files`);
  $("downloads").replaceChildren(
    ...files.map((name) =>
      el("li", {}, null, [downloadLink(`${base}/download/${encodeURIComponent(name)}`, name)]),
    ),
  );
}

async function main() {
  await start();
  const box = $("result-error");
  try {
    const summary = await api(`${base}/summary`);
    showKpis(summary);
    const [flows, facilities, mapInfo] = await Promise.all([
      api(`${base}/flows.geojson`),
      api(`${base}/facilities.geojson`),
      api(`${base}/map.json`),
    ]);
    showKpis(summary, streamInfo(mapInfo)); // again: the targets' streams by their names
    const streams = drawMap(flows, facilities, mapInfo);
    drawLegend(flows, streams);
    showProjects(facilities);
    await showDownloads();
  } catch (error) {
    showError(box, error.status === 404 ? new Error(`${t("no_result")} ${error.detail}`) : error);
  }
}

main();
