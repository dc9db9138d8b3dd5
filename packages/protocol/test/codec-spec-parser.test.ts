// The spec parser behind the generator: comments stripped outside strings only, version ranges, structs
// found wherever they are defined, and clear failures on what it does not understand.

import { expect, test } from "bun:test";
import { parseMessage, parseRange, stripComments } from "../scripts/spec.ts";

const spec = `// header comment
{
  "apiKey": 99, // trailing comment
  "type": "request",
  "name": "ExampleRequest",
  "validVersions": "0-3",
  "flexibleVersions": "2+",
  "fields": [
    // a comment line inside the array
    { "name": "Url", "type": "string", "versions": "0+", "about": "see http://example.com // not a comment" },
    { "name": "Items", "type": "[]Item", "versions": "1+", "nullableVersions": "2+", "fields": [
      { "name": "Id", "type": "int32", "versions": "1+", "default": "0x7fffffff" }
    ]},
    { "name": "Again", "type": "[]Item", "versions": "3+" },
    { "name": "Extra", "type": "Common", "versions": "2+", "taggedVersions": "2+", "tag": "0" }
  ],
  "commonStructs": [
    { "name": "Common", "versions": "0+", "fields": [ { "name": "X", "type": "bool", "versions": "0+" } ] }
  ]
}`;

test("comments are stripped outside strings only", () => {
  const stripped = stripComments(spec);
  expect(stripped).not.toContain("trailing comment");
  expect(stripped).toContain("http://example.com // not a comment");
});

test("a message parses into ranges, fields and structs", () => {
  const m = parseMessage("Example.json", spec);
  expect(m.apiKey).toBe(99);
  expect(m.validVersions).toEqual({ lo: 0, hi: 3 });
  expect(m.flexibleVersions).toEqual({ lo: 2, hi: Number.POSITIVE_INFINITY });
  expect(m.fields.map((f) => f.name)).toEqual(["Url", "Items", "Again", "Extra"]);
  expect(m.fields[1]!.type).toEqual({ kind: "array", element: { kind: "struct", name: "Item" } });
  expect(m.fields[3]!.tag).toBe(0);
  expect([...m.structs.keys()].sort()).toEqual(["Common", "Item"]);
  expect(m.structs.get("Item")!.fields[0]!.defaultRaw).toBe("0x7fffffff");
});

test("ranges", () => {
  expect(parseRange("none", "x")).toEqual({ lo: 1, hi: 0 });
  expect(parseRange("5", "x")).toEqual({ lo: 5, hi: 5 });
  expect(() => parseRange("5-", "x")).toThrow("cannot parse version range");
});

test("unknown types and undefined structs fail with the field named", () => {
  const bad = spec.replace('"type": "int32"', '"type": "int128"');
  expect(() => parseMessage("Bad.json", bad)).toThrow("ExampleRequest.Items.Id: unknown type int128");
  const missing = spec.replace('"type": "Common"', '"type": "Nowhere"');
  expect(() => parseMessage("Missing.json", missing)).toThrow("struct Nowhere is never defined");
  expect(() => parseMessage("Broken.json", "{ nope")).toThrow("invalid JSON after stripping comments");
});
