/**
 * The authorizer's decisions (Kafka's StandardAuthorizer). Goal: deny wins, super users pass, the
 * no-ACL rule and implied operations behave as Kafka's. Method: unit cases pin each rule; fast-check
 * properties over random ACL sets check the rules that must hold for every set (a matching DENY
 * always denies, a super user is always allowed, adding an ALLOW never turns an allowed request into
 * a denied one unless the resource had no ACL, an authorizer that is off allows everything).
 */
import { describe, expect, test } from "bun:test";
import type { controller } from "@eddy/core";
import fc from "fast-check";
import { type AuthorizerSettings, authorize, authorizeAnyResource, authorizeVerdict } from "./authorizer.ts";

type AclBinding = controller.AclBinding;

const on: AuthorizerSettings = {
  enabled: true,
  superUsers: ["User:admin"],
  allowEveryoneIfNoAclFound: false,
};
const alice = { principal: "User:alice", host: "10.0.0.1" };

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

describe("authorizer", () => {
  test("off: everything is allowed", () => {
    const off = { ...on, enabled: false };
    expect(authorize(off, [acl({ permission: "DENY" })], alice, "READ", "TOPIC", "orders")).toBe(true);
  });

  test("no ACL: denied by default, allowed with allow.everyone.if.no.acl.found", () => {
    expect(authorizeVerdict(on, [], alice, "READ", "TOPIC", "orders")).toBe("DENIED_NO_ACL_FOUND");
    const open = { ...on, allowEveryoneIfNoAclFound: true };
    expect(authorizeVerdict(open, [], alice, "READ", "TOPIC", "orders")).toBe("ALLOWED_NO_ACL_FOUND");
    // An ACL for someone else on the resource means it is no longer "no ACL found".
    const other = [acl({ principal: "User:bob" })];
    expect(authorizeVerdict(open, other, alice, "READ", "TOPIC", "orders")).toBe("DENIED_NO_MATCHING_ALLOW");
  });

  test("literal, wildcard and prefixed patterns; User:* and host matching", () => {
    expect(authorize(on, [acl()], alice, "READ", "TOPIC", "orders")).toBe(true);
    expect(authorize(on, [acl()], alice, "READ", "TOPIC", "orders2")).toBe(false);
    expect(authorize(on, [acl({ resourceName: "*" })], alice, "READ", "TOPIC", "anything")).toBe(true);
    const prefixed = [acl({ resourceName: "ord", patternType: "PREFIXED" })];
    expect(authorize(on, prefixed, alice, "READ", "TOPIC", "orders")).toBe(true);
    expect(authorize(on, prefixed, alice, "READ", "TOPIC", "payments")).toBe(false);
    // A prefixed `*` is a prefix like any other, not a wildcard.
    expect(
      authorize(on, [acl({ resourceName: "*", patternType: "PREFIXED" })], alice, "READ", "TOPIC", "o"),
    ).toBe(false);
    expect(authorize(on, [acl({ principal: "User:*" })], alice, "READ", "TOPIC", "orders")).toBe(true);
    expect(authorize(on, [acl({ host: "10.0.0.2" })], alice, "READ", "TOPIC", "orders")).toBe(false);
    expect(authorize(on, [acl({ host: "10.0.0.1" })], alice, "READ", "TOPIC", "orders")).toBe(true);
    expect(authorize(on, [acl({ resourceType: "GROUP" })], alice, "READ", "TOPIC", "orders")).toBe(false);
  });

  test("implied operations: READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS", () => {
    for (const op of ["READ", "WRITE", "DELETE", "ALTER", "ALL"] as const)
      expect(authorize(on, [acl({ operation: op })], alice, "DESCRIBE", "TOPIC", "orders")).toBe(true);
    expect(authorize(on, [acl({ operation: "CREATE" })], alice, "DESCRIBE", "TOPIC", "orders")).toBe(false);
    expect(
      authorize(on, [acl({ operation: "ALTER_CONFIGS" })], alice, "DESCRIBE_CONFIGS", "TOPIC", "orders"),
    ).toBe(true);
    expect(authorize(on, [acl({ operation: "DESCRIBE" })], alice, "READ", "TOPIC", "orders")).toBe(false);
  });

  test("deny wins; a DENY of READ does not deny DESCRIBE, a DENY of ALL does", () => {
    const both = [acl({ operation: "ALL" }), acl({ permission: "DENY" })];
    expect(authorizeVerdict(on, both, alice, "READ", "TOPIC", "orders")).toBe("DENIED_BY_ACL");
    expect(authorize(on, both, alice, "DESCRIBE", "TOPIC", "orders")).toBe(true);
    const denyAll = [
      acl({ operation: "ALL" }),
      acl({ operation: "ALL", permission: "DENY", resourceName: "*" }),
    ];
    expect(authorize(on, denyAll, alice, "DESCRIBE", "TOPIC", "orders")).toBe(false);
  });

  test("super users are allowed whatever the ACLs say", () => {
    const admin = { principal: "User:admin", host: "10.0.0.9" };
    const denyAll = [acl({ principal: "User:*", operation: "ALL", permission: "DENY", resourceName: "*" })];
    expect(authorizeVerdict(on, denyAll, admin, "WRITE", "TOPIC", "orders")).toBe("ALLOWED_SUPER_USER");
  });

  test("WRITE on any topic: an ALLOW somewhere counts unless a DENY covers it", () => {
    expect(authorizeAnyResource(on, [], alice, "WRITE", "TOPIC")).toBe(false);
    expect(authorizeAnyResource(on, [acl({ operation: "WRITE" })], alice, "WRITE", "TOPIC")).toBe(true);
    const covered = [
      acl({ operation: "WRITE", resourceName: "orders-eu" }),
      acl({ operation: "WRITE", permission: "DENY", resourceName: "orders", patternType: "PREFIXED" }),
    ];
    expect(authorizeAnyResource(on, covered, alice, "WRITE", "TOPIC")).toBe(false);
  });
});

const arbAcl: fc.Arbitrary<AclBinding> = fc.record({
  resourceType: fc.constantFrom("TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID"),
  resourceName: fc.constantFrom("a", "ab", "b", "*", "kafka-cluster"),
  patternType: fc.constantFrom("LITERAL", "PREFIXED"),
  principal: fc.constantFrom("User:alice", "User:bob", "User:*", "User:admin"),
  host: fc.constantFrom("*", "10.0.0.1", "10.0.0.2"),
  operation: fc.constantFrom("ALL", "READ", "WRITE", "DESCRIBE", "ALTER", "DELETE", "CREATE"),
  permission: fc.constantFrom("ALLOW", "DENY"),
});
const arbRequest = fc.record({
  who: fc.record({
    principal: fc.constantFrom("User:alice", "User:bob", "User:carol", "User:admin"),
    host: fc.constantFrom("10.0.0.1", "10.0.0.2"),
  }),
  operation: fc.constantFrom("READ", "WRITE", "DESCRIBE", "ALTER", "DELETE", "CREATE"),
  resourceType: fc.constantFrom("TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID"),
  resourceName: fc.constantFrom("a", "ab", "abc", "b", "kafka-cluster"),
});
const arbSettings = fc.record({
  enabled: fc.constant(true),
  superUsers: fc.constantFrom<readonly string[]>([], ["User:admin"]),
  allowEveryoneIfNoAclFound: fc.boolean(),
});

describe("authorizer properties", () => {
  test("a DENY matching the request (principal, host, resource, operation) always denies a non-super user", () => {
    fc.assert(
      fc.property(arbSettings, fc.array(arbAcl, { maxLength: 12 }), arbRequest, (settings, acls, r) => {
        fc.pre(!settings.superUsers.includes(r.who.principal));
        const deny: AclBinding = {
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          patternType: "LITERAL",
          principal: r.who.principal,
          host: r.who.host,
          operation: r.operation,
          permission: "DENY",
        };
        const withDeny = [...acls, deny];
        expect(authorize(settings, withDeny, r.who, r.operation, r.resourceType, r.resourceName)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  test("a super user is always allowed", () => {
    fc.assert(
      fc.property(fc.array(arbAcl, { maxLength: 12 }), arbRequest, fc.boolean(), (acls, r, open) => {
        const settings = { enabled: true, superUsers: [r.who.principal], allowEveryoneIfNoAclFound: open };
        expect(authorize(settings, acls, r.who, r.operation, r.resourceType, r.resourceName)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("allowed means an applicable ALLOW, or no ACL on the resource with the open rule; never a matching DENY", () => {
    fc.assert(
      fc.property(arbSettings, fc.array(arbAcl, { maxLength: 12 }), arbRequest, (settings, acls, r) => {
        fc.pre(!settings.superUsers.includes(r.who.principal));
        const covers = (a: AclBinding) =>
          a.resourceType === r.resourceType &&
          (a.patternType === "PREFIXED"
            ? r.resourceName.startsWith(a.resourceName)
            : a.resourceName === r.resourceName || a.resourceName === "*");
        const applies = (a: AclBinding) =>
          covers(a) &&
          (a.principal === r.who.principal || a.principal === "User:*") &&
          (a.host === r.who.host || a.host === "*");
        const implied: Record<string, string[]> = { DESCRIBE: ["READ", "WRITE", "DELETE", "ALTER"] };
        const denied = acls.some(
          (a) =>
            applies(a) && a.permission === "DENY" && (a.operation === r.operation || a.operation === "ALL"),
        );
        const allowedByAcl = acls.some(
          (a) =>
            applies(a) &&
            a.permission === "ALLOW" &&
            (a.operation === r.operation ||
              a.operation === "ALL" ||
              (implied[r.operation] ?? []).includes(a.operation)),
        );
        const noAcl = !acls.some(covers);
        const expected = !denied && (allowedByAcl || (noAcl && settings.allowEveryoneIfNoAclFound));
        expect(authorize(settings, acls, r.who, r.operation, r.resourceType, r.resourceName)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  test("an authorizer that is off allows everything", () => {
    fc.assert(
      fc.property(fc.array(arbAcl, { maxLength: 8 }), arbRequest, (acls, r) => {
        const off = { enabled: false, superUsers: [], allowEveryoneIfNoAclFound: false };
        expect(authorize(off, acls, r.who, r.operation, r.resourceType, r.resourceName)).toBe(true);
      }),
    );
  });
});
