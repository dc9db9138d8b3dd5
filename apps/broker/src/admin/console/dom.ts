/**
 * The console's element builder, the studio's (`apps/studio/src/page/dom.ts`; apps may not import
 * each other): every text goes in through `textContent`, so nothing read from the broker (topic
 * names, keys, values) is ever parsed as HTML. Owns element creation only.
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
  attrs: Record<string, string> = {},
): HTMLElement {
  return el("table", attrs, [
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
          cells.map((c) => el("td", {}, [c])),
        ),
      ),
    ),
  ]);
}

/** A link inside the console (hash routes). */
export function link(route: string, text: string, attrs: Record<string, string> = {}): HTMLElement {
  return el("a", { href: `#${route}`, ...attrs }, [text]);
}

/** Broker ids as the studio writes them: `[b1, b2]`. */
export function brokerList(ids: readonly number[]): string {
  return `[${ids.map((b) => `b${b}`).join(", ")}]`;
}

export function bytesText(bytes: number | null): string {
  if (bytes === null) return "-";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
