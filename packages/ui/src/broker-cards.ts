/**
 * The servers as cards: one card per node with its name (`b1`, `c0`), its roles (broker, controller),
 * its liveness in words (up, down, fenced; a node not up has a dashed border) and whether it is the
 * active controller, then any facts the app knows (an address, a Raft role and term, "group
 * coordinator"). Beside the cards, the same in words as a table. The studio draws its brokers and
 * its controllers with it, the console the brokers the metadata lists. Owns that picture and its
 * wording; it must never know where the data came from.
 */
import { liveness, tableOf } from "./elements.ts";
import { h, type UiElement } from "./tree.ts";

/** Cards drawn at most; a cluster larger than this is summarised in words, not drawn. */
export const brokerCardsMax = 64;

export interface BrokerCardData {
  /** How the apps name a node: `b1` for broker 1, `c0` for controller 0. */
  readonly name: string;
  /** The roles it runs, in words: "broker", "controller". */
  readonly roles: readonly string[];
  readonly liveness: "up" | "down" | "fenced";
  /** Whether it is the active controller (the Raft leader of the metadata quorum). */
  readonly activeController: boolean;
  /** More cells for this node, one per `BrokerCardsData.factLabels` entry, in that order. */
  readonly facts: readonly (string | number)[];
}

export interface BrokerCardsData {
  /** The table's caption, which also names the cards ("Brokers", "Controllers (Raft quorum)"). */
  readonly caption: string;
  /** The column names of each node's `facts` ("address", "Raft role"...). */
  readonly factLabels: readonly string[];
  readonly nodes: readonly BrokerCardData[];
}

function card(node: BrokerCardData, labels: readonly string[]): UiElement {
  const facts = labels.map((label, i) => h("li", {}, [`${label}: ${node.facts[i] ?? "-"}`]));
  return h(
    "li",
    {
      class: `broker-card ${node.liveness === "up" ? "is-up" : "is-down"}${node.activeController ? " is-active" : ""}`,
      "data-node": node.name,
    },
    [
      h("strong", { class: "card-name" }, [node.name]),
      h("span", { class: "card-roles" }, [node.roles.join(" + ")]),
      liveness(node.liveness),
      ...(node.activeController ? [h("span", { class: "leader card-badge" }, ["active controller"])] : []),
      ...(facts.length > 0 ? [h("ul", { class: "card-facts" }, facts)] : []),
    ],
  );
}

/**
 * The nodes as cards and, beside them, as a table (columns: the node, its roles, liveness, the
 * controller, then the fact labels); `tableAttrs` go on the table (an id the app's tests read).
 */
export function brokerCards(data: BrokerCardsData, tableAttrs: Record<string, string> = {}): UiElement {
  for (const node of data.nodes) {
    if (node.facts.length !== data.factLabels.length) {
      throw new Error(
        `ui: ${node.name} has ${node.facts.length} facts for ${data.factLabels.length} labels (${data.factLabels.join(", ")})`,
      );
    }
  }
  const drawn = data.nodes.slice(0, brokerCardsMax);
  const cards = h(
    "ul",
    { class: "broker-cards", "aria-label": `${data.caption} as cards` },
    drawn.map((node) => card(node, data.factLabels)),
  );
  const words = tableOf(
    data.caption,
    ["node", "roles", "liveness", "controller", ...data.factLabels],
    data.nodes.map((node) => [
      node.name,
      node.roles.join(", "),
      liveness(node.liveness),
      node.activeController ? h("span", { class: "leader" }, ["active controller"]) : "",
      ...node.facts,
    ]),
    tableAttrs,
  );
  const left = data.nodes.length - drawn.length;
  return h("div", { class: "ui-view broker-view" }, [
    h("div", { class: "ui-picture" }, [
      cards,
      ...(left > 0 ? [h("p", { class: "describe" }, [`and ${left} more, listed in the table`])] : []),
    ]),
    h("div", { class: "ui-words" }, [words]),
  ]);
}
