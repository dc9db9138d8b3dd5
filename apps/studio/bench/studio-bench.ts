/**
 * `bun run bench` for the studio: the static build's size per file, the time from opening a link to
 * the first drawn view in headless chromium, and frames drawn per second while playing at a few
 * speeds, for free play (2 partitions) and a 6-partition lesson (issue 13 asks for at least 50 there),
 * each with the page's drawing time and the worker's stepping time per frame and the machine's load
 * average beside it (the machine is shared: a frame rate means little without the load it ran under).
 * Owns measuring only; it must never assert, so a slow shared machine prints slow figures instead of
 * failing.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { buildStudio } from "../src/build.ts";
import { launchBrowser, startStudio } from "../test/browser-harness.ts";

const firstViewRuns = 3;
const playWindowMs = 2_000;
const playSpeeds = [1, 5, 25] as const;

/** The 1-minute load average (Linux), or "?" elsewhere. */
function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ")[0] ?? "?";
  } catch {
    return "?";
  }
}

function row(label: string, value: string): void {
  console.log(`  ${label.padEnd(58)} ${value}`);
}

const buildStartMs = performance.now();
const files = await buildStudio();
const buildMs = performance.now() - buildStartMs;
console.log("studio bundle (minified, no CDN)");
let totalBytes = 0;
for (const [name, file] of files) {
  const bytes = Buffer.byteLength(file.body);
  totalBytes += bytes;
  row(name, `${(bytes / 1024).toFixed(1)} KiB`);
}
row("total", `${(totalBytes / 1024 / 1024).toFixed(2)} MiB, built in ${Math.round(buildMs)} ms`);

const browser = await launchBrowser();
const server = await startStudio();
try {
  console.log("time to first view (open ?seed=1&step=0 until the run is drawn)");
  const firstViewMs: number[] = [];
  for (let i = 0; i < firstViewRuns; i++) {
    const page = await browser.context.newPage();
    const startMs = performance.now();
    await page.goto(`${server.url}?seed=1&step=0`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    firstViewMs.push(performance.now() - startMs);
    await page.close();
  }
  firstViewMs.sort((a, b) => a - b);
  row(
    `median of ${firstViewRuns} fresh pages`,
    `${Math.round(firstViewMs[Math.floor(firstViewRuns / 2)]!)} ms`,
  );

  // Free play of seed 1 (2 partitions), and the placement lesson: 3 brokers, 3 controllers and 6
  // partitions, issue 13's figure, with the lesson's checks asked after every step.
  const scenarios = [
    { name: "seed 1 (2 partitions)", link: "?seed=1&step=400" },
    { name: "the placement lesson (6 partitions)", link: "?lesson=placement&step=300" },
  ] as const;
  for (const scenario of scenarios) {
    console.log(
      `frames drawn per second while playing ${scenario.name} from ${scenario.link}, over ${playWindowMs / 1000} s`,
    );
    for (const speed of playSpeeds) {
      const page: Page = await browser.context.newPage();
      await page.goto(`${server.url}${scenario.link}`);
      await page.waitForSelector('body[data-ready="true"][data-busy="false"]', { timeout: 30_000 });
      await page.selectOption("#speed", String(speed));
      const rendersBefore = Number(await page.getAttribute("body", "data-renders"));
      const stepBefore = Number(await page.getAttribute("body", "data-step"));
      const drawMsBefore = Number(await page.getAttribute("body", "data-draw-ms"));
      const workerMsBefore = Number(await page.getAttribute("body", "data-worker-ms"));
      const startMs = performance.now();
      await page.click("#play");
      // The window ends early when the run does (the page stops playing by itself then).
      await page
        .waitForSelector('body[data-playing="false"]', { timeout: playWindowMs })
        .catch(() => undefined);
      const wallMs = performance.now() - startMs;
      if (await page.isEnabled("#pause")) await page.click("#pause");
      const frames = Number(await page.getAttribute("body", "data-renders")) - rendersBefore;
      const steps = Number(await page.getAttribute("body", "data-step")) - stepBefore;
      const drawMs = Number(await page.getAttribute("body", "data-draw-ms")) - drawMsBefore;
      const workerMs = Number(await page.getAttribute("body", "data-worker-ms")) - workerMsBefore;
      const perFrame = (ms: number) => (ms / Math.max(1, frames)).toFixed(1);
      row(
        `${speed} step${speed === 1 ? "" : "s"} per frame`,
        `${Math.round((frames * 1000) / wallMs)} frames/s, ${Math.round((steps * 1000) / wallMs)} steps/s, ${perFrame(drawMs)} ms drawing and ${perFrame(workerMs)} ms stepping a frame, load ${loadAverage()}`,
      );
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
