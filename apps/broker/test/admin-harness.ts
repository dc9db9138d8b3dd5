/**
 * What the admin listener's tests share: a broker started as users start it with `--admin-port` on a
 * port just found free (the harness turns the listener off by default), and `/metrics` parsed by a
 * real Prometheus text-format parser (`parse-prometheus-text-format`, prom2json's output shape).
 * Owns start-up and parsing; it asserts nothing about the broker.
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { type RunningBroker, startBroker } from "./harness.ts";

/** Tries of a start whose port another process took between the probe and the bind. */
const startTriesMax = 3;

/** A port the OS had free a moment ago (bound on 127.0.0.1 with port 0, then released). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

export interface AdminBroker {
  readonly broker: RunningBroker;
  /** `http://127.0.0.1:PORT` of the admin listener. */
  readonly admin: string;
}

export async function startAdminBroker(
  options: { args?: string[]; preload?: string; env?: Record<string, string> } = {},
): Promise<AdminBroker> {
  let last: unknown = null;
  for (let attempt = 0; attempt < startTriesMax; attempt++) {
    const port = freePort();
    try {
      const broker = await startBroker({
        args: ["--admin-port", String(port), ...(options.args ?? [])],
        preload: options.preload,
        env: options.env,
      });
      return { broker, admin: `http://127.0.0.1:${port}` };
    } catch (error) {
      last = error;
      if (!/EADDRINUSE|admin\.port/.test(String(error))) throw error;
    }
  }
  throw new Error(`no free admin port after ${startTriesMax} tries: ${String(last)}`);
}

export interface ParsedSample {
  readonly labels?: Record<string, string>;
  readonly value?: string;
  readonly buckets?: Record<string, string>;
  readonly count?: string;
  readonly sum?: string;
}

export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: readonly ParsedSample[];
}

export function parseExposition(text: string): ParsedFamily[] {
  return parsePrometheusTextFormat(text) as ParsedFamily[];
}

export async function scrapeMetrics(admin: string): Promise<{ text: string; families: ParsedFamily[] }> {
  const response = await fetch(`${admin}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  return { text, families: parseExposition(text) };
}

/** The value of the sample of `name` whose labels include `labels`; null when there is none. */
export function sampleValue(
  families: readonly ParsedFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | null {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) =>
    Object.entries(labels).every(([key, value]) => m.labels?.[key] === value),
  );
  return sample?.value === undefined ? null : Number(sample.value);
}

/**
 * One label set of a histogram, parsed on its own. The parser flattens labelled histograms into one
 * sample and loses their labels (its `flattenMetrics`), so the family's lines of that label set are
 * given to it without the label: still the parser's reading of our lines, one set at a time.
 */
export function histogramOf(
  text: string,
  name: string,
  label: string,
  value: string,
): { buckets: Map<string, number>; count: number; sum: number } | null {
  const marker = `${label}="${value}"`;
  const lines = text
    .split("\n")
    .filter((line) => line.startsWith(`${name}_`) && line.includes(marker))
    .map((line) => line.replace(`${marker},`, "").replace(`{${marker}}`, ""));
  if (lines.length === 0) return null;
  const [family] = parseExposition(`# HELP ${name} h\n# TYPE ${name} histogram\n${lines.join("\n")}\n`);
  const sample = family?.metrics[0];
  if (sample?.buckets === undefined) return null;
  return {
    buckets: new Map(Object.entries(sample.buckets).map(([le, count]) => [le, Number(count)])),
    count: Number(sample.count),
    sum: Number(sample.sum),
  };
}
