/**
 * A small data-driven transcript runner in the style of etcd raft's `datadriven` testdata: a file is a
 * list of cases, each a command line followed by `----` and the expected output, ended by a blank line.
 * Output that itself contains blank lines is written between `----` / `----` fences:
 *
 *   # comments and blank lines between cases are kept as they are
 *   produce 1 acks=all count=2
 *   ----
 *   b1: persist append 0..1 e1
 *
 *   status
 *   ----
 *   ----
 *   first block
 *
 *   second block
 *   ----
 *   ----
 *
 * Run with `UPDATE_TRANSCRIPTS=1 bun test` to rewrite the expected outputs from the actual ones (then
 * review the diff). The runner knows nothing of what the commands mean; a handler turns one case into
 * its output text. It must never touch files other than the transcript it was given.
 */

import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Bound on cases in one file and lines in one output, so a runaway handler fails loudly. */
export const transcriptCasesMax = 10_000;
export const transcriptOutputLinesMax = 100_000;

export interface TranscriptCase {
  readonly file: string;
  /** 1-based line of the command. */
  readonly line: number;
  /** The full command line as written. */
  readonly text: string;
  readonly command: string;
  /** Positional arguments (tokens without `=`). */
  readonly args: readonly string[];
  /** `key=value` arguments. */
  readonly kv: Readonly<Record<string, string>>;
  readonly expected: string;
}

interface ParsedCase extends TranscriptCase {
  /** Line indexes (0-based, end exclusive) of the whole expected block, separator included. */
  readonly blockStart: number;
  readonly blockEnd: number;
  readonly fenced: boolean;
}

function tokenize(text: string): { command: string; args: string[]; kv: Record<string, string> } {
  const tokens = text.trim().split(/\s+/);
  const command = tokens.shift() ?? "";
  const args: string[] = [];
  const kv: Record<string, string> = {};
  for (const token of tokens) {
    const eq = token.indexOf("=");
    if (eq > 0) kv[token.slice(0, eq)] = token.slice(eq + 1);
    else args.push(token);
  }
  return { command, args, kv };
}

export function parseTranscript(text: string, file: string): ParsedCase[] {
  const lines = text.split("\n");
  const cases: ParsedCase[] = [];
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i]!;
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) {
      i++;
      continue;
    }
    const commandLine = i;
    if (lines[i + 1] !== "----") throw new Error(`${file}:${i + 1}: expected "----" after "${raw}"`);
    const blockStart = i + 1;
    i += 2;
    const output: string[] = [];
    let fenced = false;
    if (lines[i] === "----") {
      fenced = true;
      i++;
      while (i < lines.length && !(lines[i] === "----" && lines[i + 1] === "----")) output.push(lines[i++]!);
      if (i >= lines.length) throw new Error(`${file}:${commandLine + 1}: unterminated fenced output`);
      i += 2;
    } else {
      while (i < lines.length && lines[i]!.trim() !== "") output.push(lines[i++]!);
    }
    if (cases.length >= transcriptCasesMax) throw new Error(`${file}: more than ${transcriptCasesMax} cases`);
    cases.push({
      file,
      line: commandLine + 1,
      text: raw.trim(),
      ...tokenize(raw),
      expected: output.join("\n"),
      blockStart,
      blockEnd: i,
      fenced,
    });
  }
  return cases;
}

function renderBlock(output: string): string[] {
  const lines = output === "" ? [] : output.split("\n");
  if (lines.length > transcriptOutputLinesMax) throw new Error("transcript output too long");
  if (lines.some((line) => line.trim() === "")) return ["----", "----", ...lines, "----", "----"];
  return ["----", ...lines];
}

/**
 * Runs every case of `path` through `handler` in order. Compares each output with the expectation, or
 * rewrites the file when `UPDATE_TRANSCRIPTS=1`. Call it inside a `test()`.
 */
export function runTranscript(path: string, handler: (c: TranscriptCase) => string): void {
  const text = readFileSync(path, "utf8");
  const cases = parseTranscript(text, path);
  const update = process.env.UPDATE_TRANSCRIPTS === "1";
  const actuals: string[] = [];
  for (const c of cases) {
    const actual = handler(c).replace(/\s+$/, "");
    actuals.push(actual);
    if (!update) {
      // The location rides in the compared object so a failure names the case.
      expect({ at: `${c.file}:${c.line} ${c.text}`, output: actual }).toEqual({
        at: `${c.file}:${c.line} ${c.text}`,
        output: c.expected,
      });
    }
  }
  if (!update) return;
  const lines = text.split("\n");
  const rewritten: string[] = [];
  let cursor = 0;
  cases.forEach((c, index) => {
    rewritten.push(...lines.slice(cursor, c.blockStart));
    rewritten.push(...renderBlock(actuals[index]!));
    cursor = c.blockEnd;
  });
  rewritten.push(...lines.slice(cursor));
  writeFileSync(path, rewritten.join("\n"));
}

/**
 * Declares one test per `testdata/<machine>/*.txt`, in name order, each run through a fresh handler (a
 * transcript starts from nothing). Call it at the top level of a test file.
 */
export function transcriptTests(machine: string, handlerFor: () => (c: TranscriptCase) => string): void {
  const dir = join(import.meta.dir, "..", "testdata", machine);
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()) {
    test(`${machine} transcript ${file}`, () => runTranscript(join(dir, file), handlerFor()));
  }
}

/** A numeric transcript argument (`count=3`, a positional broker id), or `fallback` when absent. */
export function int(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${value}`);
  return n;
}
