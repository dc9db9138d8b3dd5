/**
 * The argument parser on its own, for what the end-to-end tests cannot show: how `--add-config`
 * lists split (a bracketed list value stays one value, as kafka-configs.sh reads it), negative
 * numbers after `--shift-by` and `--offset`, and repeated `--topic T:P,P`.
 */
import { expect, test } from "bun:test";
import { parseCliArgs } from "../src/args.ts";

test("--add-config splits at commas outside brackets; --delete-config at every comma", () => {
  const { command } = parseCliArgs([
    "configs",
    "alter",
    "--entity-type",
    "topics",
    "--entity-name",
    "t",
    "--add-config",
    "retention.ms=1000,cleanup.policy=[delete,compact]",
    "--add-config",
    "segment.bytes=1048576",
    "--delete-config",
    "max.message.bytes,flush.ms",
  ]);
  expect(command).toEqual({
    kind: "configs alter",
    entityType: "topics",
    entityName: "t",
    set: [
      { name: "retention.ms", value: "1000" },
      { name: "cleanup.policy", value: "delete,compact" },
      { name: "segment.bytes", value: "1048576" },
    ],
    remove: ["max.message.bytes", "flush.ms"],
  });
});

test("negative numbers after --shift-by and --offset; --topic T:P,P repeated", () => {
  expect(
    parseCliArgs(["groups", "reset-offsets", "g", "--topic", "a:2,0,2", "--topic", "b", "--shift-by", "-5"])
      .command,
  ).toEqual({
    kind: "groups reset-offsets",
    group: "g",
    topics: [
      { topic: "a", partitions: [0, 2] },
      { topic: "b", partitions: null },
    ],
    spec: { to: "shift", by: -5 },
    execute: false,
  });
  expect(parseCliArgs(["consume", "t", "--offset", "-3"]).command).toMatchObject({
    kind: "consume",
    start: { from: "offset", offset: -3 },
  });
});
