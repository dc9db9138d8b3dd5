/**
 * `POST /v1/faults` on the admin listener, for tests only: cuts this node off from named peers or
 * heals it (`cluster/peer-cuts.ts`). The body is `{"cut": [peer ids], "direction": "in"|"out"|"both"}`
 * or `{"heal": [peer ids] | "all"}`; the answer is what is cut now. `GET /v1/faults` reads that.
 *
 * Owns only reading the request and refusing bad input. Must never arm anything unless the node was
 * started with `eddy.test.fault.injection.enable=true`: otherwise every call is refused with 403 and
 * nothing changes.
 */
import { type CutDirection, cutDirections, cutPeersMax } from "../cluster/peer-cuts.ts";
import type { BrokerNode } from "../node/broker-node.ts";

/** The longest body read; a cut of every possible peer fits many times over. */
const faultBodyBytesMax = 64 * 1024;

export async function routeFaults(request: Request, node: BrokerNode): Promise<Response> {
  if (!node.staticConfig.testFaultInjectionEnable) {
    return Response.json(
      {
        error: "the fault hook is for tests only: start the node with eddy.test.fault.injection.enable=true",
      },
      { status: 403 },
    );
  }
  const cluster = node.cluster;
  if (cluster === null) {
    return Response.json({ error: "this node is a cluster of one: it has no peers to cut" }, { status: 409 });
  }
  if (request.method === "GET" || request.method === "HEAD") return Response.json(cluster.faults.state);
  if (request.method !== "POST") {
    return Response.json(
      { error: "method not allowed; use GET or POST" },
      { status: 405, headers: { allow: "GET, POST" } },
    );
  }
  const text = await request.text();
  if (text.length > faultBodyBytesMax) return bad(`a body longer than ${faultBodyBytesMax} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return bad(`the body is not JSON: ${(error as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return bad("the body must be an object");
  const { cut, heal, direction } = body as { cut?: unknown; heal?: unknown; direction?: unknown };
  if ((cut === undefined) === (heal === undefined)) return bad('give exactly one of "cut" and "heal"');
  const dir = direction ?? "both";
  if (!cutDirections.includes(dir as CutDirection)) {
    return bad(`"direction" must be one of ${cutDirections.join(", ")}, not ${JSON.stringify(direction)}`);
  }
  const ids = heal === "all" ? null : peerIds(cut ?? heal);
  if (ids === undefined) {
    return bad(`"cut" and "heal" take a list of at most ${cutPeersMax} node ids ("heal" also takes "all")`);
  }
  const self = ids?.find((id) => id === cluster.nodeId);
  if (self !== undefined) return bad(`node ${self} is this node, not a peer`);
  if (cut !== undefined) cluster.faults.cut(ids!, dir as CutDirection);
  else cluster.faults.heal(ids, dir as CutDirection);
  const state = cluster.faults.state;
  node.log(`fault hook: cut out [${state.out.join(",")}], in [${state.in.join(",")}]`);
  return Response.json(state);
}

/** The node ids of a list, or undefined when it is not a list of at most `cutPeersMax` node ids. */
function peerIds(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length > cutPeersMax) return undefined;
  if (!value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) return undefined;
  return value as number[];
}

function bad(why: string): Response {
  return Response.json({ error: why }, { status: 400 });
}
