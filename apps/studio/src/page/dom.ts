/**
 * A tiny element builder: every text goes in through `textContent`, so nothing from a run is ever
 * parsed as HTML. Owns element creation only; it must never keep references to what it built.
 */
export type Child = Node | string | number;

export function el(
  tag: string,
  attrs: Record<string, string> = {},
  children: readonly Child[] = [],
): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(typeof child === "number" ? String(child) : child);
  return node;
}

/** A table with a caption, a header row and body rows of cells. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly Child[])[],
): HTMLElement {
  return el("table", {}, [
    el("caption", {}, [caption]),
    el("thead", {}, [
      el(
        "tr",
        {},
        headers.map((h) => el("th", { scope: "col" }, [h])),
      ),
    ]),
    el(
      "tbody",
      {},
      rows.map((cells) =>
        el(
          "tr",
          {},
          cells.map((c) => (c instanceof HTMLElement && c.tagName === "TD" ? c : el("td", {}, [c]))),
        ),
      ),
    ),
  ]);
}
