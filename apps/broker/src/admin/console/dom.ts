/**
 * The console's element builders: packages/ui's (the studio's too, so both draw alike), and the two
 * the console alone needs, a link to one of its hash routes and a size in bytes in words. Every text
 * goes in as text, so nothing read from the broker (topic names, keys, values) is ever parsed as
 * HTML. Owns those two helpers only.
 */
import { el } from "@eddy/ui";

export { brokerList, type Child, el, table } from "@eddy/ui";

/** A link inside the console (hash routes). */
export function link(route: string, text: string, attrs: Record<string, string> = {}): HTMLElement {
  return el("a", { href: `#${route}`, ...attrs }, [text]);
}

export function bytesText(bytes: number | null): string {
  if (bytes === null) return "-";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
