/**
 * The console's topic pages: the list with partitions, replication factor, under-replicated
 * partitions, records and size, and a form to create a topic; one topic with each partition drawn
 * by packages/ui's partition view as the studio draws it (replicas as logs with log start, high
 * watermark and log end; in words the leader, leader epoch, ISR and placement; size and segments as a
 * note), its configs, the message browser and deletion. Creating and deleting ask for
 * confirmation first. Owns those pages' wording and forms.
 */
import { type PartitionLogData, partitionLog } from "@eddy/ui";
import { ApiError, api, type Brokers, type Partition } from "./api.ts";
import { confirmAction } from "./confirm.ts";
import { bytesText, el, link, table } from "./dom.ts";
import { renderBrowser } from "./views-messages.ts";

function notice(text: string, kind: "ok" | "error"): HTMLElement {
  return el("p", { class: kind === "ok" ? "up" : "error-code", role: "status", "data-testid": "notice" }, [
    text,
  ]);
}

/**
 * One partition as packages/ui's partition view: the metadata's leader, epoch, ISR and placement, and
 * for each replica its broker's liveness; only this broker's own replica has offsets to show.
 */
export function partitionData(p: Partition, cluster: Brokers): PartitionLogData {
  const fenced = new Map(cluster.brokers.map((b) => [b.nodeId, b.fenced]));
  const here = p.replicas.includes(cluster.nodeId);
  const size =
    here && p.sizeBytes !== null
      ? `${bytesText(p.sizeBytes)} in ${p.segmentCount ?? "?"} segment(s) on b${cluster.nodeId}`
      : null;
  const notes = [...(p.offline ? ["offline"] : []), ...(size === null ? [] : [size])];
  return {
    topic: null,
    partition: p.partition,
    leader: p.leader >= 0 ? `b${p.leader}` : null,
    leaderEpoch: p.leaderEpoch,
    isr: p.isr.map((id) => `b${id}`),
    placed: p.replicas.map((id) => `b${id}`),
    note: notes.length === 0 ? null : notes.join(", "),
    replicas: p.replicas.map((id) => {
      const local = id === cluster.nodeId;
      return {
        name: `b${id}`,
        up: fenced.get(id) === false,
        role: id === p.leader ? "leader" : "follower",
        leaderEpoch: local ? p.leaderEpoch : null,
        logStartOffset: local ? p.logStartOffset : null,
        highWatermark: local ? p.highWatermark : null,
        logEndOffset: local ? p.logEndOffset : null,
        isrKnown: local ? p.isr.map((i) => `b${i}`) : null,
      };
    }),
  };
}

export async function renderTopics(main: HTMLElement, message: HTMLElement | null = null): Promise<void> {
  const { topics } = await api.topics();
  const form = el("form", { id: "create-topic", class: "controls" }, [
    el("h3", {}, ["Create a topic"]),
    el("label", { for: "new-topic-name" }, ["Name"]),
    el("input", {
      id: "new-topic-name",
      name: "name",
      required: "",
      size: "20",
      pattern: "[a-zA-Z0-9._\\-]+",
    }),
    el("label", { for: "new-topic-partitions" }, ["Partitions"]),
    el("input", {
      id: "new-topic-partitions",
      name: "partitions",
      type: "number",
      min: "1",
      value: "1",
      size: "4",
    }),
    el("label", { for: "new-topic-rf" }, ["Replication factor"]),
    el("input", {
      id: "new-topic-rf",
      name: "replicationFactor",
      type: "number",
      min: "1",
      value: "1",
      size: "3",
    }),
    el("label", { for: "new-topic-configs" }, ["Configs (key=value, comma separated)"]),
    el("input", {
      id: "new-topic-configs",
      name: "configs",
      size: "24",
      placeholder: "retention.ms=86400000",
    }),
    el("button", { type: "submit", id: "create-topic-submit" }, ["Create…"]),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form as HTMLFormElement);
    const name = String(data.get("name"));
    const partitions = Number(data.get("partitions"));
    const replicationFactor = Number(data.get("replicationFactor"));
    const configs: Record<string, string> = {};
    for (const pair of String(data.get("configs") ?? "").split(",")) {
      const [key, ...rest] = pair.split("=");
      if (key !== undefined && key.trim() !== "") configs[key.trim()] = rest.join("=").trim();
    }
    const ok = await confirmAction(
      `Create topic ${name} with ${partitions} partition(s), replication factor ${replicationFactor}?`,
      "Create topic",
    );
    if (!ok) return;
    try {
      await api.createTopic({ name, partitions, replicationFactor, configs });
      await renderTopics(main, notice(`Created topic ${name}.`, "ok"));
    } catch (error) {
      await renderTopics(main, notice(`Not created: ${(error as Error).message}`, "error"));
    }
  });
  main.replaceChildren(
    el("h2", {}, ["Topics"]),
    ...(message === null ? [] : [message]),
    table(
      `${topics.length} topic(s)`,
      ["topic", "partitions", "replication factor", "under-replicated", "records", "size"],
      topics.map((t) => [
        link(`/topics/${encodeURIComponent(t.name)}`, t.name),
        t.partitionCount,
        t.replicationFactor,
        el("span", { class: t.underReplicatedCount > 0 ? "down" : "" }, [String(t.underReplicatedCount)]),
        t.messageCount,
        bytesText(t.sizeBytes),
      ]),
      { id: "topics" },
    ),
    form,
  );
}

export async function renderTopic(main: HTMLElement, name: string): Promise<void> {
  let topic: Awaited<ReturnType<typeof api.topic>>;
  try {
    topic = await api.topic(name);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      main.replaceChildren(el("h2", {}, [`Topic ${name}`]), notice(`No topic named ${name}.`, "error"));
      return;
    }
    throw error;
  }
  const cluster = await api.brokers();
  const remove = el("button", { type: "button", id: "delete-topic", class: "danger" }, ["Delete topic…"]);
  remove.addEventListener("click", async () => {
    const ok = await confirmAction(
      `Delete topic ${name} and all ${topic.messageCount} of its records? This cannot be undone.`,
      "Delete topic",
    );
    if (!ok) return;
    try {
      await api.deleteTopic(name);
      location.hash = "#/topics";
    } catch (error) {
      main.prepend(notice(`Not deleted: ${(error as Error).message}`, "error"));
    }
  });
  const browser = el("section", { id: "browser", "aria-labelledby": "browser-title" });
  main.replaceChildren(
    el("h2", {}, [`Topic ${name}`]),
    el("p", { class: "describe" }, [
      `Topic id ${topic.topicId}; ${topic.partitionCount} partition(s), replication factor ${topic.replicationFactor}, ${topic.messageCount} record(s), ${bytesText(topic.sizeBytes)}.`,
    ]),
    el("h3", {}, ["Partitions"]),
    el("p", { class: "describe" }, [
      `Each partition's replicas drawn as logs on one offset scale, filled up to the high watermark, as the studio draws them; the offsets are those of this broker's own replica (b${cluster.nodeId}), since the console reads no other broker's log.`,
    ]),
    el(
      "div",
      { id: "partitions" },
      topic.partitions.map((p) => partitionLog(partitionData(p, cluster))),
    ),
    browser,
    table(
      "Configs",
      ["name", "value", "source"],
      topic.configs.map((c) => [c.name, c.value ?? "(unset)", c.source]),
      { id: "topic-configs" },
    ),
    el("p", {}, [remove]),
  );
  renderBrowser(browser, name, topic.partitionCount);
}
