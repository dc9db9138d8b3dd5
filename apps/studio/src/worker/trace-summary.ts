/**
 * Turns one JSON trace line of the simulator into the short row the studio lists: index, virtual
 * time, kind, node and a summary (message type and sender, timer name, fault kind). Owns only that
 * wording; it must never keep the whole message, which may carry record batches.
 */
import type { TraceLine } from "../worker-messages.ts";

interface RawLine {
  readonly i?: number;
  readonly t?: number;
  readonly kind?: string;
  readonly node?: string;
  readonly detail?: unknown;
}

export function summarizeTraceLine(json: string, summaryCharsMax: number): TraceLine {
  let raw: RawLine;
  try {
    raw = JSON.parse(json) as RawLine;
  } catch {
    return {
      i: -1,
      tMs: 0,
      kind: "?",
      node: "?",
      summary: json.slice(0, summaryCharsMax),
      from: "",
      type: "",
    };
  }
  const kind = raw.kind ?? "?";
  const d =
    kind === "recv" && typeof raw.detail === "object" && raw.detail !== null
      ? (raw.detail as Record<string, unknown>)
      : {};
  return {
    i: raw.i ?? -1,
    tMs: raw.t ?? 0,
    kind,
    node: raw.node ?? "?",
    summary: describe(kind, raw.detail).slice(0, summaryCharsMax),
    from: typeof d.from === "string" ? d.from : "",
    type: typeof d.type === "string" ? d.type.slice(0, summaryCharsMax) : "",
  };
}

function describe(kind: string, detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (detail === null || typeof detail !== "object") return String(detail);
  const d = detail as Record<string, unknown>;
  switch (kind) {
    case "recv":
      return `${String(d.type)} from ${String(d.from)}`;
    case "timer":
      return `timer ${String(d.name)}`;
    case "fault":
      return `fault ${JSON.stringify(detail)}`;
    default:
      return JSON.stringify(detail);
  }
}
