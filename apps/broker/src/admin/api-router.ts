/**
 * The JSON admin API under `/api/v1/`. Owns nothing yet.
 */
import type { BrokerNode } from "../node/broker-node.ts";

export async function routeApi(_request: Request, url: URL, _node: BrokerNode): Promise<Response> {
  return Response.json({ error: `no such path: ${url.pathname}` }, { status: 404 });
}
