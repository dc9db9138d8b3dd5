/**
 * The views' output: a plain tree of elements (tag, attributes, children) that becomes DOM nodes in a
 * browser (`toDom`) or HTML text anywhere else (`toHtml`, which the package's tests read). Every text
 * goes in as text, never parsed as markup: `toDom` appends text nodes and `toHtml` escapes it, so a
 * topic name, key or value read from a broker can never become HTML. Owns building and writing trees;
 * it must never keep a reference to what it built or read anything from the page.
 */

/** An element of a view's tree. Build one with `h`. */
export interface UiElement {
  readonly kind: "ui-element";
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly UiChild[];
}

/**
 * What an element may hold: elements, text and numbers, and (in a browser only) a DOM node an app
 * built itself, such as a button with a listener; `toHtml` refuses those.
 */
export type UiChild = UiElement | string | number | Node;

/** Children written in one tree at most; a view that draws more is a bug, not a big cluster. */
const nodesMax = 200_000;
/** How deep a tree may nest; the views nest a dozen levels at most. */
const depthMax = 64;

const svgNamespace = "http://www.w3.org/2000/svg";

/** Elements HTML writes without an end tag. */
const voidTags = new Set(["br", "hr", "img", "input", "link", "meta", "col", "wbr"]);

const tagPattern = /^[a-z][a-z0-9-]*$/i;
const attrPattern = /^[a-z_:][a-z0-9_:.-]*$/i;

export function h(
  tag: string,
  attrs: Record<string, string> = {},
  children: readonly UiChild[] = [],
): UiElement {
  if (!tagPattern.test(tag)) throw new Error(`ui: "${tag}" is not an element name`);
  for (const name of Object.keys(attrs)) {
    if (!attrPattern.test(name)) throw new Error(`ui: "${name}" is not an attribute name (on <${tag}>)`);
  }
  return { kind: "ui-element", tag, attrs, children };
}

export function isUiElement(child: unknown): child is UiElement {
  return typeof child === "object" && child !== null && (child as { kind?: unknown }).kind === "ui-element";
}

interface Budget {
  nodes: number;
}

function spend(budget: Budget, depth: number): void {
  budget.nodes += 1;
  if (budget.nodes > nodesMax) throw new Error(`ui: a tree of more than ${nodesMax} nodes`);
  if (depth > depthMax) throw new Error(`ui: a tree nested deeper than ${depthMax} levels`);
}

function domOf(child: UiChild, inSvg: boolean, budget: Budget, depth: number): Node {
  spend(budget, depth);
  if (typeof child === "string") return document.createTextNode(child);
  if (typeof child === "number") return document.createTextNode(String(child));
  if (!isUiElement(child)) return child;
  const svg = inSvg || child.tag === "svg";
  const node = svg ? document.createElementNS(svgNamespace, child.tag) : document.createElement(child.tag);
  for (const [name, value] of Object.entries(child.attrs)) node.setAttribute(name, value);
  for (const inner of child.children) node.append(domOf(inner, svg, budget, depth + 1));
  return node;
}

/** The tree as DOM nodes, ready to append (browser only: it needs `document`). */
export function toDom(child: UiChild): Node {
  return domOf(child, false, { nodes: 0 }, 0);
}

/** One element as a DOM element: `toDom` of an element, typed for callers that set listeners on it. */
export function toElement(element: UiElement): HTMLElement {
  return toDom(element) as HTMLElement;
}

function escapeText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function escapeAttr(text: string): string {
  return escapeText(text).replaceAll('"', "&quot;");
}

function htmlOf(child: UiChild, budget: Budget, depth: number): string {
  spend(budget, depth);
  if (typeof child === "string") return escapeText(child);
  if (typeof child === "number") return String(child);
  if (!isUiElement(child)) throw new Error("ui: a DOM node has no HTML text here; build it with h()");
  const attrs = Object.entries(child.attrs)
    .map(([name, value]) => ` ${name}="${escapeAttr(value)}"`)
    .join("");
  if (voidTags.has(child.tag)) return `<${child.tag}${attrs}>`;
  const inner = child.children.map((c) => htmlOf(c, budget, depth + 1)).join("");
  return `<${child.tag}${attrs}>${inner}</${child.tag}>`;
}

/** The tree as HTML text, every text and attribute escaped. */
export function toHtml(child: UiChild): string {
  return htmlOf(child, { nodes: 0 }, 0);
}

function textParts(child: UiChild, out: string[], budget: Budget, depth: number): void {
  spend(budget, depth);
  if (typeof child === "string") out.push(child);
  else if (typeof child === "number") out.push(String(child));
  else if (isUiElement(child)) for (const c of child.children) textParts(c, out, budget, depth + 1);
  else out.push(child.textContent ?? "");
}

/** The tree's text, as the DOM's `textContent` would read it. */
export function textOf(child: UiChild): string {
  const out: string[] = [];
  textParts(child, out, { nodes: 0 }, 0);
  return out.join("");
}

/**
 * Every element of the tree (the root first, then depth first) that `test` accepts: how tests and
 * callers find a part of a view without a DOM.
 */
export function findAll(root: UiElement, test: (element: UiElement) => boolean): UiElement[] {
  const found: UiElement[] = [];
  const walk = (element: UiElement, depth: number) => {
    if (depth > depthMax) throw new Error(`ui: a tree nested deeper than ${depthMax} levels`);
    if (test(element)) found.push(element);
    for (const c of element.children) if (isUiElement(c)) walk(c, depth + 1);
  };
  walk(root, 0);
  return found;
}
