/**
 * The studio in real headless Chromium (Debian's chromium, driven by playwright-core): started as a
 * user would (`bun run studio -- --port 0`), it shows a run that steps forward on key and button
 * presses, a broker leading a partition, and the same state each time a `?seed=N&step=K` link opens,
 * served or from the static build opened as a folder. Writes screenshots to apps/studio/screenshots/.
 * If chromium is missing it installs it with apt-get as root, or fails naming the command.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import {
  type Browser,
  buildStatic,
  launchBrowser,
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
  return await page.evaluate(() => {
    document.querySelector('[data-testid="speed-figure"]')?.replaceChildren();
    const parts = ["status", "servers", "partitions", "consumers", "trace"].map(
      (id) => document.getElementById(id)?.textContent ?? "",
    );
    return parts.join("\n");
  });
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
  expect(new URL(page.url()).search).toBe(`?seed=${linkSeed}&step=440`);
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
