/**
 * The web console in real headless Chromium (Debian's `/usr/bin/chromium` through playwright-core,
 * as the studio's browser test launches it) against a broker started as users start it: the
 * overview names the broker and the controller; a topic produced by kcat is browsed (keys, headers,
 * values as JSON and hex); a group's lag falls on the page as kcat members catch up, and an offset
 * reset previewed and confirmed raises it again; a topic is created and deleted through the page's
 * confirmations, and kcat sees both. Screenshots of each page go to apps/broker/screenshots/ (the
 * README shows them). Chromium missing is a failure naming the install command, never a skip.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { type AdminBroker, startAdminBroker } from "./admin-harness.ts";
import { kcat, removeDir } from "./harness.ts";

/** Each test starts clients and waits on a real broker; the 5 s default is too short on a busy machine. */
const testTimeoutMs = 60_000;

const chromiumPath = "/usr/bin/chromium";
const screenshotsDir = resolve(import.meta.dir, "../screenshots");
let running: AdminBroker;
let context: BrowserContext;
let profileDir: string;

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing; install it as root with: apt-get install -y chromium`);
  }
  mkdirSync(screenshotsDir, { recursive: true });
  running = await startAdminBroker({ args: ["--override", "group.initial.rebalance.delay.ms=0"] });
  profileDir = mkdtempSync(join(tmpdir(), "eddy-console-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
}, testTimeoutMs);

afterAll(async () => {
  await context?.close();
  if (profileDir !== undefined) rmSync(profileDir, { recursive: true, force: true });
  await running?.broker.stop();
  if (running !== undefined) removeDir(running.broker.dataDir);
});

async function open(route: string): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${running.admin}/#${route}`);
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

/** Waits until the text of the first element matching `selector` passes `test` (evaluated in the page). */
function waitText(page: Page, selector: string, test: string, timeoutMs = 10_000): Promise<unknown> {
  return page.waitForFunction(
    `(() => { const t = document.querySelector(${JSON.stringify(selector)})?.textContent; return t != null && (${test}); })()`,
    undefined,
    { timeout: timeoutMs },
  );
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(screenshotsDir, name), fullPage: true });

function kcatTopics(): string[] {
  const listing = JSON.parse(kcat(["-L", "-b", running.broker.bootstrap, "-J"])) as {
    topics: { topic: string }[];
  };
  return listing.topics.map((t) => t.topic);
}

function kcatGroupRead(group: string, topic: string, count: number): void {
  kcat([
    "-b",
    running.broker.bootstrap,
    "-G",
    group,
    "-X",
    "auto.offset.reset=earliest",
    "-c",
    String(count),
    "-q",
    topic,
  ]);
}

describe("console", () => {
  test(
    "overview: the broker, the active controller and this broker's configs",
    async () => {
      const page = await open("/");
      await page.locator("#brokers tbody tr").first().waitFor();
      expect(await page.locator("#controller").textContent()).toBe("b1");
      const row = await page.locator("#brokers tbody tr").first().textContent();
      expect(row).toContain(`127.0.0.1:${running.broker.port}`);
      expect(row).toContain("active controller");
      expect(await page.locator("#broker-configs").textContent()).toContain("node.id");
      await shot(page, "console-cluster.png");
      expect((page as Page & { errors: string[] }).errors).toEqual([]);
      await page.close();
    },
    testTimeoutMs,
  );

  test(
    "browse a topic produced by kcat: keys, headers and values as text, JSON and hex",
    async () => {
      const topic = "console-orders";
      const lines = Array.from(
        { length: 6 },
        (_, i) => `order-${i}:{"order":${i},"item":"book ${i}","qty":${i + 1}}`,
      );
      kcat(
        [
          "-P",
          "-b",
          running.broker.bootstrap,
          "-t",
          topic,
          "-K",
          ":",
          "-H",
          "source=kcat",
          "-H",
          `batch=console`,
        ],
        `${lines.join("\n")}\n`,
      );
      const page = await open(`/topics/${topic}`);
      await page.locator("#messages tbody tr").nth(5).waitFor();
      expect(await page.locator("#partitions tbody tr").first().textContent()).toContain("b1");
      expect(await page.locator("[data-testid=browse-summary]").textContent()).toContain("high watermark 6");
      const first = page.locator("#messages tbody tr").first();
      expect(await first.locator("td").nth(0).textContent()).toBe("0");
      expect(await first.locator("td").nth(2).textContent()).toBe("order-0");
      expect(await first.locator("td").nth(3).textContent()).toBe("source: kcat\nbatch: console");
      expect(await first.locator("td").nth(4).textContent()).toBe('{"order":0,"item":"book 0","qty":1}');

      await page.selectOption("#browse-format", "json");
      await waitText(page, "#messages tbody tr td:nth-child(5)", `t.includes('  "order": 0')`);
      await shot(page, "console-topic-messages-json.png");
      await page.selectOption("#browse-format", "hex");
      await waitText(page, "#messages tbody tr td:nth-child(3)", `t.startsWith("6f 72 64 65 72")`);

      // From an offset, with a limit.
      await page.selectOption("#browse-format", "text");
      await page.fill("#browse-offset", "4");
      await page.fill("#browse-limit", "1");
      await page.click("#browse-submit");
      await waitText(page, "#messages tbody tr td", `t === "4"`);
      expect(await page.locator("#messages tbody tr").count()).toBe(1);
      expect((page as Page & { errors: string[] }).errors).toEqual([]);
      await page.close();
    },
    testTimeoutMs,
  );

  test(
    "a group's lag falls on the page as kcat members catch up; a confirmed reset raises it again",
    async () => {
      const topic = "console-lag";
      const group = "console-billing";
      kcat(
        ["-P", "-b", running.broker.bootstrap, "-t", topic],
        `${Array.from({ length: 200 }, (_, i) => `event-${i}`).join("\n")}\n`,
      );
      kcatGroupRead(group, topic, 50);
      const page = await open(`/groups/${group}`);
      const lagTotal = page.locator("#lag-total");
      await waitText(page, "#lag-total", `t === "150"`);
      // The generation the coordinator gave the group: the JSON API's, in the sentence and beside it.
      const generationOf = async (): Promise<number> => {
        const detail = (await (await fetch(`${running.admin}/api/v1/groups/${group}`)).json()) as {
          generationId: number;
        };
        return detail.generationId;
      };
      const firstGeneration = await generationOf();
      expect(firstGeneration).toBeGreaterThan(0);
      await waitText(page, "[data-testid=group-generation]", `t === "${firstGeneration}"`);
      expect(await page.locator(`[data-testid=group-state-${group}]`).textContent()).toContain(
        `generation ${firstGeneration},`,
      );
      const seen: number[] = [150];
      const watch = async (expected: string) => {
        await waitText(page, "#lag-total", `t === ${JSON.stringify(expected)}`, 20_000);
        seen.push(Number(await lagTotal.textContent()));
      };
      // Each member reads some and commits as it leaves; the page refreshes every two seconds.
      kcatGroupRead(group, topic, 75);
      await watch("75");
      // The second member's join and leave moved the group to a later generation, and the page says so.
      const laterGeneration = await generationOf();
      expect(laterGeneration).toBeGreaterThan(firstGeneration);
      await waitText(page, "[data-testid=group-generation]", `t === "${laterGeneration}"`);
      kcatGroupRead(group, topic, 75);
      await watch("0");
      expect(seen).toEqual([150, 75, 0]);
      // The chart drew every sample taken while the page was open.
      const points = (await page.locator("#lag-chart polyline").getAttribute("points"))!.split(" ");
      expect(points.length).toBeGreaterThanOrEqual(3);
      expect(await page.locator("#group-offsets tbody tr").first().textContent()).toContain("200");
      await shot(page, "console-group-lag.png");

      // Reset to the earliest offset: a preview first, then the confirmation, then the lag is back.
      await page.selectOption("#reset-to", "earliest");
      await page.click("#reset-preview");
      await page.locator("#reset-plan tbody tr").first().waitFor();
      expect(await page.locator("#reset-plan tbody tr").first().textContent()).toBe(`${topic}02000`);
      expect(await lagTotal.textContent()).toBe("0");
      await page.click("#reset-execute");
      await page.locator("#confirm").waitFor();
      await shot(page, "console-reset-confirm.png");
      await page.click("#confirm-yes");
      await waitText(page, "#lag-total", `t === "200"`);
      expect((page as Page & { errors: string[] }).errors).toEqual([]);
      await page.close();
    },
    testTimeoutMs,
  );

  test(
    "create and delete a topic through the page's confirmations; kcat sees both",
    async () => {
      const topic = "console-created";
      const page = await open("/topics");
      await page.locator("#create-topic").waitFor();
      await page.fill("#new-topic-name", topic);
      await page.fill("#new-topic-partitions", "3");
      await page.fill("#new-topic-configs", "retention.ms=3600000");
      await page.click("#create-topic-submit");
      await page.locator("#confirm").waitFor();
      expect(await page.locator("#confirm-text").textContent()).toBe(
        `Create topic ${topic} with 3 partition(s), replication factor 1?`,
      );
      await shot(page, "console-create-confirm.png");
      // Cancel first: nothing is created.
      await page.click("#confirm-no");
      expect(kcatTopics()).not.toContain(topic);
      await page.click("#create-topic-submit");
      await page.click("#confirm-yes");
      await page.locator("[data-testid=notice]").waitFor();
      expect(await page.locator("[data-testid=notice]").textContent()).toBe(`Created topic ${topic}.`);
      expect(await page.locator("#topics").textContent()).toContain(topic);
      expect(kcatTopics()).toContain(topic);
      await shot(page, "console-topics.png");

      await page.click(`a[href="#/topics/${topic}"]`);
      await page.locator("#partitions tbody tr").nth(2).waitFor();
      expect(await page.locator("#topic-configs").textContent()).toContain("3600000");
      await page.click("#delete-topic");
      await page.locator("#confirm").waitFor();
      expect(await page.locator("#confirm-text").textContent()).toContain(`Delete topic ${topic}`);
      await page.click("#confirm-yes");
      await page.waitForURL(/#\/topics$/);
      await page.locator("#topics").waitFor();
      expect(await page.locator("#topics").textContent()).not.toContain(topic);
      expect(kcatTopics()).not.toContain(topic);
      expect((page as Page & { errors: string[] }).errors).toEqual([]);
      await page.close();
    },
    testTimeoutMs,
  );
});
