/**
 * The admin listener's paths: `/healthz` (the process answers), `/readyz` (the broker serves),
 * `/metrics` (Prometheus text), `/api/v1/...` (the JSON admin API, `api-router.ts`), the console
 * (`console-assets.ts`) and, for tests only, `/v1/faults` (`fault-route.ts`). Owns which path goes
 * where and what each answers before the broker is ready; it must never touch the node before the
 * broker has handed it over (`source` is null then).
 */
import { routeApi } from "./api-router.ts";
import { serveConsole } from "./console-assets.ts";
import { expositionContentType } from "./exposition.ts";
import { routeFaults } from "./fault-route.ts";
import { brokerStateValue, type ScrapeSource, scrape, scrapeProcessOnly } from "./scrape.ts";

export interface AdminPhase {
  readonly kind: "starting" | "ready" | "stopping";
  /** Said by `/readyz`: "ready", or why not. */
  readonly reason: string;
}

export interface AdminRoutesContext {
  readonly phase: AdminPhase;
  /** The node and the listener's connections, once the broker serves; null while it starts. */
  readonly source: ScrapeSource | null;
  readonly startedAtMs: number;
}

const textHeaders = { "content-type": "text/plain; charset=utf-8" };

export async function routeAdmin(request: Request, context: AdminRoutesContext): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  const { phase, source } = context;
  const readOnly = request.method === "GET" || request.method === "HEAD";
  if (path === "/healthz") {
    if (!readOnly) return methodNotAllowed("GET");
    return new Response("ok\n", { headers: textHeaders });
  }
  if (path === "/readyz") {
    if (!readOnly) return methodNotAllowed("GET");
    const ready = phase.kind === "ready";
    return new Response(`${phase.reason}\n`, { status: ready ? 200 : 503, headers: textHeaders });
  }
  if (path === "/metrics") {
    if (!readOnly) return methodNotAllowed("GET");
    const state =
      phase.kind === "ready"
        ? brokerStateValue.running
        : phase.kind === "starting"
          ? brokerStateValue.starting
          : brokerStateValue.shuttingDown;
    // Only a serving node is read: while it stops, its partitions close under the scrape.
    const text =
      source === null || phase.kind !== "ready"
        ? scrapeProcessOnly(state, context.startedAtMs)
        : await scrape(source, state, context.startedAtMs);
    return new Response(text, { headers: { "content-type": expositionContentType } });
  }
  // Tests only: refused unless the node was started with eddy.test.fault.injection.enable=true.
  if (path === "/v1/faults") {
    if (source === null || phase.kind !== "ready") {
      return Response.json({ error: phase.reason }, { status: 503, headers: { "retry-after": "1" } });
    }
    return await routeFaults(request, source.node);
  }
  if (path.startsWith("/api/")) {
    if (source === null || phase.kind !== "ready") {
      return Response.json({ error: phase.reason }, { status: 503, headers: { "retry-after": "1" } });
    }
    return routeApi(request, url, source.node);
  }
  const page = readOnly ? serveConsole(path) : null;
  if (page !== null) return await page;
  return Response.json({ error: `no such path: ${path}` }, { status: 404 });
}

function methodNotAllowed(allowed: string): Response {
  return Response.json(
    { error: `method not allowed; use ${allowed}` },
    { status: 405, headers: { allow: allowed } },
  );
}
