// Drives fnkit-local's dashboard in a real headless Chromium (Debian's), as a user would: loads
// the page, fires invocations from outside and sees them arrive live, opens one, replays it,
// invokes from the page's form, checks the page's accessible names, labels and keyboard focus,
// and saves a screenshot. Fails on any console error (a blocked script or style is one).
// Usage: node check.mjs BASE_URL OUT_DIR
import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";

const [base, out] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const WAIT = { timeout: 30_000 };

function check(condition, message) {
  if (!condition) throw new Error(`dashboard check failed: ${message}`);
  console.log(`ok: ${message}`);
}

async function post(path, body, headers = {}) {
  const r = await fetch(base + path, { method: "POST", body, headers });
  return { status: r.status, id: r.headers.get("x-amzn-requestid"), text: await r.text() };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const problems = [];
let weight = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(`${base}/_fnkit/`);
  await page.getByText("live", { exact: true }).waitFor(WAIT);
  check(true, "the page loads and its live feed connects");
  await page.locator("#functions tbody tr").first().waitFor(WAIT);
  check(await page.locator("#functions tbody th", { hasText: "echo" }).count() === 1, "the functions table lists echo");
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.className === "skip"), "Tab reaches the skip link first");
  await page.keyboard.press("Enter");
  check(await page.evaluate(() => document.activeElement.id === "invocations-h"), "the skip link moves focus to the invocations");

  // An invocation from outside appears, live, with its REPORT figures.
  const call = await post("/2015-03-31/functions/echo/invocations", JSON.stringify({ dashboard: "check", markup: "<img src=x id=injected>" }));
  check(call.status === 200 && call.id, `echo answered (${call.status})`);
  const row = page.locator(`#invocations tr[data-request-id="${call.id}"]`);
  await row.waitFor(WAIT);
  const cells = await row.locator("td").allInnerTexts();
  check(cells[1] === "echo" && cells[3].startsWith("ok") && /cold|warm/.test(cells[4]) && cells[5].endsWith("ms"),
    `its row shows function, outcome, cold/warm and duration: ${cells.join(" | ")}`);

  // A failed call shows as one, with its error type.
  const failed = await post("/2015-03-31/functions/fail/invocations", "{}");
  const failedRow = page.locator(`#invocations tr[data-request-id="${failed.id}"]`);
  await failedRow.waitFor(WAIT);
  const outcome = await failedRow.locator("td").nth(3).innerText();
  check(outcome === "error OrderRejected", `a failed call shows its outcome and error type (${outcome})`);

  // A failure from a queue batch, and a storage event, arrive too.
  await post("/_fnkit/queues/orders/messages", JSON.stringify([{ qty: 1 }, { qty: 0 }]));
  await fetch(`${base}/_fnkit/buckets/uploads/images/dashboard.png`, { method: "PUT", body: "png" });
  await page.locator("#invocations td", { hasText: /^orders$/ }).first().waitFor(WAIT);
  check(true, "a queue batch's invocation appears");

  // Its details: the recorded payload and log; then a replay, side by side.
  await row.getByRole("button").click();
  await page.locator("#detail-body pre", { hasText: '"dashboard":"check"' }).first().waitFor(WAIT);
  check(await page.locator("#detail-body pre", { hasText: "REPORT RequestId" }).count() === 1, "its details show the recorded request, response and log");
  check(await page.locator("#injected").count() === 0 && await page.locator("#detail-body pre", { hasText: "<img src=x id=injected>" }).count() > 0,
    "markup in a payload is shown as text, never made into elements");
  check(await page.locator("#detail-h").evaluate((h) => document.activeElement === h), "opening details moves focus to them");
  await page.getByRole("button", { name: "Replay on the current build" }).click();
  await page.getByText(/^Replayed as /).waitFor(WAIT);
  check(await page.getByText("The same response.").count() === 1, "the replay shows the same response beside the original");

  // The form invokes, with the response and the log's tail.
  await page.getByLabel("Function", { exact: true }).selectOption("echo");
  await page.getByLabel("Payload (the event, JSON)").fill('{"from":"the form"}');
  await page.getByRole("button", { name: "Invoke", exact: true }).click();
  await page.locator("#invoke-result pre", { hasText: "REPORT RequestId" }).waitFor(WAIT);
  check(await page.locator("#invoke-result pre", { hasText: '{"from":"the form"}' }).count() === 1, "the form's invocation answers with its response and REPORT line");

  // Accessibility: every control has a label or a name; the keyboard reaches the skip link first.
  const unnamed = await page.evaluate(() => [...document.querySelectorAll("button, select, textarea, input, a")]
    .filter((e) => !(e.labels && e.labels.length) && !(e.getAttribute("aria-label") || e.textContent.trim()))
    .map((e) => e.outerHTML.slice(0, 80)));
  check(unnamed.length === 0, `every control has an accessible name (${unnamed.join(", ")})`);
  const headers = await page.evaluate(() => [...document.querySelectorAll("table")].every((t) => t.querySelector("th")));
  check(headers, "every table has header cells");

  // Queues, schedules, buckets show their state.
  await page.locator("#queues th", { hasText: "orders" }).waitFor(WAIT);
  await page.locator("#buckets code", { hasText: "images/dashboard.png" }).waitFor(WAIT);
  check(await page.getByRole("button", { name: "Fire tick now" }).count() === 1, "the schedule has its fire-now button");

  // The page's own weight: its HTML, script and style, as the browser decoded them.
  weight = await page.evaluate(() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
    .filter((e) => e.initiatorType === "navigation" || e.name.includes("/_fnkit/ui/"))
    .reduce((sum, e) => sum + e.decodedBodySize, 0));
  // A durable execution's operations, as a timeline.
  await post("/2015-03-31/functions/three:live/invocations", "5", { "x-amz-invocation-type": "Event" });
  await page.locator("#executions .badge", { hasText: "SUCCEEDED" }).first().waitFor(WAIT);
  await page.getByRole("button", { name: /^Timeline of / }).first().click();
  await page.locator(".timeline li", { hasText: "STEP b" }).waitFor(WAIT);
  const steps = await page.locator(".timeline li").allInnerTexts();
  check(steps.length === 4 && /WAIT w/.test(steps[2]), `the execution's timeline lists its operations (${steps.map((s) => s.split("\n")[0]).join(", ")})`);

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${out}/dashboard.png`, fullPage: true });
  check(problems.length === 0, `no console errors (${problems.join("; ")})`);
  writeFileSync(`${out}/weight.txt`, `${weight}\n`);
  console.log(`page weight: ${weight} bytes (HTML, script and style); screenshot: ${out}/dashboard.png`);
} finally {
  await browser.close();
}
