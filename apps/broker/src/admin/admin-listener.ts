/**
 * The admin HTTP listener (`admin.port`, Redpanda's 9644; 0 turns it off), bound on the client
 * listener's host with `Bun.serve`: `/healthz`, `/readyz`, `/metrics`, the JSON admin API under
 * `/api/v1/` and the web console at `/`. It starts before the node opens, so `/readyz` can say
 * "starting" while metadata and partitions load, and stops after the broker has stopped.
 *
 * Owns the listener's life and the broker's phase as readiness reports it. It must never hold up the
 * broker's own start or stop (a slow scrape is not awaited by `stop`), and never serve the node
 * before the broker says it is serving: until then everything but health and process metrics
 * answers 503 with the reason.
 */
import type { BrokerConfig } from "../config/broker-config.ts";
import { type AdminPhase, type AdminRoutesContext, routeAdmin } from "./routes.ts";
import type { ScrapeSource } from "./scrape.ts";

/** The largest request body the admin API reads (topic creation, offset resets). */
const requestBodyBytesMax = 64 * 1024;
/** Seconds an idle HTTP connection is kept; a scrape every 15 s keeps its connection. */
const idleTimeoutSeconds = 30;

export class AdminListener {
  private phase: AdminPhase = { kind: "starting", reason: "starting: loading metadata and partitions" };
  private source: ScrapeSource | null = null;
  private readonly startedAtMs = Date.now();
  private server: ReturnType<typeof Bun.serve> | null = null;

  private constructor(private readonly log: (line: string) => void) {}

  /**
   * Binds the listener, or returns null when `admin.port` is 0. A port already taken throws with
   * the `EADDRINUSE` code, so the broker refuses to start naming the address, as for its Kafka port.
   */
  static start(config: BrokerConfig, log: (line: string) => void): AdminListener | null {
    if (config.adminPort === 0) return null;
    const listener = new AdminListener(log);
    const host = config.listener.host;
    try {
      listener.server = Bun.serve({
        hostname: host,
        port: config.adminPort,
        maxRequestBodySize: requestBodyBytesMax,
        idleTimeout: idleTimeoutSeconds,
        fetch: (request) => listener.handle(request),
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      const failure = new Error(
        `admin listener (admin.port) cannot bind ${host}:${config.adminPort}: ${(error as Error).message}${
          code === "EADDRINUSE" ? "; choose another with --admin-port, or 0 to turn it off" : ""
        }`,
      );
      Object.assign(failure, { code });
      throw failure;
    }
    return listener;
  }

  /** The bound port. */
  get port(): number {
    return this.server?.port ?? 0;
  }

  /** The node has loaded its metadata and the Kafka listener accepts connections: ready. */
  serving(source: ScrapeSource): void {
    this.source = source;
    this.phase = { kind: "ready", reason: "ready" };
  }

  /** The broker begins its clean stop: not ready any more, but still answering while it drains. */
  stopping(): void {
    this.phase = { kind: "stopping", reason: "shutting down" };
  }

  /** Closes the listener; open requests are cut rather than awaited. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.stop(true);
  }

  private async handle(request: Request): Promise<Response> {
    const context: AdminRoutesContext = {
      phase: this.phase,
      source: this.phase.kind === "starting" ? null : this.source,
      startedAtMs: this.startedAtMs,
    };
    try {
      return await routeAdmin(request, context);
    } catch (error) {
      this.log(
        `admin: ${request.method} ${new URL(request.url).pathname} failed: ${(error as Error).stack ?? error}`,
      );
      return Response.json({ error: "internal error; the broker's log has the details" }, { status: 500 });
    }
  }
}
