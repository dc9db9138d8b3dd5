import { describe, expect, test } from "bun:test";
import { definitionsByName } from "./definitions.ts";
import { propertyProblem, propertySchema } from "./property-schema.ts";

describe("each configuration key is decoded by its effect Schema", () => {
  const def = (name: string) => {
    const found = definitionsByName.get(name);
    if (found === undefined) throw new Error(`no definition ${name}`);
    return found;
  };

  test("integers: not an integer, below the minimum, above the maximum, and valid text", () => {
    const nodeId = def("node.id");
    expect(propertyProblem(nodeId, "one")).toBe('expected an integer, got "one"');
    expect(propertyProblem(nodeId, "-1")).toBe("must be at least 0, got -1");
    expect(propertyProblem(nodeId, "2147483648")).toBe("must be at most 2147483647, got 2147483648");
    expect(propertyProblem(nodeId, " 7 ")).toBeNull();
  });

  test("booleans and strings", () => {
    expect(propertyProblem(def("delete.topic.enable"), "yes")).toBe('expected true or false, got "yes"');
    expect(propertyProblem(def("delete.topic.enable"), "TRUE")).toBeNull();
    expect(propertyProblem(def("log.dirs"), "/any/path")).toBeNull();
  });

  test("every defined key has a schema, and every documented default decodes with it", () => {
    for (const d of definitionsByName.values()) {
      expect(propertySchema(d)).toBeDefined();
      if (d.defaultText !== null) expect([d.name, propertyProblem(d, d.defaultText)]).toEqual([d.name, null]);
    }
  });
});
