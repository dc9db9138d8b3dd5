/**
 * The console's overview: the cluster id, the brokers as the studio draws its servers (packages/ui's
 * broker cards, named `b1`, with the active controller marked) and, beside them, the same in words
 * with each broker's address and rack; topic and partition counts, and this broker's configs. Owns
 * the wording and layout of that page; it only reads.
 */
import { type BrokerCardsData, brokerCards, statusItem, toDom } from "@eddy/ui";
import { api, type Brokers } from "./api.ts";
import { el, link, table } from "./dom.ts";

export function brokersData(cluster: Brokers): BrokerCardsData {
  return {
    caption: "Brokers",
    factLabels: ["address", "rack"],
    nodes: cluster.brokers.map((b) => ({
      name: `b${b.nodeId}`,
      roles: ["broker"],
      liveness: b.fenced ? "fenced" : "up",
      activeController: b.controller,
      facts: [`${b.host}:${b.port}`, b.rack ?? "-"],
    })),
  };
}

export async function renderCluster(main: HTMLElement): Promise<void> {
  const [cluster, configs] = await Promise.all([api.brokers(), api.brokerConfigs()]);
  main.replaceChildren(
    el("h2", {}, ["Cluster"]),
    el("dl", { class: "status" }, [
      statusItem("Cluster id", cluster.clusterId, "cluster-id"),
      statusItem("Active controller", `b${cluster.controllerId}`, "controller"),
      statusItem("Brokers", String(cluster.brokers.length), "broker-count"),
      statusItem("Topics", String(cluster.topicCount), "topic-count"),
      statusItem("Partitions", String(cluster.partitionCount), "partition-count"),
    ]),
    toDom(brokerCards(brokersData(cluster), { id: "brokers" })),
    el("p", {}, ["See also ", link("/topics", "topics"), " and ", link("/groups", "consumer groups"), "."]),
    table(
      `Broker b${cluster.nodeId} configs`,
      ["name", "value", "source"],
      configs.configs.map((c) => [c.name, c.value ?? "(unset)", c.source]),
      { id: "broker-configs" },
    ),
  );
}
