// Helpers of the console's browser test: Debian's chromium driven by playwright-core (which
// never downloads a browser), logins through the form, polling waits and screenshots.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run the test through e2e/run.sh)`);
  return value;
}

export const fixture = () => JSON.parse(readFileSync(env("E2E_FIXTURE"), "utf8"));

export const accounts = () => ({
  superAdmin: { username: env("E2E_SUPER_USER"), password: env("E2E_SUPER_PASSWORD") },
  operator: { username: env("E2E_OPERATOR_USER"), password: env("E2E_OPERATOR_PASSWORD") },
  viewer: { username: env("E2E_VIEWER_USER"), password: env("E2E_VIEWER_PASSWORD") },
});

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // Playwright gives every launch a fresh --user-data-dir of its own (under TMPDIR).
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A browser context on the server, with every dialog (hx-confirm) accepted and counted. */
export async function newPage(browser, { viewport = DESKTOP, storageState } = {}) {
  const context = await browser.newContext({
    baseURL: env("E2E_API"),
    viewport,
    storageState,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    ...(viewport === PHONE ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.dialogs = [];
  page.on("dialog", (dialog) => {
    page.dialogs.push(dialog.message());
    dialog.accept().catch(() => {});
  });
  // Script errors on a page are failures of the page.
  page.scriptErrors = [];
  page.on("pageerror", (error) => page.scriptErrors.push(error.message));
  return page;
}

let shots = 0;
export async function screenshot(page, name) {
  shots += 1;
  const file = join(env("E2E_SCREENSHOTS"), `${String(shots).padStart(2, "0")}-${name}.png`);
  // From the top: a full-page shot of a scrolled page draws the sticky menu mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Fills the login form and submits it; answers the page's URL afterwards. */
export async function submitLogin(page, { username, password }) {
  await page.goto("/console/login");
  const form = page.locator('form[action="/console/login"]');
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="password"]').fill(password);
  // A form post always navigates: to the dashboard, or back to the form with an error.
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), form.locator('[type="submit"]').click()]);
  return new URL(page.url()).pathname;
}

export async function login(page, account) {
  const path = await submitLogin(page, account);
  if (path === "/console/login") {
    const error = await page.locator(".flash.error").textContent().catch(() => "");
    throw new Error(`login as ${account.username} refused: ${error?.trim()}`);
  }
  return path;
}

export async function logout(page) {
  const button = page.locator('form[action="/console/logout"] [type="submit"]');
  await Promise.all([page.waitForURL("**/console/login"), button.first().click()]);
}

/** Goes to `path` and fails on an error status or an error flash. */
export async function open(page, path) {
  const response = await page.goto(path);
  const status = response?.status();
  if (status !== 200) {
    const text = (await page.locator("body").textContent().catch(() => ""))?.trim().slice(0, 300);
    throw new Error(`GET ${path} answered ${status}: ${text}`);
  }
  const errors = await page.locator(".flash.error").allTextContents();
  if (errors.length) throw new Error(`GET ${path} shows an error: ${errors.join(" | ").trim()}`);
  return response;
}

/** The words of an element's text: a hook holds the raw status, perhaps with a label. */
export async function words(locator) {
  return ((await locator.textContent()) ?? "").trim().split(/\s+/).filter(Boolean);
}

/** Polls `probe` until it answers true. */
export async function until(what, probe, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = `: ${error.message}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the hook `[data-field=name]` holds `status` (as a word of its text). */
export async function fieldReads(page, name, statuses, timeoutMs = 10_000) {
  const wanted = [statuses].flat();
  const field = page.locator(`[data-field="${name}"]`).first();
  let seen = [];
  await until(
    `[data-field="${name}"] to read ${wanted.join(" or ")}`,
    async () => {
      seen = await words(field);
      return seen.some((word) => wanted.includes(word));
    },
    timeoutMs,
  ).catch((error) => {
    throw new Error(`${error.message} (it reads "${seen.join(" ")}")`);
  });
  return seen.find((word) => wanted.includes(word));
}

/** The number on the dashboard card labelled `label`. */
export async function cardValue(page, label) {
  const card = page.locator(".card", { has: page.locator(".label", { hasText: label }) }).first();
  const text = (await card.locator(".value").textContent())?.trim() ?? "";
  const value = Number.parseInt(text.replace(/[^0-9-]/g, ""), 10);
  if (Number.isNaN(value)) throw new Error(`card "${label}" holds "${text}", not a number`);
  return value;
}

/** The hrefs of the main menu. */
export async function menu(page) {
  return page.locator("nav.menu a").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
}

/**
 * What sticks out of a phone's width: the page scrolls sideways when the document is wider
 * than the viewport. Answers the offending elements (outermost first), empty when it fits.
 */
export async function sticksOut(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    const name = (element) =>
      element.tagName.toLowerCase() +
      (element.id ? `#${element.id}` : "") +
      [...element.classList].map((c) => `.${c}`).join("");
    const wide = [...document.body.querySelectorAll("*")].filter(
      (element) => element.getBoundingClientRect().right > width + 1,
    );
    // Only the outermost: an element inside another wide one says nothing new.
    return wide
      .filter((element) => !wide.some((other) => other !== element && other.contains(element)))
      .map((element) => `${name(element)} (${Math.round(element.getBoundingClientRect().right)}px > ${width}px)`);
  });
}
