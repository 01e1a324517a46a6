// The dashboard of fnkit-local: draws itself from the admin API (/_fnkit/...) and the live feed
// (/_fnkit/events, server-sent events). No framework and no build step; text from functions
// (payloads, log lines, errors) only ever reaches the page as text, never as markup.

const $ = (id) => document.getElementById(id);
const KEEP_ROWS = 300;
const KEEP_LOG_LINES = 200;

/** An element with attributes (`class`, `on<event>` handlers) and children (nodes or text). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Calls the admin API; a refusal throws its message. */
async function api(path, options = {}) {
  const response = await fetch(path, options);
  const text = await response.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON: kept as text */ }
  if (!response.ok) throw new Error((body && body.message) || text || response.statusText);
  return body;
}

const ms = (v) => (v === null || v === undefined ? "–" : `${Number(v).toFixed(2)} ms`);
const dollars = (v) => `$${Number(v || 0).toFixed(9)}`;
const clock = (epochMs) => new Date(epochMs).toLocaleTimeString([], { hour12: false }) + "." + String(epochMs % 1000).padStart(3, "0");
const badge = (text, kind = text) => el("span", { class: `badge ${kind}` }, text);
const replaceRows = (tableId, rows) => $(tableId).tBodies[0].replaceChildren(...rows);

const state = { functions: [], stats: new Map(), invocations: [], logs: new Map() };

// ---- the build -------------------------------------------------------------------------------

function showBuild(build) {
  const text = {
    serving: `serving build ${build.generation}`,
    building: `rebuilding (${(build.changed || []).join(", ")}); calls wait for it`,
    failed: `build failed; build ${build.generation} serves on`,
  }[build.state] || build.state;
  $("build").replaceChildren("build: ", badge(text, build.state === "serving" ? "ok" : build.state));
  $("build-errors").hidden = build.state !== "failed";
  $("build-errors-text").textContent = build.errors || "";
  if (build.state === "serving") refresh();
}

// ---- functions -------------------------------------------------------------------------------

function describeTrigger(t) {
  switch (t.type) {
    case "http": return `http ${t.method} ${t.path}`;
    case "queue": return `queue ${t.name}`;
    case "storage": return `storage ${t.bucket}${t.prefix ? "/" + t.prefix : ""} (${t.events || "created"})`;
    case "schedule": return t.cron ? `schedule cron ${t.cron}` : `schedule rate ${t.rate}`;
    default: return t.type;
  }
}

function showFunctions() {
  replaceRows("functions", state.functions.map((f) => {
    const s = state.stats.get(f.name) || {};
    return el("tr", {},
      el("th", { scope: "row" }, f.name),
      el("td", {}, f.url ? el("code", {}, f.url) : describeTrigger(f.trigger)),
      el("td", {}, `${f.timeout_secs} s, ${f.memory_mb} MB, ${f.concurrency} at once`),
      el("td", { class: "num" }, f.version),
      el("td", { class: "num" }, f.warm),
      el("td", { class: "num" }, f.in_flight),
      el("td", { class: "num" }, s.invocations ?? 0),
      el("td", { class: "num" }, s.errors ?? 0),
      el("td", { class: "num" }, ms(s.p50_ms)),
      el("td", { class: "num" }, dollars(s.cost_x86)));
  }));
  const select = $("invoke-function");
  const chosen = select.value;
  select.replaceChildren(...state.functions.map((f) => el("option", { value: f.name, selected: f.name === chosen }, f.name)));
}

// ---- invocations -----------------------------------------------------------------------------

function invocationRow(row, fresh) {
  const cold = row.init_ms !== null && row.init_ms !== undefined;
  return el("tr", { "data-request-id": row.request_id, class: fresh ? "new" : null },
    el("td", {}, el("button", { class: "link", type: "button", "aria-label": `Details of ${row.function} at ${clock(row.start_ms)}`, onclick: () => showDetail(row.request_id) }, clock(row.start_ms))),
    el("td", {}, row.function),
    el("td", {}, row.trigger),
    el("td", {}, badge(row.outcome), row.error_type ? ` ${row.error_type}` : ""),
    el("td", {}, cold ? `cold (init ${ms(row.init_ms)})` : "warm"),
    el("td", { class: "num" }, ms(row.duration_ms)),
    el("td", { class: "num" }, `${row.billed_ms} ms`),
    el("td", { class: "num" }, `${row.max_memory_mb}/${row.memory_mb} MB`),
    el("td", { class: "num" }, dollars(row.cost_x86)));
}

const key = (r) => `${r.request_id} ${r.start_ms}`;

function addInvocation(row) {
  if (state.invocations.some((r) => key(r) === key(row))) return;
  state.invocations.unshift(row);
  state.invocations.length = Math.min(state.invocations.length, KEEP_ROWS);
  const body = $("invocations").tBodies[0];
  body.prepend(invocationRow(row, true));
  while (body.rows.length > KEEP_ROWS) body.deleteRow(-1);
  state.live = true;
  $("latest").textContent = `Latest: ${row.function} ${row.outcome} in ${ms(row.duration_ms)} (${row.request_id})`;
  showCharts();
  soon(refresh);
}

function keepLog(event) {
  const id = event.request_id;
  if (!id) return;
  const lines = state.logs.get(id) || [];
  lines.push(event.line);
  if (lines.length > KEEP_LOG_LINES) lines.shift();
  state.logs.set(id, lines);
  if (state.logs.size > KEEP_ROWS) state.logs.delete(state.logs.keys().next().value);
}

function figures(r) {
  return [["outcome", `${r.outcome}${r.error_type ? " (" + r.error_type + ")" : ""}`], ["duration", ms(r.duration_ms)],
    ["billed", `${r.billed_ms} ms`], ["init", r.init_ms === null ? "– (warm)" : ms(r.init_ms)],
    ["memory", `${r.max_memory_mb} of ${r.memory_mb} MB`], ["cost (x86)", dollars(r.cost_x86)]];
}

const body = (text, size) => (text === null || text === undefined
  ? el("p", { class: "muted" }, size ? `${size} bytes, more than were recorded` : "not recorded")
  : el("pre", {}, text));

async function showDetail(id) {
  const section = $("detail");
  section.hidden = false;
  $("detail-body").replaceChildren(el("p", { class: "muted" }, "Loading…"));
  try {
    const r = await api(`/_fnkit/invocations/${encodeURIComponent(id)}`);
    // The lines the live feed brought are all of them; the recorded log holds what the worker
    // wrote before it answered (all there is for a call made before the page was opened).
    const live = state.logs.get(id) || [];
    const log = live.length ? live.join("\n") : r.log;
    const replay = el("button", { type: "button", onclick: () => replayIt(id, replay) }, "Replay on the current build");
    $("detail-h").textContent = `${r.function} · ${r.request_id}`;
    $("detail-body").replaceChildren(
      el("dl", {}, figures(r).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      el("h3", {}, "Request"), body(r.request, r.request_bytes),
      el("h3", {}, "Response"), body(r.response, r.response_bytes),
      el("h3", {}, "Log"), log ? el("pre", {}, log) : el("p", { class: "muted" }, "no lines"),
      replay, el("div", { id: "replay-result", "aria-live": "polite" }));
  } catch (e) {
    $("detail-body").replaceChildren(el("p", { role: "alert" }, String(e.message)));
  }
  $("detail-h").focus();
}

async function replayIt(id, button) {
  button.disabled = true;
  const out = $("replay-result");
  out.replaceChildren(el("p", { class: "muted" }, "Replaying…"));
  try {
    const both = await api(`/_fnkit/invocations/${encodeURIComponent(id)}/replay`, { method: "POST" });
    const rows = figures(both.original).map(([k, v], i) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, v), el("td", {}, figures(both.replay)[i][1])));
    const same = both.original.response !== null && both.original.response === both.replay.response;
    out.replaceChildren(
      el("h3", {}, `Replayed as ${both.replay.request_id}`),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", { scope: "col" }, "original"), el("th", { scope: "col" }, "replay"))), el("tbody", {}, rows)),
      el("div", { class: "sides" },
        el("div", {}, el("h3", {}, "Original response"), body(both.original.response, both.original.response_bytes)),
        el("div", {}, el("h3", {}, "Replay response"), body(both.replay.response, both.replay.response_bytes))),
      el("p", {}, same ? "The same response." : "The responses differ."));
  } catch (e) {
    out.replaceChildren(el("p", { role: "alert" }, String(e.message)));
  }
  button.disabled = false;
}

// ---- invoke ----------------------------------------------------------------------------------

async function invoke(event) {
  event.preventDefault();
  const name = $("invoke-function").value;
  const out = $("invoke-result");
  out.replaceChildren(el("p", { class: "muted" }, `Invoking ${name}…`));
  let response, text;
  try {
    response = await fetch(`/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
      method: "POST", headers: { "content-type": "application/json", "x-amz-log-type": "Tail" }, body: $("invoke-payload").value,
    });
    text = await response.text();
  } catch (e) {
    out.replaceChildren(el("p", { role: "alert" }, `The emulator did not answer: ${e.message}`));
    return;
  }
  const tail = response.headers.get("x-amz-log-result");
  const failed = response.headers.get("x-amz-function-error") || (!response.ok && response.status);
  out.replaceChildren(
    el("p", {}, failed ? badge(`failed: ${failed}`, "error") : badge("ok"), " ", response.headers.get("x-amzn-requestid") || ""),
    el("pre", {}, text),
    tail ? el("pre", {}, new TextDecoder().decode(Uint8Array.from(atob(tail), (c) => c.charCodeAt(0)))) : "");
}

// ---- charts ----------------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function line(values, kind) {
  if (values.length === 1) values = [values[0], values[0]]; // one call: a level line
  const top = Math.max(...values, 1e-12);
  const points = values.map((v, i) => `${(i / (values.length - 1)) * 100},${38 - (v / top) * 34}`);
  return svg("polyline", { class: kind, points: points.join(" "), "vector-effect": "non-scaling-stroke" });
}

function showCharts() {
  const byFunction = new Map();
  for (const r of [...state.invocations].reverse()) {
    if (r.outcome === "throttled") continue;
    const series = byFunction.get(r.function) || [];
    series.push(r);
    byFunction.set(r.function, series.slice(-60));
  }
  $("charts").replaceChildren(...[...byFunction].sort().map(([name, rows]) => {
    const durations = rows.map((r) => r.duration_ms);
    let total = 0;
    const spent = rows.map((r) => (total += r.cost_x86));
    const label = `${name}: the last ${rows.length} calls took ${ms(Math.min(...durations))} to ${ms(Math.max(...durations))} and cost ${dollars(total)}`;
    return el("figure", { class: "chart" },
      svg("svg", { viewBox: "0 0 100 40", preserveAspectRatio: "none", role: "img", "aria-label": label },
        svg("title", {}, label), line(durations, "duration"), line(spent, "cost")),
      el("figcaption", {}, `${name}: duration (solid, up to ${ms(Math.max(...durations))}), cost so far (dashed, ${dollars(total)})`));
  }));
}

// ---- queues, buckets, schedules, executions ------------------------------------------------

/** Runs a button's action; a refusal is said beside the button instead of thrown. */
async function act(button, action) {
  button.disabled = true;
  try {
    await action();
    button.removeAttribute("title");
  } catch (e) {
    button.title = e.message;
    button.after(el("span", { role: "alert", class: "muted" }, ` ${e.message}`));
  }
  button.disabled = false;
}

const triggers = (kind) => state.functions.map((f) => f.trigger).filter((t) => t.type === kind);

async function showQueues() {
  const names = [...new Set(triggers("queue").map((q) => q.name))];
  const rows = await Promise.all(names.map(async (name) => {
    const q = await api(`/_fnkit/queues/${encodeURIComponent(name)}`).catch(() => ({}));
    const redrive = el("button", { type: "button", disabled: !q.dlq_depth, onclick: (e) => act(e.currentTarget, async () => { await api(`/_fnkit/queues/${encodeURIComponent(name)}/dlq/redrive`, { method: "POST" }); showQueues(); }) }, `Redrive ${name}'s dead letters`);
    return el("tr", {}, el("th", { scope: "row" }, name), el("td", { class: "num" }, q.depth ?? "–"), el("td", { class: "num" }, q.delayed ?? "–"),
      el("td", { class: "num" }, q.in_flight ?? "–"), el("td", { class: "num" }, q.dlq_depth ?? "–"), el("td", {}, redrive));
  }));
  replaceRows("queues", rows.length ? rows : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No queue functions."))]);
}

async function showBuckets() {
  const names = [...new Set(triggers("storage").map((s) => s.bucket))];
  const parts = await Promise.all(names.map(async (name) => {
    const listed = await api(`/_fnkit/buckets/${encodeURIComponent(name)}`).catch(() => ({ objects: [] }));
    const objects = listed.objects.slice(0, 20);
    return el("div", {}, el("h3", {}, `${name} (${listed.objects.length} objects)`),
      objects.length ? el("ul", {}, objects.map((o) => el("li", {}, el("code", {}, o.key), ` ${o.size} bytes`))) : el("p", { class: "muted" }, "empty"));
  }));
  $("buckets").replaceChildren(...(parts.length ? parts : [el("p", { class: "muted" }, "No storage functions.")]));
}

async function showSchedules() {
  const list = await api("/_fnkit/schedules").catch(() => []);
  replaceRows("schedules", list.length ? list.map((s) => el("tr", {},
    el("th", { scope: "row" }, s.function), el("td", {}, el("code", {}, s.schedule)),
    el("td", {}, s.next ? new Date(s.next).toLocaleString() : "off (--no-schedules)"),
    el("td", {}, el("button", { type: "button", onclick: (e) => act(e.currentTarget, () => api(`/_fnkit/schedules/${encodeURIComponent(s.function)}`, { method: "POST" })) }, `Fire ${s.function} now`))))
    : [el("tr", {}, el("td", { colspan: 4, class: "muted" }, "No scheduled functions."))]);
}

/** Epoch milliseconds of a durable API time (the REST API writes seconds, the envelope ms). */
const epochMs = (v) => (v === null || v === undefined ? null : Math.round(v < 1e11 ? v * 1000 : v));

async function showExecutions() {
  const { executions = [] } = await api("/_fnkit/executions?limit=20").catch(() => ({}));
  replaceRows("executions", executions.length ? executions.map((x) => el("tr", {},
    el("th", { scope: "row" }, x.DurableExecutionName), el("td", {}, x.FunctionArn.split(":function:")[1]), el("td", {}, badge(x.Status)),
    el("td", {}, clock(epochMs(x.StartTimestamp))),
    el("td", {}, el("button", { type: "button", "aria-label": `Timeline of ${x.DurableExecutionName}`, onclick: (e) => act(e.currentTarget, () => showExecution(x.DurableExecutionArn)) }, "Timeline"))))
    : [el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No durable executions yet."))]);
}

async function showExecution(arn) {
  const x = await api(`/_fnkit/executions/${encodeURIComponent(arn)}`);
  const start = epochMs(x.StartTimestamp);
  const ops = x.Operations || [];
  const end = Math.max(epochMs(x.EndTimestamp) || Date.now(), ...ops.map((o) => epochMs(o.EndTimestamp || o.StartTimestamp) || start));
  const span = Math.max(Math.round(end - start), 1);
  const items = ops.map((o) => {
    const from = Math.round((epochMs(o.StartTimestamp) || start) - start);
    const to = Math.round((epochMs(o.EndTimestamp) || end) - start);
    const bar = el("span", { class: `bar ${o.Status}` });
    bar.style.left = `${(from / span) * 100}%`;
    bar.style.width = `${((to - from) / span) * 100}%`;
    return el("li", {}, el("span", {}, `${o.Type} ${o.Name || o.Id} `, badge(o.Status)),
      el("span", { class: "track", role: "img", "aria-label": `from ${from} ms to ${to} ms` }, bar));
  });
  $("execution").replaceChildren(el("h3", {}, `${x.DurableExecutionName}: ${x.Status}, ${ops.length} operations over ${span} ms`),
    el("ol", { class: "timeline" }, items));
}

// ---- refreshing ------------------------------------------------------------------------------

let pending = null;
function soon(fn) {
  if (pending) return;
  pending = setTimeout(() => { pending = null; fn(); }, 500);
}

let refreshing = false;
async function refresh() {
  if (refreshing) return; // the one under way will show the newest state
  refreshing = true;
  try {
    const [functions, stats] = await Promise.all([api("/_fnkit/functions"), api("/_fnkit/stats")]);
    state.functions = functions;
    state.stats = new Map(stats.map((s) => [s.function, s]));
    showFunctions();
    await Promise.all([showQueues(), showBuckets(), showSchedules(), showExecutions()]);
  } catch (e) {
    $("connection").textContent = `cannot reach the emulator: ${e.message}`;
  } finally {
    refreshing = false;
  }
}

function connect() {
  const events = new EventSource("/_fnkit/events");
  events.onopen = () => { $("connection").textContent = "live"; };
  events.onerror = () => { $("connection").textContent = "reconnecting…"; };
  events.addEventListener("build", (e) => showBuild(JSON.parse(e.data)));
  events.addEventListener("invocation", (e) => addInvocation(JSON.parse(e.data)));
  events.addEventListener("log", (e) => keepLog(JSON.parse(e.data)));
  events.addEventListener("lagged", (e) => { $("latest").textContent = `${e.data} events were missed; the table may be incomplete.`; });
}

async function start() {
  $("invoke-form").addEventListener("submit", invoke);
  connect(); // first, so nothing recorded while the page loads is missed
  await refresh();
  const rows = await api("/_fnkit/invocations?limit=100").catch(() => []);
  const seen = new Set(state.invocations.map(key));
  state.invocations.push(...rows.filter((r) => !seen.has(key(r))));
  state.invocations.sort((a, b) => b.start_ms - a.start_ms);
  replaceRows("invocations", state.invocations.map((r) => invocationRow(r, false)));
  if (state.invocations.length && !state.live) $("latest").textContent = `${state.invocations.length} recent invocations; new ones appear as they happen.`;
  showCharts();
  setInterval(refresh, 5000);
}

start();
