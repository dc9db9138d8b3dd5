/**
 * ACLs in the metadata log (Kafka's AclControlManager). Goal: CreateAcls and DeleteAcls decide as
 * Kafka does, commit as AccessControlEntry / RemoveAccessControlEntry records, and leave images
 * without ACLs exactly as they were. Method: unit tests pin the answers and records (duplicates,
 * invalid bindings, Kafka's MATCH filter, one removal for an ACL two filters match, a standby); a
 * fast-check model compares the image's ACL set after random creations and deletions with a naive
 * set, and every filter's answer with a direct scan of the ACLs before the request.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { AclBinding, AclFilter } from "../src/controller/index.ts";
import * as controller from "../src/controller/index.ts";
import { InvariantError } from "../src/invariant.ts";
import { prngFromSeed } from "../src/prng.ts";
import { Driver } from "./controller-driver.ts";

function acl(overrides: Partial<AclBinding> = {}): AclBinding {
  return {
    resourceType: "TOPIC",
    resourceName: "orders",
    patternType: "LITERAL",
    principal: "User:alice",
    host: "*",
    operation: "READ",
    permission: "ALLOW",
    ...overrides,
  };
}

const anyFilter: AclFilter = {
  resourceType: "ANY",
  resourceName: null,
  patternType: "ANY",
  principal: null,
  host: null,
  operation: "ANY",
  permission: "ANY",
};

function activeDriver(): Driver {
  const d = new Driver();
  d.register(1, 0);
  return d;
}

describe("controller: ACLs", () => {
  test("creates bindings as AccessControlEntry records; an existing one succeeds with no record", () => {
    const d = activeDriver();
    expect("acls" in d.image).toBe(false);
    const first = d.send({ type: "createAcls", acls: [acl(), acl({ operation: "WRITE" }), acl()] });
    expect(first.response).toEqual({
      type: "createAcls",
      results: [{ error: "NONE" }, { error: "NONE" }, { error: "NONE" }],
    });
    expect(first.records).toEqual([
      { type: "AccessControlEntry", acl: acl() },
      { type: "AccessControlEntry", acl: acl({ operation: "WRITE" }) },
    ]);
    expect(d.image.acls).toEqual([acl(), acl({ operation: "WRITE" })]);
    const again = d.send({ type: "createAcls", acls: [acl()] });
    expect(again).toEqual({ records: [], response: { type: "createAcls", results: [{ error: "NONE" }] } });
  });

  test("refuses invalid bindings with INVALID_REQUEST and records nothing for them", () => {
    const d = activeDriver();
    const invalid: AclBinding[] = [
      acl({ principal: "alice" }),
      acl({ principal: "User:" }),
      acl({ resourceName: "" }),
      acl({ host: "" }),
      acl({ resourceType: "CLUSTER", resourceName: "other" }),
      acl({ operation: "ANY" as never }),
      acl({ patternType: "MATCH" as never }),
      acl({ permission: "ANY" as never }),
      acl({ resourceType: "ANY" as never }),
    ];
    const ready = d.send({
      type: "createAcls",
      acls: [...invalid, acl({ resourceType: "CLUSTER", resourceName: "kafka-cluster" })],
    });
    expect(ready.response).toEqual({
      type: "createAcls",
      results: [...invalid.map(() => ({ error: "INVALID_REQUEST" as const })), { error: "NONE" }],
    });
    expect(ready.records).toHaveLength(1);
  });

  test("deletes with Kafka's filter rules; an ACL two filters match is removed once and reported twice", () => {
    const d = activeDriver();
    const literal = acl();
    const wildcard = acl({ resourceName: "*" });
    const prefixed = acl({ resourceName: "ord", patternType: "PREFIXED" });
    const group = acl({ resourceType: "GROUP", resourceName: "orders" });
    d.send({ type: "createAcls", acls: [literal, wildcard, prefixed, group] });
    const match: AclFilter = {
      ...anyFilter,
      resourceType: "TOPIC",
      resourceName: "orders",
      patternType: "MATCH",
    };
    const exact: AclFilter = {
      ...anyFilter,
      resourceType: "TOPIC",
      resourceName: "orders",
      patternType: "LITERAL",
    };
    const ready = d.send({ type: "deleteAcls", filters: [match, exact] });
    expect(ready.response).toEqual({
      type: "deleteAcls",
      results: [
        { error: "NONE", acls: [literal, wildcard, prefixed] },
        { error: "NONE", acls: [literal] },
      ],
    });
    expect(ready.records.map((r) => r.type)).toEqual([
      "RemoveAccessControlEntry",
      "RemoveAccessControlEntry",
      "RemoveAccessControlEntry",
    ]);
    expect(d.image.acls).toEqual([group]);
    d.send({ type: "deleteAcls", filters: [anyFilter] });
    // Empty again: the field goes, so the image is the shape it had before any ACL.
    expect("acls" in d.image).toBe(false);
  });

  test("a standby answers NOT_CONTROLLER and proposes nothing", () => {
    const state = controller.initialState({ prng: prngFromSeed(3) });
    const create = controller.step(state, { type: "createAcls", acls: [acl()] }).ready;
    expect(create).toEqual({
      records: [],
      response: { type: "createAcls", results: [{ error: "NOT_CONTROLLER" }] },
    });
    const del = controller.step(state, { type: "deleteAcls", filters: [anyFilter] }).ready;
    expect(del.response).toEqual({ type: "deleteAcls", results: [{ error: "NOT_CONTROLLER", acls: [] }] });
  });

  test("the image refuses a duplicate creation or the removal of an absent ACL (a controller bug)", () => {
    const image = controller.applyRecord(controller.emptyImage, { type: "AccessControlEntry", acl: acl() });
    expect(() => controller.applyRecord(image, { type: "AccessControlEntry", acl: acl() })).toThrow(
      InvariantError,
    );
    expect(() =>
      controller.applyRecord(image, { type: "RemoveAccessControlEntry", acl: acl({ host: "10.0.0.1" }) }),
    ).toThrow(InvariantError);
  });

  test("the ACL count is bounded: a creation past aclsMax is refused with POLICY_VIOLATION", () => {
    const current = Array.from({ length: controller.aclsMax }, (_, i) => acl({ resourceName: `t${i}` }));
    const decision = controller.decideCreateAcls(current, [
      acl({ resourceName: "t0" }),
      acl({ resourceName: "new" }),
    ]);
    expect(decision.results).toEqual([{ error: "NONE" }, { error: "POLICY_VIOLATION" }]);
    expect(decision.records).toEqual([]);
  });
});

const arbAcl: fc.Arbitrary<AclBinding> = fc.record({
  resourceType: fc.constantFrom("TOPIC", "GROUP"),
  resourceName: fc.constantFrom("a", "ab", "abc", "b", "*"),
  patternType: fc.constantFrom("LITERAL", "PREFIXED"),
  principal: fc.constantFrom("User:alice", "User:bob", "User:*"),
  host: fc.constantFrom("*", "10.0.0.1"),
  operation: fc.constantFrom("READ", "WRITE", "ALL"),
  permission: fc.constantFrom("ALLOW", "DENY"),
});

const arbFilter: fc.Arbitrary<AclFilter> = fc.record({
  resourceType: fc.constantFrom("TOPIC", "GROUP", "ANY"),
  resourceName: fc.constantFrom(null, "a", "ab", "abc", "*"),
  patternType: fc.constantFrom("LITERAL", "PREFIXED", "ANY", "MATCH"),
  principal: fc.constantFrom(null, "User:alice", "User:*"),
  host: fc.constantFrom(null, "*"),
  operation: fc.constantFrom("ANY", "READ", "ALL"),
  permission: fc.constantFrom("ANY", "ALLOW", "DENY"),
});

/** Kafka's matching written out once more, naively, as the model to compare with. */
function naiveMatches(f: AclFilter, a: AclBinding): boolean {
  if (f.resourceType !== "ANY" && f.resourceType !== a.resourceType) return false;
  if (f.principal !== null && f.principal !== a.principal) return false;
  if (f.host !== null && f.host !== a.host) return false;
  if (f.operation !== "ANY" && f.operation !== a.operation) return false;
  if (f.permission !== "ANY" && f.permission !== a.permission) return false;
  if (f.patternType === "LITERAL" || f.patternType === "PREFIXED") {
    return f.patternType === a.patternType && (f.resourceName === null || f.resourceName === a.resourceName);
  }
  if (f.resourceName === null) return true;
  if (f.patternType === "ANY") return f.resourceName === a.resourceName;
  // MATCH
  if (a.patternType === "LITERAL") return a.resourceName === f.resourceName || a.resourceName === "*";
  return f.resourceName.startsWith(a.resourceName);
}

describe("controller: ACLs against a naive set", () => {
  test("random creations and deletions keep the image's ACLs equal to the model's", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("create" as const), acls: fc.array(arbAcl, { maxLength: 4 }) }),
      fc.record({ kind: fc.constant("delete" as const), filters: fc.array(arbFilter, { maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const d = activeDriver();
        let model: AclBinding[] = [];
        const key = controller.aclKey;
        for (const o of ops) {
          if (o.kind === "create") {
            d.send({ type: "createAcls", acls: o.acls });
            for (const a of o.acls) if (!model.some((m) => key(m) === key(a))) model.push(a);
          } else {
            const ready = d.send({ type: "deleteAcls", filters: o.filters });
            const before = model;
            const answered = ready.response?.type === "deleteAcls" ? ready.response.results : [];
            o.filters.forEach((f, i) => {
              expect(answered[i]?.acls).toEqual(before.filter((a) => naiveMatches(f, a)));
            });
            model = before.filter((a) => !o.filters.some((f) => naiveMatches(f, a)));
          }
          expect(controller.aclsOf(d.image)).toEqual(model);
          expect("acls" in d.image).toBe(model.length > 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
