/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: `# HELP` and `# TYPE`
 * lines, then samples with escaped label values. Owns the format only; which metrics exist and where
 * their values come from is `broker-metrics.ts` and `scrape.ts`. It must never emit a family twice
 * or a sample outside its family, since Prometheus rejects the whole scrape for either.
 */

export type MetricType = "counter" | "gauge" | "histogram";

/** Label names and values in the order they are printed. */
export type Labels = readonly (readonly [string, string])[];

/** The content type Prometheus expects for this format. */
export const expositionContentType = "text/plain; version=0.0.4; charset=utf-8";

/** A metric or label name Prometheus accepts. */
const namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Label values may hold anything; backslash, double quote and newline are escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Go's formatting of floats as Prometheus reads them: `+Inf`, `-Inf`, `NaN`, or the number. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function formatLabels(labels: Labels): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

/** One scrape's text, built family by family. */
export class Exposition {
  private readonly lines: string[] = [];
  private readonly families = new Set<string>();
  private current: { name: string; type: MetricType } | null = null;

  /** Starts a family; every sample written until the next call belongs to it. */
  family(name: string, type: MetricType, help: string): this {
    if (!namePattern.test(name)) throw new Error(`not a Prometheus metric name: ${name}`);
    if (this.families.has(name)) throw new Error(`metric family ${name} written twice in one scrape`);
    this.families.add(name);
    this.current = { name, type };
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    return this;
  }

  /** A sample of the current family; `suffix` is `_bucket`, `_sum` or `_count` for a histogram. */
  sample(labels: Labels, value: number, suffix = ""): this {
    const family = this.current;
    if (family === null) throw new Error("a sample before any family");
    if ((family.type === "histogram") !== (suffix !== "")) {
      throw new Error(`sample suffix "${suffix}" does not fit ${family.type} ${family.name}`);
    }
    this.lines.push(`${family.name}${suffix}${formatLabels(labels)} ${formatSampleValue(value)}`);
    return this;
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}
