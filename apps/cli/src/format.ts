/**
 * `eddy consume -f FORMAT`: kcat's format strings, the subset an operator reaches for: `%t` topic,
 * `%p` partition, `%o` offset, `%k` key, `%s` value, `%K` and `%S` their lengths in bytes (-1 when
 * null), `%T` timestamp in ms, `%h` headers as `k=v,k=v`, `%%` a percent sign, and the escapes `\n`,
 * `\r`, `\t`, `\\`. Owns turning a format into a function of one record. Must never print a record
 * with a token it does not know: an unknown `%x` is refused when the format is compiled.
 */

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestampMs: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly { readonly key: string; readonly value: Uint8Array | null }[];
}

export class FormatError extends Error {}

const decoder = new TextDecoder();
const text = (bytes: Uint8Array | null): string => (bytes === null ? "" : decoder.decode(bytes));

const tokens: Record<string, (r: ConsumedRecord) => string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => text(r.key),
  s: (r) => text(r.value),
  K: (r) => String(r.key === null ? -1 : r.key.length),
  S: (r) => String(r.value === null ? -1 : r.value.length),
  T: (r) => String(r.timestampMs),
  h: (r) => r.headers.map((h) => `${h.key}=${text(h.value)}`).join(","),
};
const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", "\\": "\\" };

/** The kinds of part a format compiles to: literal text, or a token to fill from the record. */
type Part = string | ((r: ConsumedRecord) => string);

export function compileFormat(format: string): (r: ConsumedRecord) => string {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === "%") {
      if (next === "%") {
        literal += "%";
      } else if (next !== undefined && tokens[next] !== undefined) {
        if (literal !== "") parts.push(literal);
        literal = "";
        parts.push(tokens[next]);
      } else {
        throw new FormatError(
          `unknown format token '%${next ?? ""}' (eddy knows %t %p %o %k %s %K %S %T %h %%)`,
        );
      }
      i++;
    } else if (c === "\\" && next !== undefined && escapes[next] !== undefined) {
      literal += escapes[next];
      i++;
    } else {
      literal += c;
    }
  }
  if (literal !== "") parts.push(literal);
  return (r) => {
    let out = "";
    for (const part of parts) out += typeof part === "string" ? part : part(r);
    return out;
  };
}
