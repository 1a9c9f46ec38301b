// Gives the console something to show: orders bought through the public API and paid in the
// WeChat Pay simulator exactly as the README's walk-through does, the Unitel simulator armed
// with a fault before some of them, and a points package bought once. Waits (polling the
// admin API, never a fixed sleep) until every top-up has reached the state the browser test
// expects, then writes the order numbers to the fixture file.
//
// Environment: E2E_API (the server), E2E_SERVER_STDERR (its banner names the Unitel
// simulator), E2E_FIXTURE (output), E2E_SUPER_USER / E2E_SUPER_PASSWORD (an admin account).

import { readFile, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

const API = required("E2E_API");
const SUPER_USER = required("E2E_SUPER_USER");
const SUPER_PASSWORD = required("E2E_SUPER_PASSWORD");

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Thrown by a probe that has seen enough: no point in asking again. */
class Settled extends Error {}

/**
 * Calls `probe` every `every` ms until it answers something other than undefined; other
 * errors (the server still starting) are retried until the deadline.
 */
async function poll(what, probe, { timeoutMs = 30_000, every = 150 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof Settled) throw error;
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await sleep(every);
  }
}

async function call(method, url, { body, headers = {} } = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

const shopper = (openid) => ({ "X-WX-SOURCE": "local", "X-WX-OPENID": openid });

/** The Unitel simulator's own address, from the server's start-up banner. */
async function unitelSimulator() {
  const banner = await poll("the Unitel simulator in the banner", async () => {
    const text = await readFile(required("E2E_SERVER_STDERR"), "utf8");
    return text.match(/Unitel sim\s+(http:\/\/\S+)/)?.[1];
  });
  return banner.replace(/\/$/, "");
}

async function main() {
  await poll("GET /health", async () => {
    const health = await call("GET", `${API}/health`);
    return health?.data?.status === "ok" ? true : undefined;
  }, { timeoutMs: 60_000, every: 200 });
  const unitel = await unitelSimulator();
  const login = await call("POST", `${API}/admin/auth/login`, {
    body: { username: SUPER_USER, password: SUPER_PASSWORD },
  });
  const admin = { Authorization: `Bearer ${login.data.accessToken}` };

  const faults = (topUp) =>
    call("POST", `${unitel}/__sandbox/faults`, { body: topUp ? { top_up: topUp } : {} });

  // Walk-through steps 3-5: create the order, create the payment, pay in the simulator.
  async function buy(openid, phoneNumber) {
    const created = await call("POST", `${API}/orders`, {
      headers: shopper(openid),
      body: { phoneNumber, productOperator: "Unitel", rechargeType: "voice", productCode: "ST3000" },
    });
    const number = created.data.orderNumber;
    await call("POST", `${API}/payment/create`, { headers: shopper(openid), body: { orderNumber: number } });
    await call("POST", `${API}/__sandbox/pay/${number}`);
    return number;
  }

  const settled = new Set(["success", "failed", "unknown"]);
  async function rechargeReaches(number, expected) {
    return poll(`order ${number} to reach recharge status ${expected}`, async () => {
      const detail = await call("GET", `${API}/admin/orders/${number}`, { headers: admin });
      const status = detail.data.order.rechargeStatus;
      if (status === expected) return status;
      if (settled.has(status)) throw new Settled(`order ${number} ended ${status}, not ${expected}`);
      return undefined;
    });
  }

  // The fault is global in the simulator: each order is bought under its own fault and
  // waited for before the next one changes it.
  await faults(null);
  const succeeded = await buy("o-e2e-alice", "88112233");
  await rechargeReaches(succeeded, "success");

  await faults({ kind: "apply_then_drop", hold_ms: 20 });
  const unknownFirst = await buy("o-e2e-bob", "88112234");
  await rechargeReaches(unknownFirst, "unknown");
  const unknownSecond = await buy("o-e2e-carol", "88112235");
  await rechargeReaches(unknownSecond, "unknown");

  await faults({ kind: "failed", code: "105", msg: "Insufficient dealer balance" });
  const failed = await buy("o-e2e-dave", "80112233");
  await rechargeReaches(failed, "failed");
  await faults(null);

  // The points walk-through: a package on sale, bought and paid once.
  const pkg = await call("POST", `${API}/admin/points/packages`, {
    headers: admin,
    body: { name: "1000 积分 e2e", amountFen: 1000, points: 1000, bonusPoints: 200, active: true },
  });
  const pointsOrder = await call("POST", `${API}/api/payment/orders`, {
    headers: { ...shopper("o-e2e-alice") },
    body: { packageId: pkg.data.id },
  });
  const pointsNumber = pointsOrder.data.order.orderNo;
  await call("POST", `${API}/__sandbox/pay/${pointsNumber}`);
  await poll("the points to be credited", async () => {
    const account = await call("GET", `${API}/api/points/account`, { headers: shopper("o-e2e-alice") });
    return account.data.balance === 1200 ? true : undefined;
  });

  const fixture = {
    api: API,
    orders: { succeeded, unknownFirst, unknownSecond, failed },
    pointsOrder: pointsNumber,
    pointsPackage: pkg.data.id,
  };
  await writeFile(required("E2E_FIXTURE"), JSON.stringify(fixture, null, 2));
  console.log(`seeded: ${JSON.stringify(fixture.orders)}`);
}

main().catch((error) => {
  console.error(`seed failed: ${error.message}`);
  process.exit(1);
});
