/**
 * Reads Java `.properties` text, the format of Kafka's `server.properties`.
 * Owns only the text format (comments, separators, escapes, continuation lines); it never touches the
 * file system and never decides what a property means.
 */

/** A parse problem with the line it happened on, so the operator can fix the file. */
export class PropertiesSyntaxError extends Error {
  override readonly name = "PropertiesSyntaxError";
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/** Bounds a properties file: a config file larger than this is a mistake, not a config. */
export const propertiesLinesMax = 100_000;

function unescapeJava(text: string, line: number): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    i++;
    const e = text[i];
    if (e === undefined) break;
    if (e === "t") out += "\t";
    else if (e === "n") out += "\n";
    else if (e === "r") out += "\r";
    else if (e === "f") out += "\f";
    else if (e === "u") {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PropertiesSyntaxError(line, `bad \\u escape "\\u${hex}"`);
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else out += e;
  }
  return out;
}

/** Parses properties text into ordered key/value pairs; a later duplicate key wins, as in Java. */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > propertiesLinesMax) {
    throw new PropertiesSyntaxError(propertiesLinesMax, `more than ${propertiesLinesMax} lines`);
  }
  let logical = "";
  let startLine = 0;
  for (let n = 0; n < lines.length; n++) {
    let raw = lines[n] ?? "";
    if (logical === "") {
      raw = raw.replace(/^[ \t\f]+/, "");
      if (raw === "" || raw.startsWith("#") || raw.startsWith("!")) continue;
      startLine = n + 1;
    } else {
      raw = raw.replace(/^[ \t\f]+/, "");
    }
    // An odd number of trailing backslashes continues the logical line onto the next one.
    const trailing = /\\+$/.exec(raw)?.[0].length ?? 0;
    if (trailing % 2 === 1) {
      logical += raw.slice(0, -1);
      continue;
    }
    logical += raw;
    const match = /^((?:\\.|[^=:\s\\])*)\s*[=:]?\s*(.*)$/s.exec(logical);
    if (match === null) throw new PropertiesSyntaxError(startLine, "cannot read key and value");
    const key = unescapeJava(match[1] ?? "", startLine);
    if (key === "") throw new PropertiesSyntaxError(startLine, "empty key");
    result.set(key, unescapeJava(match[2] ?? "", startLine));
    logical = "";
  }
  if (logical !== "") throw new PropertiesSyntaxError(startLine, "file ends inside a continued line");
  return result;
}
