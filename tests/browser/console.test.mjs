// Browser tests of the staff console, as a welfare worker uses it: Debian's Chromium driven by
// playwright-core (no browser download), axe-core on every page. The Rust harness starts the
// suite and passes, in the environment:
//
//   SUITE_URL                       e.g. http://127.0.0.1:PORT (the console is served at `/`,
//                                   or at CONSOLE_URL when given)
//   WORKER_USER / WORKER_PASSWORD   a welfare-centre worker of jungang-dong
//   OTHER_USER / OTHER_PASSWORD     a welfare-centre worker of seongnam-dong
//   PENDANT_ID / PENDANT_SECRET     an HTTP pendant of a jungang-dong resident
//   CASE_DONG                       the dong with a crisis case in the latest scoring cycle
//   SCREENSHOT_DIR                  where board.png, incident.png and stats.png go (optional)
//   CHROMIUM                        the browser (default /usr/bin/chromium)
//
// Each test asserts what a person sees; they run in order and share one signed-in page.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} must be set (the Rust harness sets it)`);
  return v;
};

const SUITE_URL = env("SUITE_URL").replace(/\/+$/, "");
const CONSOLE_URL = process.env.CONSOLE_URL ?? `${SUITE_URL}/`;
const WORKER = { user: env("WORKER_USER"), password: env("WORKER_PASSWORD") };
const OTHER = { user: env("OTHER_USER"), password: env("OTHER_PASSWORD") };
const PENDANT = { id: env("PENDANT_ID"), secret: env("PENDANT_SECRET") };
const CASE_DONG = env("CASE_DONG", "jungang-dong");
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;

/** The one message for any refused sign-in (unknown user or wrong password alike). */
const SIGN_IN_FAILED = "아이디 또는 비밀번호가 올바르지 않습니다.";
/** How long a new incident may take to reach the board (DESIGN.md §9: within 5 s). */
const NEW_INCIDENT_MS = 5000;

let browser;
let context;
let page;
/** What the tests create and later check another dong cannot see. */
const made = { incidentId: "", residentId: "", residentName: "", caseId: "" };
const dialogs = [];
const cspViolations = [];
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context = await newContext();
  page = await context.newPage();
  watch(page);
  if (SCREENSHOT_DIR) mkdirSync(SCREENSHOT_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
});

function newContext() {
  return browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: "ko-KR",
    timezoneId: "Asia/Seoul",
  });
}

/** Records dialogs (an injected alert would open one), CSP refusals and script errors. */
function watch(p) {
  p.on("dialog", async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  p.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Content-Security-Policy/i.test(text)) cspViolations.push(text);
  });
  p.on("pageerror", (e) => pageErrors.push(String(e)));
}

/** axe-core on the page as it is now: no serious or critical violation (printed if any). */
async function checkA11y(p, where) {
  const result = await new AxeBuilder({ page: p }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    for (const v of bad) {
      console.error(`axe ${where}: [${v.impact}] ${v.id}: ${v.help}`);
      for (const n of v.nodes.slice(0, 5)) console.error(`    ${n.target.join(" ")} — ${n.failureSummary}`);
    }
  }
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact})`),
    [],
    `axe found serious or critical violations on ${where}`,
  );
}

async function screenshot(p, name) {
  if (SCREENSHOT_DIR) await p.screenshot({ path: join(SCREENSHOT_DIR, name) });
}

/** Goes to a console route, e.g. `#/stats`. */
async function go(p, hash) {
  const url = new URL(CONSOLE_URL);
  url.hash = hash;
  await p.goto(url.toString());
}

async function signIn(p, who) {
  await go(p, "#/board");
  await p.getByLabel("아이디").fill(who.user);
  await p.getByLabel("비밀번호").fill(who.password);
  await p.getByTestId("sign-in-submit").click();
  await p.getByRole("heading", { level: 1, name: "사건 상황판" }).waitFor({ timeout: 10000 });
  // The first poll answered: whatever opens from now on is new to the board.
  await p.getByTestId("board-status").filter({ hasText: "마지막 갱신" }).waitFor({ timeout: 10000 });
}

/** JSON from the API with the page's own session (same origin, cookie, CSRF not needed for GET). */
function apiGet(p, path) {
  return p.evaluate(async (path) => {
    const r = await fetch(path, { credentials: "same-origin" });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, path);
}

/** Presses the pendant: a signed device event, exactly as a device (or the bridge) sends it. */
async function pressPendant() {
  const body = JSON.stringify({
    event_id: `browser-test-${randomUUID()}`,
    device_id: PENDANT.id,
    kind: "emergency-call",
    occurred_at: new Date().toISOString(),
    data: {},
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac("sha256", Buffer.from(PENDANT.secret, "utf8")).update(`${ts}.${body}`).digest("hex");
  const res = await fetch(`${SUITE_URL}/api/v1/device-events`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-safetynet-timestamp": ts,
      "x-safetynet-signature": `v1=${sig}`,
    },
    body,
  });
  const answer = await res.json();
  assert.equal(res.status < 300, true, `device event refused: ${res.status} ${JSON.stringify(answer)}`);
  assert.ok(answer.incident_id, `the emergency call opened no incident: ${JSON.stringify(answer)}`);
  return answer.incident_id;
}

test("the console is served under the Content-Security-Policy", async () => {
  const res = await fetch(CONSOLE_URL);
  assert.equal(res.status, 200);
  const csp = res.headers.get("content-security-policy") ?? "";
  assert.match(csp, /script-src 'self'/, `CSP header: ${csp}`);
  assert.match(csp, /style-src 'self'/, `CSP header: ${csp}`);
  const html = await res.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, "no inline <script>");
  assert.doesNotMatch(html, /<style/i, "no inline <style>");
  assert.doesNotMatch(html, /\sstyle=/i, "no style attributes");
});

test("the sign-in page comes first and is accessible", async () => {
  await go(page, "#/board");
  await page.getByTestId("sign-in-form").waitFor();
  assert.equal(await page.getByTestId("incident-row").count(), 0);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "ko");
  await checkA11y(page, "sign-in");
});

test("a worker signs in and sees the incident board", async () => {
  await signIn(page, WORKER);
  const who = page.getByTestId("who");
  await assert.doesNotReject(who.filter({ hasText: "복지 담당 공무원" }).waitFor({ timeout: 5000 }));
  for (const name of ["상황판", "대상자", "위기가구", "통계"]) {
    assert.equal(await page.getByRole("navigation").getByRole("link", { name }).count(), 1, name);
  }
  await checkA11y(page, "board");
});

test("a pendant press appears on the board without a reload, with an alert", async () => {
  // Marks this document: a reload or navigation would lose the mark.
  await page.evaluate(() => {
    window.__notReloaded = true;
  });
  const pressed = Date.now();
  made.incidentId = await pressPendant();
  const row = page.locator(`[data-testid="incident-row"][data-incident-id="${made.incidentId}"]`);
  await row.waitFor({ timeout: NEW_INCIDENT_MS });
  const banner = page.getByTestId("new-incident-banner");
  await banner.waitFor({ timeout: NEW_INCIDENT_MS });
  const seenAfter = Date.now() - pressed;
  assert.ok(seenAfter <= NEW_INCIDENT_MS, `on the board after ${seenAfter} ms`);
  assert.equal(await page.evaluate(() => window.__notReloaded), true, "the board reloaded");
  assert.equal(await banner.getAttribute("role"), "alert");
  assert.match(await banner.innerText(), /응급호출/);
  assert.match(await row.getAttribute("class"), /is-new/);
  assert.match(await row.innerText(), /응급호출/);
  assert.match(await row.innerText(), /발생/);
  await checkA11y(page, "board with a new incident");
  await screenshot(page, "board.png");
});

test("the incident's detail shows the resident for responders", async () => {
  await page.locator(`[data-testid="incident-row"][data-incident-id="${made.incidentId}"] a`).first().click();
  await page.getByTestId("incident-title").waitFor();
  assert.ok(page.url().includes(`#/incidents/${made.incidentId}`), page.url());
  assert.match(await page.getByTestId("incident-title").innerText(), /응급호출/);
  assert.equal(await page.getByTestId("incident-state-text").innerText(), "발생");
  const resident = page.getByTestId("incident-resident");
  await resident.waitFor();
  for (const label of ["이름", "나이", "주소", "의료 참고사항", "보호자 연락처"]) {
    assert.match(await resident.innerText(), new RegExp(label));
  }
  await page.getByTestId("incident-log").filter({ hasText: "사건 발생" }).waitFor();
  await checkA11y(page, "incident detail");
  await screenshot(page, "incident.png");
});

test("acknowledging with a note shows 확인", async () => {
  await page.getByTestId("acknowledge-note").fill("보호자와 통화, 현장 확인 중");
  await page.getByTestId("action-acknowledge").click();
  await page.getByTestId("incident-state-text").filter({ hasText: /^확인$/ }).waitFor({ timeout: 5000 });
  await page.getByTestId("action-result").waitFor();
  await page.getByTestId("incident-log").filter({ hasText: "보호자와 통화, 현장 확인 중" }).waitFor();
  assert.equal(await page.getByTestId("action-acknowledge").count(), 0, "acknowledge is no longer offered");
});

test("resolving with an outcome shows 종결", async () => {
  const form = page.getByTestId("form-resolve");
  // No outcome chosen: the form says so next to the field and sends nothing.
  await form.getByTestId("action-resolve").click();
  await form.getByText("필수 항목입니다").waitFor();
  assert.equal(await page.getByTestId("incident-state-text").innerText(), "확인");
  await form.getByLabel("처리 결과").selectOption("resolved-on-site");
  await page.getByTestId("resolve-note").fill("현장 방문, 이상 없음");
  await form.getByTestId("action-resolve").click();
  await page.getByTestId("incident-state-text").filter({ hasText: /^종결$/ }).waitFor({ timeout: 5000 });
  assert.equal(await page.getByTestId("incident-outcome").innerText(), "현장에서 해결");
  await page.getByTestId("incident-closed").waitFor();
  await checkA11y(page, "closed incident");
});

test("enrolment shows a field's error next to it and creates nothing", async () => {
  await go(page, "#/residents");
  await page.getByTestId("resident-table").or(page.getByTestId("residents-empty")).waitFor();
  await checkA11y(page, "residents");
  const before = await apiGet(page, "/api/v1/residents");
  assert.equal(before.status, 200);

  await page.getByTestId("enrol-link").click();
  await page.getByTestId("enrol-form").waitFor();
  // Name left empty; a caregiver's phone that is no phone number.
  await page.getByLabel("주소").fill("울산광역시 중구 중앙길 99");
  await page.getByLabel("대상 유형").selectOption("elderly-alone");
  await page.getByLabel("보호자 1 이름").fill("김딸");
  await page.getByLabel("보호자 1 전화").fill("전화없음");
  await page.getByLabel("보호자 1 관계").selectOption("child");
  await page.getByTestId("enrol-submit").click();

  const nameError = page.getByTestId("field-error-enrol-name");
  await nameError.waitFor();
  assert.equal(await nameError.innerText(), "필수 항목입니다");
  assert.equal(await page.getByRole("textbox", { name: "이름", exact: true }).getAttribute("aria-invalid"), "true");
  // The message sits beside its field and is tied to it for screen readers.
  assert.match(await page.getByRole("textbox", { name: "이름", exact: true }).getAttribute("aria-describedby"), /enrol-name-error/);
  await page.getByTestId("field-error-enrol-contacts-0-phone").waitFor();
  assert.ok(page.url().includes("#/residents/new"), "still on the form");
  await checkA11y(page, "enrolment form with errors");
  const afterTry = await apiGet(page, "/api/v1/residents");
  assert.equal(afterTry.body.residents.length, before.body.residents.length, "nothing was created");
});

test("a resident named with markup is enrolled and shown as text", async () => {
  made.residentName = `김순자<script>alert(1)</script>${Date.now() % 100000}`;
  await page.getByRole("textbox", { name: "이름", exact: true }).fill(made.residentName);
  await page.getByLabel("출생 연도").fill("1941");
  await page.getByLabel("보호자 1 전화").fill("010-1234-5678");
  await page.getByLabel(/의료 참고사항/).fill("고혈압 <b>약</b> 복용");
  await page.getByTestId("enrol-submit").click();
  await page.waitForURL(/#\/residents\/(?!new)[^/]+$/, { timeout: 10000 });
  made.residentId = decodeURIComponent(page.url().split("#/residents/")[1]);
  const heading = page.getByTestId("resident-name");
  await heading.waitFor();
  assert.equal(await heading.textContent(), made.residentName, "the name is shown as typed, as text");
  assert.equal(await page.locator("main script").count(), 0, "no script element was made from the name");
  await page.getByText("고혈압 <b>약</b> 복용").waitFor();
  assert.deepEqual(dialogs, [], "no dialog opened");
  await checkA11y(page, "resident");
});

test("registering a device shows its secret once with a QR code", async () => {
  await page.getByLabel("장비 종류").selectOption("pendant");
  await page.getByLabel("통신 방식").selectOption("http");
  await page.getByTestId("device-register").click();
  const box = page.getByTestId("device-secret-box");
  await box.waitFor({ timeout: 5000 });
  assert.match(await page.getByTestId("device-secret").innerText(), /^[0-9a-f]{16,}$/);
  await page.getByTestId("device-qr").waitFor({ timeout: 5000 });
  await page.getByTestId("device-row").first().waitFor();
  await checkA11y(page, "resident with a device secret");
  await page.getByTestId("secret-done").click();
  assert.equal(await page.getByTestId("device-secret").count(), 0, "the secret is gone once closed");
});

test("the new resident is in the residents list", async () => {
  await go(page, "#/residents");
  await page.getByTestId("resident-search").fill("김순자<script>");
  const row = page.locator(`[data-testid="resident-row"][data-resident-id="${made.residentId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /<script>alert\(1\)<\/script>/);
  assert.deepEqual(dialogs, []);
});

test("a crisis case's status is updated with a note", async () => {
  await go(page, "#/crisis");
  const card = page.getByTestId("case-card").first();
  await card.waitFor({ timeout: 10000 });
  assert.ok((await page.getByRole("heading", { level: 2 }).first().innerText()).includes("발굴 차수"));
  made.caseId = await card.getAttribute("data-case-id");
  assert.ok((await card.getByTestId("case-reasons").locator("li").count()) > 0, "the case gives its reasons");
  await checkA11y(page, "crisis households");
  const theCard = page.locator(`[data-testid="case-card"][data-case-id="${made.caseId}"]`);
  await theCard.getByLabel("새 상태").selectOption("contacted");
  await theCard.getByTestId("case-note").fill("전화 상담 완료, 다음 주 방문 예정");
  await theCard.getByTestId("case-submit").click();
  await theCard.getByTestId("case-status").filter({ hasText: "상담 완료" }).waitFor({ timeout: 5000 });
  const detail = await apiGet(page, `/api/v1/cases/${encodeURIComponent(made.caseId)}`);
  assert.equal(detail.status, 200);
  assert.equal(detail.body.status, "contacted");
  assert.ok(JSON.stringify(detail.body.notes).includes("전화 상담 완료, 다음 주 방문 예정"));
  assert.equal(detail.body.dong, CASE_DONG);
});

test("statistics show charts with tables and CSV downloads", async () => {
  await go(page, "#/stats");
  await page.getByTestId("stats-tiles").waitFor({ timeout: 10000 });
  await page.getByText("119 이송 (올해)").waitFor();
  const month = page.getByTestId("chart-by-month");
  await month.locator("svg").waitFor();
  assert.ok((await month.locator("tbody tr").count()) >= 1, "the month table has rows");
  const csv = month.getByTestId("csv-link");
  assert.match(await csv.getAttribute("href"), /^blob:/);
  assert.match(await csv.getAttribute("download"), /\.csv$/);
  // The download itself, as a person clicking the link gets it (under the page's CSP).
  const [download] = await Promise.all([page.waitForEvent("download"), csv.click()]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const csvText = readFileSync(await download.path(), "utf8");
  assert.match(csvText, /^\uFEFF?월,건수\r?\n/);
  assert.ok(Number(await page.getByTestId("stat-total").innerText()) >= 1);
  await checkA11y(page, "statistics");
  await screenshot(page, "stats.png");
});

test("the language toggle switches to English and back", async () => {
  await page.getByTestId("lang-toggle").click();
  await page.getByRole("heading", { level: 1, name: "Statistics" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await checkA11y(page, "statistics in English");
  await page.getByTestId("lang-toggle").click();
  await page.getByRole("heading", { level: 1, name: "통계" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "ko");
});

test("signing out leaves no data on screen", async () => {
  await go(page, "#/board");
  await page.getByTestId("incident-table").or(page.getByTestId("board-empty")).waitFor();
  const ended = page.waitForResponse(
    (r) => new URL(r.url()).pathname === "/api/v1/session" && r.request().method() === "DELETE",
  );
  await page.getByTestId("sign-out").click();
  await page.getByTestId("sign-in-form").waitFor();
  assert.ok((await ended).status() < 300, "the server ended the session");
  assert.equal(await page.getByTestId("incident-row").count(), 0);
  assert.equal(await page.getByRole("navigation").count(), 0);
  const session = await apiGet(page, "/api/v1/session");
  assert.equal(session.status, 401, "the server's session is gone too");
});

test("a worker of another dong sees none of jungang-dong's incidents, residents or cases", async () => {
  await signIn(page, OTHER);
  await page.getByTestId("filter-state").selectOption("all");
  await page.getByTestId("board-status").filter({ hasText: "마지막 갱신" }).waitFor();
  // Two more polls with the wider filter.
  await page.waitForResponse((r) => r.url().includes("/api/v1/incidents") && r.status() === 200);
  await page.waitForResponse((r) => r.url().includes("/api/v1/incidents") && r.status() === 200);
  assert.equal(await page.locator(`[data-incident-id="${made.incidentId}"]`).count(), 0);
  const list = await apiGet(page, "/api/v1/incidents");
  assert.ok(list.body.incidents.every((i) => i.dong !== "jungang-dong"), "no jungang-dong incident listed");
  const direct = await apiGet(page, `/api/v1/incidents/${encodeURIComponent(made.incidentId)}`);
  assert.ok(direct.status === 403 || direct.status === 404, `detail answered ${direct.status}`);

  await go(page, "#/residents");
  await page.getByTestId("resident-table").or(page.getByTestId("residents-empty")).waitFor();
  assert.equal(await page.locator(`[data-resident-id="${made.residentId}"]`).count(), 0);
  assert.equal(await page.getByText("김순자<script>", { exact: false }).count(), 0);
  const residents = await apiGet(page, "/api/v1/residents");
  assert.ok(residents.body.residents.every((r) => r.dong !== "jungang-dong"));

  await go(page, "#/crisis");
  await page
    .getByTestId("case-card")
    .first()
    .or(page.getByTestId("cases-empty"))
    .or(page.getByText("아직 발굴 차수가 없습니다."))
    .or(page.getByText("이 차수는 아직 위기도 점수를 산정하지 않았습니다."))
    .waitFor({ timeout: 10000 });
  assert.equal(await page.locator(`[data-case-id="${made.caseId}"]`).count(), 0);
  await checkA11y(page, "crisis households of another dong");
});

test("a bogus session cookie brings back the sign-in page with no data", async () => {
  await go(page, "#/board");
  await page.getByTestId("board-status").filter({ hasText: "마지막 갱신" }).waitFor();
  const cookies = await context.cookies(CONSOLE_URL);
  const session = cookies.find((c) => c.httpOnly);
  assert.ok(session, `an HttpOnly session cookie is set (${cookies.map((c) => c.name).join(", ")})`);
  // Swapped while the board is open: its next poll is refused and everything goes.
  await context.addCookies([{ ...session, value: "bogus-" + "0".repeat(40) }]);
  await page.getByTestId("sign-in-form").waitFor({ timeout: 5000 });
  assert.equal(await page.getByTestId("incident-row").count(), 0);
  assert.equal(await page.getByRole("navigation").count(), 0);
  // And on a fresh load of a resident's page.
  await go(page, `#/residents/${encodeURIComponent(made.residentId)}`);
  await page.reload();
  await page.getByTestId("sign-in-form").waitFor();
  assert.equal(await page.getByTestId("resident-name").count(), 0);
  assert.equal(await page.getByText("김순자<script>", { exact: false }).count(), 0);
});

test("a wrong password and an unknown user get the same generic message", async () => {
  const fresh = await newContext();
  const p = await fresh.newPage();
  watch(p);
  const attempt = async (user, password) => {
    await go(p, "#/board");
    await p.getByLabel("아이디").fill(user);
    await p.getByLabel("비밀번호").fill(password);
    await p.getByTestId("sign-in-submit").click();
    const err = p.getByTestId("sign-in-error");
    await err.waitFor();
    return err.innerText();
  };
  const wrongPassword = await attempt(OTHER.user, `${OTHER.password}-wrong`);
  const unknownUser = await attempt(`nobody-${randomUUID().slice(0, 8)}`, "whatever-password");
  assert.equal(wrongPassword, SIGN_IN_FAILED);
  assert.equal(unknownUser, SIGN_IN_FAILED);
  assert.equal(await p.getByTestId("incident-row").count(), 0);
  await checkA11y(p, "sign-in with an error");

  // The API answers both alike, too (the worker's name this time: one failure per account,
  // far from any lock-out).
  const post = async (username, password) => {
    const r = await fetch(`${SUITE_URL}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    const body = await r.json().catch(() => null);
    return { status: r.status, code: body?.error?.code, message: body?.error?.message };
  };
  const a = await post(WORKER.user, `${WORKER.password}-wrong`);
  const b = await post(`nobody-${randomUUID().slice(0, 8)}`, "whatever-password");
  assert.deepEqual(a, b);
  assert.equal(a.status, 401);
  await fresh.close();
});

test("no dialog, CSP refusal or script error happened", () => {
  assert.deepEqual(dialogs, [], "dialogs");
  assert.deepEqual(cspViolations, [], "CSP violations");
  assert.deepEqual(pageErrors, [], "uncaught script errors");
});
