/**
 * The input controls: reads the learner's choices (node, link, duration, producer and key, consumer,
 * bug) into a learner input for the worker, and fills the selects the worker's catalogue names
 * (lessons, bugs). Owns those form fields; it must never send anything itself or keep run state.
 */
import type { LearnerInput } from "@eddy/sim";
import { producerSettingsInput } from "./producer-controls.ts";

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`studio page: missing #${id}`);
  return node as T;
}

const value = (id: string) => byId<HTMLSelectElement | HTMLInputElement>(id).value;
const duration = () => Number(value("duration-select"));

/** Button id to the input it makes from the fields now; undefined when a field is invalid. */
export const inputButtons: Readonly<Record<string, () => LearnerInput | undefined>> = {
  "input-crash": () => ({ kind: "crash", node: value("node-select") }),
  "input-restart": () => ({ kind: "restart", node: value("node-select") }),
  "input-pause": () => ({ kind: "pause", node: value("node-select"), durationMs: duration() }),
  "input-disk": () => ({ kind: "diskFail", node: value("node-select") }),
  "input-cut": () => ({
    kind: "cut",
    from: value("link-from"),
    to: value("link-to"),
    oneWay: value("link-ways") === "1",
  }),
  "input-drop": () => ({
    kind: "drop",
    from: value("link-from"),
    to: value("link-to"),
    durationMs: duration(),
  }),
  "input-delay": () => ({
    kind: "delay",
    from: value("link-from"),
    to: value("link-to"),
    durationMs: duration(),
  }),
  "input-heal": () => ({ kind: "heal" }),
  "input-produce": () => {
    const key = Number(value("key-input"));
    if (!Number.isInteger(key) || key < 0 || key > 1_000_000) return undefined;
    return { kind: "produce", producer: value("producer-select"), key };
  },
  "input-producer-settings": producerSettingsInput,
  "input-add-consumer": () => ({ kind: "addConsumer" }),
  "input-remove-consumer": () => ({ kind: "removeConsumer", consumer: value("consumer-select") }),
  "input-bug": () => {
    const bug = value("bug-select");
    return bug === "" ? undefined : ({ kind: "bug", bug } as LearnerInput);
  },
};

/** Fills a select once with (value, label) options, keeping the current choice if it is among them. */
export function fillSelect(
  id: string,
  options: readonly (readonly [string, string])[],
  chosen: string,
): void {
  const select = byId<HTMLSelectElement>(id);
  if (select.options.length !== options.length) {
    select.replaceChildren(
      ...options.map(([v, label]) =>
        Object.assign(document.createElement("option"), { value: v, textContent: label }),
      ),
    );
  }
  if (document.activeElement !== select) select.value = chosen;
}
