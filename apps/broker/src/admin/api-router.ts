/**
 * The JSON admin API under `/api/v1/`, which the console uses and scripts may too:
 *
 *   GET    /api/v1/brokers                      brokers, controller, cluster id
 *   GET    /api/v1/brokers/configs              this broker's configs
 *   GET    /api/v1/topics                       topics with partition counts, sizes, record counts
 *   POST   /api/v1/topics                       create: { name, partitions?, replicationFactor?, configs? }
 *   GET    /api/v1/topics/NAME                  partitions (leader, replicas, ISR, offsets, size) and configs
 *   DELETE /api/v1/topics/NAME                  delete
 *   GET    /api/v1/topics/NAME/messages         ?partition=&offset=|timestamp=&limit=
 *   GET    /api/v1/groups                       groups with state, members and total lag
 *   GET    /api/v1/groups/NAME                  members, assignments, per-partition lag
 *   POST   /api/v1/groups/NAME/reset-offsets    { topic, partitions?, to, offset?|timestamp?|by?, execute? }
 *
 * Owns routing and turning refusals into statuses; what each answers is in `api-*.ts`. Must never
 * answer an unknown path or method with anything but 404 or 405.
 */
import type { BrokerNode } from "../node/broker-node.ts";
import { brokerConfigsView, brokersView } from "./api-cluster.ts";
import { groupDetail, listGroupsWithLag, resetGroupOffsets } from "./api-groups.ts";
import { ApiRefusal, jsonBody, ok, problem } from "./api-json.ts";
import { browseMessages } from "./api-messages.ts";
import { createTopic, deleteTopic, describeTopic, listTopics } from "./api-topics.ts";
import { CoordinatorUnavailable } from "./group-view.ts";

const prefix = "/api/v1/";

export async function routeApi(request: Request, url: URL, node: BrokerNode): Promise<Response> {
  try {
    return await dispatch(request, url, node);
  } catch (error) {
    if (error instanceof ApiRefusal) return problem(error.status, error.message);
    if (error instanceof CoordinatorUnavailable) return problem(503, `${error.message}; try again`);
    throw error;
  }
}

async function dispatch(request: Request, url: URL, node: BrokerNode): Promise<Response> {
  if (!url.pathname.startsWith(prefix)) return problem(404, `no such path: ${url.pathname}`);
  let parts: string[];
  try {
    parts = url.pathname
      .slice(prefix.length)
      .split("/")
      .filter((p) => p !== "")
      .map(decodeURIComponent);
  } catch {
    return problem(400, "the path is not valid percent-encoding");
  }
  const method = request.method === "HEAD" ? "GET" : request.method;
  const [resource, name, sub, extra] = parts;
  if (extra !== undefined) return problem(404, `no such path: ${url.pathname}`);
  const only = (allowed: string, answer: () => Promise<Response> | Response): Promise<Response> | Response =>
    method === allowed
      ? answer()
      : Response.json(
          { error: `method not allowed; use ${allowed}` },
          { status: 405, headers: { allow: allowed } },
        );

  if (resource === "brokers") {
    if (name === undefined) return only("GET", () => ok(brokersView(node)));
    if (name === "configs" && sub === undefined) return only("GET", () => ok(brokerConfigsView(node)));
  }
  if (resource === "topics") {
    if (name === undefined) {
      if (method === "POST") return ok(await createTopic(node, await jsonBody(request)), 201);
      return only("GET", () => ok(listTopics(node)));
    }
    if (sub === undefined) {
      if (method === "DELETE") return ok(await deleteTopic(node, name));
      return only("GET", () => {
        const topic = describeTopic(node, name);
        return topic === null ? problem(404, `no topic named ${name}`) : ok(topic);
      });
    }
    if (sub === "messages") return only("GET", () => ok(browseMessages(node, name, url.searchParams)));
  }
  if (resource === "groups") {
    if (name === undefined) return only("GET", async () => ok(await listGroupsWithLag(node)));
    if (sub === undefined) return only("GET", async () => ok(await groupDetail(node, name)));
    if (sub === "reset-offsets") {
      return only("POST", async () => ok(await resetGroupOffsets(node, name, await jsonBody(request))));
    }
  }
  return problem(404, `no such path: ${url.pathname}`);
}
