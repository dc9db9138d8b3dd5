/**
 * The console's overview: the cluster id, the brokers with their addresses and which one is the
 * active controller (named as the studio names them, `b1`), topic and partition counts, and this
 * broker's configs. Owns the wording and layout of that page; it only reads.
 */
import { api } from "./api.ts";
import { el, link, table } from "./dom.ts";

function statusItem(label: string, value: string, id: string): HTMLElement {
  return el("div", {}, [el("dt", {}, [label]), el("dd", { id, "data-testid": id }, [value])]);
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
    table(
      "Brokers",
      ["broker", "address", "liveness", "role", "rack"],
      cluster.brokers.map((b) => [
        `b${b.nodeId}`,
        `${b.host}:${b.port}`,
        el("span", { class: b.fenced ? "down" : "up" }, [b.fenced ? "fenced" : "up"]),
        el("span", { class: b.controller ? "leader" : "" }, [
          b.controller ? "broker, active controller" : "broker",
        ]),
        b.rack ?? "-",
      ]),
      { id: "brokers" },
    ),
    el("p", {}, ["See also ", link("/topics", "topics"), " and ", link("/groups", "consumer groups"), "."]),
    table(
      `Broker b${cluster.nodeId} configs`,
      ["name", "value", "source"],
      configs.configs.map((c) => [c.name, c.value ?? "(unset)", c.source]),
      { id: "broker-configs" },
    ),
  );
}
