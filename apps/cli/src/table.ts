/**
 * Human output: a table of left-aligned columns separated by two spaces, as Kafka's tools print them.
 * Owns nothing else; must never decide what goes in a table.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A value that may be missing, as Kafka's tools show it: "-". */
export function orDash(value: number | string | null): string {
  return value === null || value === "" ? "-" : String(value);
}
