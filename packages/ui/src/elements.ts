/**
 * The small pieces both apps and the views build from: a table with a caption and a header row, a
 * status item (a label and its value), liveness in words, a list of brokers as the studio writes it
 * (`[b0, b2]`), and `el` and `table` for app code that wants DOM elements at once (to set a listener).
 * Every text goes in as text (see tree.ts). Owns those shapes and words; it must never keep state.
 */
import { h, toElement, type UiChild, type UiElement } from "./tree.ts";

/** Rows a table draws at most; a caller with more pages or cuts them first. */
export const tableRowsMax = 10_000;

export type Child = UiChild;

function isCell(child: UiChild): boolean {
  if (typeof child !== "object") return false;
  if ("kind" in child) return child.tag === "td";
  return child.nodeName === "TD";
}

/** A table: a caption, a header row and body rows of cells (a cell that is already a `td` is kept). */
export function tableOf(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly UiChild[])[],
  attrs: Record<string, string> = {},
): UiElement {
  if (rows.length > tableRowsMax) {
    throw new Error(`ui: table "${caption}" has ${rows.length} rows, more than ${tableRowsMax}`);
  }
  return h("table", attrs, [
    h("caption", {}, [caption]),
    h("thead", {}, [
      h(
        "tr",
        {},
        headers.map((header) => h("th", { scope: "col" }, [header])),
      ),
    ]),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h(
          "tr",
          {},
          cells.map((c) => (isCell(c) ? c : h("td", {}, [c]))),
        ),
      ),
    ),
  ]);
}

/** A label and its value in a `dl` of status items; `id` names the value for tests and links. */
export function statusItem(label: string, value: string, id: string): UiElement {
  return h("div", {}, [h("dt", {}, [label]), h("dd", { id, "data-testid": id }, [value])]);
}

/** Liveness in words and colour: "up" in green, anything else (down, fenced) in dark red. */
export function liveness(word: "up" | "down" | "fenced"): UiElement {
  return h("span", { class: word === "up" ? "up" : "down" }, [word]);
}

/** Brokers as the studio writes them: `[b0, b2]` from names. */
export function nameList(names: readonly string[]): string {
  return `[${names.join(", ")}]`;
}

/** Broker ids as the studio writes them: `[b0, b2]` from ids. */
export function brokerList(ids: readonly number[]): string {
  return nameList(ids.map((id) => `b${id}`));
}

/** A DOM element at once, for app code that sets listeners or keeps it (browser only). */
export function el(
  tag: string,
  attrs: Record<string, string> = {},
  children: readonly UiChild[] = [],
): HTMLElement {
  return toElement(h(tag, attrs, children));
}

/** `tableOf` as a DOM element (browser only). */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly UiChild[])[],
  attrs: Record<string, string> = {},
): HTMLElement {
  return toElement(tableOf(caption, headers, rows, attrs));
}
