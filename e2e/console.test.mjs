// The ops console in a real browser: a super admin settles an `unknown` top-up from a sandbox
// run and sees the dashboard change, refunds a failed one and opens every page; an operator
// may settle but not refund; a viewer sees no action and is refused one sent by hand.
// Run through e2e/run.sh, which starts the server and seeds the orders (seed.mjs).
//
// The steps share one browser and run in order: a later step starts from what an earlier
// one changed (the settled order, the dashboard's count).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  PHONE,
  accounts,
  cardValue,
  env,
  fieldReads,
  fixture,
  launch,
  login,
  logout,
  menu,
  newPage,
  open,
  screenshot,
  sticksOut,
  submitLogin,
} from "./browser.mjs";

const UNKNOWN_CARD = "充值未知 Unknown top-ups";
const MENU = [
  "/console/",
  "/console/orders",
  "/console/notifications",
  "/console/exchange-rate",
  "/console/points",
  "/console/admins",
  "/console/audit",
];
const submit = (form) => form.locator('[type="submit"], button:not([type])').first();

let browser;
let page; // the super admin's
let seeded;
let who;
let unknownBefore;
let settleAction; // form#settle's action on the first unknown order

before(async () => {
  seeded = fixture();
  who = accounts();
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  await browser?.close();
});

test("a wrong password is refused with a message on the login form", async () => {
  const stranger = await newPage(browser);
  await stranger.goto("/console/login");
  await screenshot(stranger, "login");
  const path = await submitLogin(stranger, { username: who.superAdmin.username, password: "not the password" });
  assert.equal(path, "/console/login");
  const error = stranger.locator(".flash.error");
  await error.waitFor({ state: "visible" });
  assert.ok((await error.textContent()).trim().length > 0, "the error flash is empty");
  await screenshot(stranger, "login-refused");
  // Without a session the console sends the browser to the login form.
  await stranger.goto("/console/");
  assert.equal(new URL(stranger.url()).pathname, "/console/login");
  await stranger.context().close();
});

test("the super admin logs in and sees the dashboard", async () => {
  const path = await login(page, who.superAdmin);
  assert.equal(path, "/console/");
  await page.locator(".card").first().waitFor();
  unknownBefore = await cardValue(page, UNKNOWN_CARD);
  assert.equal(unknownBefore, 2, "the sandbox run left two unknown top-ups");
  await screenshot(page, "dashboard");
  const phone = await newPage(browser, { viewport: PHONE, storageState: await page.context().storageState() });
  await open(phone, "/console/");
  await screenshot(phone, "dashboard-phone");
  assert.deepEqual(await sticksOut(phone), [], "the dashboard is wider than a phone");
  await phone.context().close();
});

test("the orders filtered on unknown list the unknown order; its page opens", async () => {
  const { unknownFirst, unknownSecond, succeeded, failed } = seeded.orders;
  // From the dashboard's card, as an operator would.
  await open(page, "/console/");
  const card = page.locator(".card", { has: page.locator(".label", { hasText: UNKNOWN_CARD }) });
  await Promise.all([page.waitForURL("**/console/orders?recharge=unknown"), card.locator("a").first().click()]);
  assert.equal(await page.locator(".flash.error").count(), 0);
  const row = page.locator(`tr[data-order="${unknownFirst}"]`);
  await row.waitFor();
  assert.equal(await page.locator(`tr[data-order="${unknownSecond}"]`).count(), 1);
  assert.equal(await page.locator(`tr[data-order="${succeeded}"]`).count(), 0, "a successful order is listed as unknown");
  assert.equal(await page.locator(`tr[data-order="${failed}"]`).count(), 0, "a failed order is listed as unknown");
  await screenshot(page, "orders-unknown");

  await Promise.all([page.waitForURL(`**/console/orders/${unknownFirst}`), row.locator("a").first().click()]);
  await fieldReads(page, "rechargeStatus", "unknown");
  await fieldReads(page, "paymentStatus", "paid");
  await page.locator("form#settle").waitFor();
  await screenshot(page, "order-unknown");
  const phone = await newPage(browser, { viewport: PHONE, storageState: await page.context().storageState() });
  await open(phone, `/console/orders/${unknownFirst}`);
  await screenshot(phone, "order-unknown-phone");
  assert.deepEqual(await sticksOut(phone), [], "the order page is wider than a phone");
  await phone.context().close();
});

test("settling the unknown top-up as succeeded shows the new status", async () => {
  const { unknownFirst } = seeded.orders;
  await open(page, `/console/orders/${unknownFirst}`);
  const form = page.locator("form#settle");
  settleAction = await form.getAttribute("action");
  await form.locator('select[name="resolution"]').selectOption("succeeded");
  await form.locator('textarea[name="reason"]').fill("e2e: the Unitel ledger shows the top-up");
  await submit(form).click();
  await fieldReads(page, "rechargeStatus", "success");
  await page.locator(".flash:not(.error)").first().waitFor({ state: "visible" });
  assert.equal(await page.locator(".flash.error").count(), 0);
  await screenshot(page, "order-settled");
});

test("the dashboard counts one unknown top-up less", async () => {
  await open(page, "/console/");
  assert.equal(await cardValue(page, UNKNOWN_CARD), unknownBefore - 1);
  await screenshot(page, "dashboard-after-settle");
});

test("refunding the order whose top-up failed, after confirming", async (t) => {
  const { failed } = seeded.orders;
  await open(page, `/console/orders/${failed}`);
  await fieldReads(page, "rechargeStatus", "failed");
  await fieldReads(page, "paymentStatus", "paid");
  const form = page.locator("form#refund");
  await form.locator('textarea[name="reason"]').fill("e2e: the top-up failed");
  const dialogs = page.dialogs.length;
  await submit(form).click();
  const status = await fieldReads(page, "paymentStatus", ["refunding", "refunded"]);
  t.diagnostic(`payment status after the refund: ${status}`);
  await page.locator(".flash:not(.error)").first().waitFor({ state: "visible" });
  assert.equal(await page.locator(".flash.error").count(), 0);
  assert.ok(page.dialogs.length > dialogs, "the refund was sent without a confirmation dialog");
  t.diagnostic(`confirmation asked: ${page.dialogs.slice(dialogs).join(" | ")}`);
  await screenshot(page, "order-refunded");
});

test("every page of the menu opens", async () => {
  await open(page, "/console/");
  assert.deepEqual(await menu(page), MENU);
  // Every page is drawn and kept, even after one has failed.
  const failures = [];
  for (const href of MENU) {
    const name = href.replace(/^\/console\/?/, "") || "home";
    try {
      await open(page, href);
      await page.waitForLoadState("networkidle");
    } catch (error) {
      failures.push(error.message);
    }
    await screenshot(page, `menu-${name}`);
  }
  assert.deepEqual(failures, [], "pages of the menu failed");
  await open(page, "/console/orders");
  assert.ok((await page.locator("tr[data-order]").count()) >= 4, "the orders list misses seeded orders");
  await open(page, "/console/notifications");
  assert.ok((await page.locator("tr[data-notification]").count()) >= 1, "no payment notification listed");
  assert.deepEqual(page.scriptErrors, [], "script errors on the console's pages");
});

test("logging out ends the session", async () => {
  await open(page, "/console/");
  await logout(page);
  await page.goto("/console/");
  assert.equal(new URL(page.url()).pathname, "/console/login");
});

test("an operator may settle but not refund, and manages no admins", async () => {
  const { unknownSecond } = seeded.orders;
  const operator = await newPage(browser);
  await login(operator, who.operator);
  assert.ok(!(await menu(operator)).includes("/console/admins"), "the operator's menu links the admins");
  await open(operator, `/console/orders/${unknownSecond}`);
  await fieldReads(operator, "rechargeStatus", "unknown");
  assert.equal(await operator.locator("form#settle").count(), 1, "the operator cannot settle");
  assert.equal(await operator.locator("form#refund").count(), 0, "the operator is offered a refund");
  await screenshot(operator, "order-as-operator");
  await logout(operator);
  await operator.context().close();
});

test("a viewer sees no action, and one sent by hand is refused", async () => {
  const { unknownSecond } = seeded.orders;
  const viewer = await newPage(browser);
  await login(viewer, who.viewer);
  assert.ok(!(await menu(viewer)).includes("/console/admins"), "the viewer's menu links the admins");
  await open(viewer, `/console/orders/${unknownSecond}`);
  await fieldReads(viewer, "rechargeStatus", "unknown");
  assert.equal(await viewer.locator("form#settle").count(), 0, "the viewer is offered to settle");
  assert.equal(await viewer.locator("form#refund").count(), 0, "the viewer is offered a refund");
  await screenshot(viewer, "order-as-viewer");

  const origin = env("E2E_API");
  const refund = await viewer.request.post(`/console/orders/${unknownSecond}/refund`, {
    form: { reason: "a viewer tries" },
    headers: { Origin: origin },
    maxRedirects: 0,
  });
  assert.equal(refund.status(), 403, `a viewer's refund answered ${refund.status()}`);
  const { unknownFirst } = seeded.orders;
  const settlePath = (settleAction ?? `/console/orders/${unknownFirst}/resolve`).replace(unknownFirst, unknownSecond);
  const settle = await viewer.request.post(settlePath, {
    form: { resolution: "failed", reason: "a viewer tries" },
    headers: { Origin: origin },
    maxRedirects: 0,
  });
  assert.equal(settle.status(), 403, `a viewer's settlement answered ${settle.status()}`);
  const admins = await viewer.request.get("/console/admins", { maxRedirects: 0 });
  assert.equal(admins.status(), 403, `the admins page answered a viewer ${admins.status()}`);
  // Nothing changed.
  await open(viewer, `/console/orders/${unknownSecond}`);
  await fieldReads(viewer, "rechargeStatus", "unknown");
  await fieldReads(viewer, "paymentStatus", "paid");
  await logout(viewer);
  await viewer.context().close();
});
