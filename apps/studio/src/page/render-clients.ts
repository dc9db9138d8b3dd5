/**
 * Draws the clients' side of the run: each producer's settings (acks, idempotence, partitioner) and
 * tallies (sends, acknowledged, failed, retries), the answers by error code, and the last requests
 * with their error codes and attempts. Owns that wording; it must never ask the worker for anything.
 */
import type { ClusterView } from "@eddy/sim";
import type { Snapshot } from "../worker-messages.ts";
import { el, table } from "./dom.ts";

function acksText(acks: number): string {
  return acks === -1 ? "all" : String(acks);
}

export function renderClients(region: HTMLElement, s: Snapshot, view: ClusterView): void {
  const tallies = new Map(s.producerTallies.map((t) => [t.name, t]));
  const producers = table(
    "Producers",
    [
      "producer",
      "acks",
      "idempotent",
      "partitioner",
      "sends",
      "acknowledged",
      "failed",
      "retries",
      "in flight",
    ],
    view.producers.map((p) => {
      const t = tallies.get(p.name);
      return [
        p.name,
        acksText(p.acks),
        p.idempotent ? "yes" : "no",
        p.partitioner !== "model" ? p.partitioner : p.keyed ? "key mod partitions" : "random partition",
        t?.sends ?? 0,
        t?.acked ?? 0,
        t?.failed ?? 0,
        t?.retries ?? 0,
        p.inflightPartition >= 0 ? `to partition ${p.inflightPartition}` : "nothing",
      ];
    }),
  );
  const errors = el("p", { "data-testid": "error-counts" }, [
    `Answers by error code: ${s.errorCounts.map(([code, n]) => `${code} ${n}`).join(", ") || "none yet"}. Records that reached a broker more than once (retries): ${s.clientRetries}; produce requests with no answer in time: ${s.clientTimeouts}.`,
  ]);
  const rows = table(
    `Last ${s.clientRows.length} listed requests (oldest first)`,
    ["time", "client", "request", "broker", "partition", "attempt", "answer"],
    s.clientRows.map((r) => [
      `${r.tMs} ms`,
      r.client,
      r.api,
      r.broker,
      r.partition >= 0 ? r.partition : "",
      r.attempt > 1 ? `${r.attempt} (retry)` : r.attempt,
      el("span", { class: r.answer === "NONE" ? "" : "error-code" }, [r.answer]),
    ]),
  );
  rows.setAttribute("data-testid", "client-rows");
  region.replaceChildren(producers, errors, rows);
}
