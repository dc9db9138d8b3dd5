/**
 * The studio in real headless Chromium (Debian's chromium, driven by playwright-core): started as a
 * user would (`bun run studio -- --port 0`), it shows a run that steps forward on key and button
 * presses, a broker leading a partition, and the same page each time a link opens (seed, lesson,
 * inputs and step), served or from the static build opened as a folder. Every lesson plays to its end
 * with all its checks seen; killing the leader and going back restores the exact earlier page; a
 * known bug switched on from the controls is caught by its invariant and shown. Writes screenshots to
 * apps/studio/screenshots/. If chromium is missing it installs it with apt-get as root, or fails
 * naming the command.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { regionIds } from "../src/page/render.ts";
import {
  type Browser,
  buildStatic,
  launchBrowser,
  repoRoot,
  type StudioServer,
  startStudio,
} from "./browser-harness.ts";

const screenshotsDir = resolve(import.meta.dir, "../screenshots");
/** A link to a moment after the topic exists (seed 1 has leaders from step 410 on). */
const linkSeed = "1";
const linkStep = 900;

let server: StudioServer | undefined;
let browser: Browser | undefined;
let baseUrl = "";
let buildDir = "";
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  browser = await launchBrowser();
  server = await startStudio();
  baseUrl = server.url;
  buildDir = buildStatic();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (buildDir !== "") rmSync(buildDir, { recursive: true, force: true });
});

async function openPage(url: string): Promise<Page> {
  const page = await browser!.context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"][data-busy="false"]', { timeout: 30_000 });
  return page;
}

async function text(page: Page, testId: string): Promise<string> {
  return (await page.textContent(`[data-testid="${testId}"]`)) ?? "";
}

/** Everything the page shows about the run, without the wall-clock speed figure. */
async function shownState(page: Page): Promise<string> {
  return await page.evaluate((ids) => {
    document.querySelector('[data-testid="speed-figure"]')?.replaceChildren();
    const parts = ids.map((id) => `${id}: ${document.getElementById(id)?.textContent ?? ""}`);
    return parts.join("\n");
  }, regionIds);
}

async function waitIdleAtStep(page: Page, step: number): Promise<void> {
  await page.waitForSelector(`body[data-busy="false"][data-step="${step}"]`, { timeout: 30_000 });
}

test("stepping moves virtual time and the trace forward, and a broker leads a partition", async () => {
  const page = await openPage(`${baseUrl}?seed=${linkSeed}&step=400`);
  const timeBeforeMs = Number.parseInt(await text(page, "virtual-time"), 10);
  const eventsBefore = Number(await text(page, "trace-count"));
  // Twenty steps by keyboard and twenty by the button, as a learner would.
  await page.focus("body");
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("n");
    await waitIdleAtStep(page, 401 + i);
  }
  for (let i = 0; i < 20; i++) {
    await page.click("#step");
    await waitIdleAtStep(page, 421 + i);
  }
  const timeAfterMs = Number.parseInt(await text(page, "virtual-time"), 10);
  const eventsAfter = Number(await text(page, "trace-count"));
  expect(eventsAfter).toBeGreaterThanOrEqual(eventsBefore + 40);
  expect(timeAfterMs).toBeGreaterThan(timeBeforeMs);
  expect(await page.locator('[data-role="leader"]').count()).toBeGreaterThan(0);
  expect(new URL(page.url()).search).toBe(`?lesson=free&seed=${linkSeed}&step=440`);
  await page.screenshot({ path: join(screenshotsDir, "studio-seed-1-step-440.png"), fullPage: true });
  expect(pageErrors).toEqual([]);
  await page.close();
}, 120_000);

test("a ?seed=N&step=K link shows the same moment every time, served or opened from a folder", async () => {
  const link = `?seed=${linkSeed}&step=${linkStep}`;
  const first = await openPage(`${baseUrl}${link}`);
  const firstState = await shownState(first);
  await first.close();
  const second = await openPage(`${baseUrl}${link}`);
  // The screenshot first: reading the state blanks the (wall-clock) speed figure.
  await second.screenshot({
    path: join(screenshotsDir, `studio-seed-${linkSeed}-step-${linkStep}.png`),
    fullPage: true,
  });
  expect(await text(second, "step-count")).toBe(String(linkStep));
  expect(await shownState(second)).toBe(firstState);
  await second.close();
  const fromFolder = await openPage(`file://${join(buildDir, "index.html")}${link}`);
  expect(await shownState(fromFolder)).toBe(firstState);
  await fromFolder.close();
  expect(pageErrors).toEqual([]);
}, 120_000);

/** Plays the open run to its end at 500 steps per frame; returns wall time and frames drawn. */
async function playToEnd(page: Page): Promise<{ wallMs: number; frames: number }> {
  await page.selectOption("#speed", "500");
  const rendersBefore = Number(await page.getAttribute("body", "data-renders"));
  const startMs = performance.now();
  await page.click("#play");
  await page.waitForSelector('[data-testid="phase"]:has-text("ended")', { timeout: 60_000 });
  const wallMs = performance.now() - startMs;
  const frames = Number(await page.getAttribute("body", "data-renders")) - rendersBefore;
  return { wallMs, frames };
}

test("playing runs a seed to its end in the page, and the next one too", async () => {
  const page = await openPage(`${baseUrl}?seed=${linkSeed}`);
  for (const seed of [linkSeed, "2"]) {
    if (seed !== linkSeed) {
      await page.fill("#seed-input", seed);
      await page.click("#seed-load");
      await page.waitForSelector(`body[data-ready="true"][data-busy="false"][data-step="0"]`);
    }
    const { wallMs, frames } = await playToEnd(page);
    const simMs = Number.parseInt(await text(page, "virtual-time"), 10);
    const steps = await text(page, "step-count");
    console.log(
      `studio: seed ${seed} played to its end in ${Math.round(wallMs)} ms wall: ${simMs} ms simulated, ${steps} steps, ${frames} frames (${Math.round((frames * 1000) / wallMs)} per s), ${Math.round(simMs / wallMs)} sim-s per wall-s; worker alone ${await text(page, "speed-figure")}`,
    );
    expect(await text(page, "violation-count")).toBe("0");
  }
  expect(pageErrors).toEqual([]);
  await page.close();
}, 120_000);

/**
 * Lessons the test plays to their end (free play has no checks), each with the check whose moment its
 * screenshot shows: the one that shows the concept best (the ISR shrunk, the acks=1 writes lost...).
 */
const lessonShots = {
  keys: 3,
  segments: 2,
  retention: 1,
  replication: 2,
  failover: 3,
  rebalancing: 2,
  "pub-sub": 2,
  "controller-quorum": 2,
  placement: 2,
  "known-bug": 1,
} as const;
const lessonIds = Object.keys(lessonShots) as (keyof typeof lessonShots)[];

for (const lesson of lessonIds) {
  test(`lesson ${lesson} plays to its end with every check seen`, async () => {
    const page = await openPage(`${baseUrl}?lesson=${lesson}`);
    expect(await text(page, "lesson-id")).toBe(lesson);
    const total = Number(await page.getAttribute('[data-testid="checks"]', "data-total"));
    expect(total).toBeGreaterThan(0);
    await playToEnd(page);
    await page.waitForSelector('body[data-busy="false"]');
    const passed = Number(await page.getAttribute('[data-testid="checks"]', "data-passed"));
    const open = await page.locator(".checks li.open").allTextContents();
    expect(open).toEqual([]);
    expect(passed).toBe(total);
    if (lesson === "segments") {
      // A learner's own offset: found through a rolled segment's real index, kept in the link.
      await page.fill("#find-offset", "150");
      await page.click("#find");
      const verdict = (await text(page, "find-verdict")) ?? "";
      expect(verdict).toContain("the index entry for offset");
      expect(new URL(page.url()).searchParams.get("find")).toBe("150");
      const shared = await openPage(page.url());
      expect(await text(shared, "find-verdict")).toBe(verdict);
      await shared.close();
    }
    if (lesson === "known-bug") {
      expect(await page.locator('[data-testid="violation"]').first().textContent()).toContain("#15");
    } else {
      expect(await text(page, "violation-count")).toBe("0");
    }
    // The screenshot shows the lesson at the moment its telling check was first seen.
    const seen = (await page.locator(".checks li").allTextContents())[lessonShots[lesson]]!;
    const shotStep = Number(/step (\d+)/.exec(seen)![1]);
    await page.fill("#rewind-step", String(shotStep));
    await page.click("#rewind");
    await waitIdleAtStep(page, shotStep);
    await page.screenshot({ path: join(screenshotsDir, `lesson-${lesson}.png`), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);
}

/** The leader of partition 0 as the page shows it ("b1"), from its table's caption. */
async function leaderOfPartition0(page: Page): Promise<string> {
  const caption = (await page.textContent('[data-partition="0"] caption')) ?? "";
  return /leader (b\d)/.exec(caption)![1]!;
}

test("killing the leader and going back to that step restores the exact earlier page; the link reopens the kill", async () => {
  const page = await openPage(`${baseUrl}?seed=${linkSeed}&step=${linkStep}`);
  const before = await shownState(page);
  const leader = await leaderOfPartition0(page);
  await page.selectOption("#node-select", leader);
  await page.click("#input-crash");
  await page.waitForSelector('body[data-busy="false"]');
  await page.waitForSelector(`#timeline li:has-text("crash.${leader}")`);
  expect(new URL(page.url()).searchParams.get("inputs")).toBe(`${linkStep}~crash.${leader}`);
  for (let i = 0; i < 30; i++) {
    await page.click("#step");
    await waitIdleAtStep(page, linkStep + 1 + i);
  }
  const killed = await shownState(page);
  expect(killed).not.toBe(before);
  expect(killed).toContain(`${leader}down`);
  // A shared link of this moment (seed, lesson, inputs, step) reopens the same page.
  const shared = await openPage(page.url());
  expect(await shownState(shared)).toBe(killed);
  await shared.close();
  await page.fill("#rewind-step", String(linkStep));
  await page.click("#rewind");
  await waitIdleAtStep(page, linkStep);
  expect(await shownState(page)).toBe(before);
  expect(new URL(page.url()).searchParams.get("inputs")).toBeNull();
  expect(pageErrors).toEqual([]);
  await page.close();
}, 120_000);

test("a known bug switched on from the controls is caught by its invariant and shown", async () => {
  const page = await openPage(`${baseUrl}?lesson=rebalancing&step=600`);
  await page.selectOption("#bug-select", "double-assignment");
  await page.click("#input-bug");
  await page.waitForSelector('#timeline li:has-text("bug.double-assignment")');
  await page.waitForSelector('body[data-busy="false"]');
  await page.click("#input-add-consumer");
  await page.waitForSelector('#timeline li:has-text("addConsumer")');
  await page.waitForSelector('body[data-busy="false"]');
  await page.selectOption("#speed", "25");
  await page.click("#play");
  await page.waitForSelector('[data-testid="violation"]', { timeout: 60_000 });
  await page.click("#pause");
  await page.waitForSelector('body[data-busy="false"]');
  expect(await page.locator('[data-testid="violation"]').first().textContent()).toContain("#15");
  expect(Number(await text(page, "violation-count"))).toBeGreaterThan(0);
  await page.screenshot({ path: join(screenshotsDir, "known-bug-from-controls.png"), fullPage: true });
  expect(pageErrors).toEqual([]);
  await page.close();
}, 120_000);

test("a trace of bun run sim --seed N --trace FILE opens: checked line for line against this build, then shown", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eddy-studio-trace-"));
  try {
    const file = join(dir, "seed-2.jsonl");
    const written = spawnSync("bun", ["run", "sim", "--seed", "2", "--trace", file], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(written.status).toBe(0);
    const page = await openPage(`${baseUrl}?seed=1`);
    await page.fill("#seed-input", "2");
    await page.setInputFiles("#trace-file", file);
    await page.waitForSelector('[data-testid="notice"]:has-text("line for line")', { timeout: 60_000 });
    await page.waitForSelector('body[data-busy="false"][data-step="0"]');
    expect(await text(page, "seed")).toBe("2");
    expect(await text(page, "notice")).toContain("this build's run of seed 2");
    // The same file is not seed 3's run: the first differing line is named.
    await page.fill("#seed-input", "3");
    await page.setInputFiles("#trace-file", []);
    await page.setInputFiles("#trace-file", file);
    await page.waitForSelector('[data-testid="notice"]:has-text("differs")', { timeout: 60_000 });
    expect(pageErrors).toEqual([]);
    await page.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
