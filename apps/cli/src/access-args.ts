/**
 * The command lines of `eddy acls ...` and `eddy users ...`, after `args.ts` has parsed the options:
 * which resource an ACL names (`--topic`, `--group`, `--cluster`, or `--resource-type` with
 * `--resource-name`, as kafka-acls.sh), the defaults each action takes (kafka-acls.sh's: create
 * allows from any host on a literal name; delete matches literal names unless told; list matches
 * anything), and SCRAM's mechanism and iterations. Must never do I/O (stdin is read when the command
 * runs) and must refuse a word Kafka does not know with the choices, before anything is sent.
 */
import {
  type AclBinding,
  type AclFilter,
  AclWordError,
  aclCreationsMax,
  aclOperations,
  aclPatternTypes,
  aclPermissions,
  aclResourceTypes,
  aclWord,
  checkPrincipal,
  clusterResourceName,
} from "./acls.ts";
import { type Command, UsageError, type Values } from "./args.ts";
import { type ScramMechanism, scramIterationsMax, scramIterationsMin, scramMechanisms } from "./users.ts";

type AclKind = "acls list" | "acls create" | "acls delete";

/** The resource the flags name: its type and name, or nulls when none is named. */
function resourceOf(v: Values): { type: string | null; name: string | null } {
  const topics = v.topic ?? [];
  const named = [
    topics.length > 0,
    v.group !== undefined,
    v.cluster === true,
    v["resource-type"] !== undefined,
  ];
  if (named.filter(Boolean).length > 1 || topics.length > 1)
    throw new UsageError(
      "name one resource: --topic T, --group G, --cluster, or --resource-type with --resource-name",
    );
  if (topics.length === 1) return { type: "TOPIC", name: topics[0]! };
  if (v.group !== undefined) return { type: "GROUP", name: v.group };
  if (v.cluster === true) return { type: "CLUSTER", name: clusterResourceName };
  if (v["resource-type"] !== undefined)
    return {
      type: aclWord("resource-type", v["resource-type"], aclResourceTypes),
      name: v["resource-name"] ?? null,
    };
  if (v["resource-name"] !== undefined) throw new UsageError("--resource-name needs --resource-type");
  return { type: null, name: null };
}

export function aclCommand(kind: AclKind, v: Values): Command {
  try {
    const resource = resourceOf(v);
    const operations = (v.operation ?? []).map((o) => aclWord("operation", o, aclOperations));
    const principal = v.principal === undefined ? null : checkPrincipal(v.principal);
    if (kind === "acls create") {
      if (principal === null) throw new UsageError("'acls create' needs --principal TYPE:NAME (User:alice)");
      if (operations.length === 0)
        throw new UsageError("'acls create' needs --operation OP (read, write, ...)");
      if (resource.type === null || resource.type === "ANY" || resource.name === null)
        throw new UsageError(
          "'acls create' needs a resource: --topic T, --group G, --cluster, or --resource-type with --resource-name",
        );
      const patternType = aclWord("pattern-type", v["pattern-type"] ?? "literal", aclPatternTypes);
      if (patternType !== "LITERAL" && patternType !== "PREFIXED")
        throw new UsageError("'acls create' takes --pattern-type literal or prefixed");
      const permission = aclWord("permission", v.permission ?? "allow", aclPermissions);
      if (permission === "ANY") throw new UsageError("'acls create' takes --permission allow or deny");
      if (operations.includes("ANY"))
        throw new UsageError("'acls create' cannot grant operation any; use all");
      const unique = [...new Set(operations)];
      if (unique.length > aclCreationsMax) throw new UsageError(`at most ${aclCreationsMax} operations`);
      const bindings: AclBinding[] = unique.map((operation) => ({
        principal,
        host: v.host ?? "*",
        operation,
        permission,
        resourceType: resource.type!,
        resourceName: resource.name!,
        patternType,
      }));
      return { kind, bindings };
    }
    if (operations.length > 1)
      throw new UsageError(`'${kind}' matches one --operation (or any when left out)`);
    const filter: AclFilter = {
      principal,
      host: v.host ?? null,
      operation: operations[0] ?? "ANY",
      permission: v.permission === undefined ? "ANY" : aclWord("permission", v.permission, aclPermissions),
      resourceType: resource.type ?? "ANY",
      resourceName: resource.name,
      // kafka-acls.sh: --list matches any pattern type, --remove literal names unless told.
      patternType: aclWord(
        "pattern-type",
        v["pattern-type"] ?? (kind === "acls list" ? "any" : "literal"),
        aclPatternTypes,
      ),
    };
    return { kind, filter };
  } catch (error) {
    if (error instanceof AclWordError) throw new UsageError(error.message);
    throw error;
  }
}

function mechanismOf(text: string): ScramMechanism {
  const name = text.trim().toUpperCase();
  if (!Object.hasOwn(scramMechanisms, name))
    throw new UsageError(`--mechanism must be ${Object.keys(scramMechanisms).join(" or ")}, not '${text}'`);
  return name as ScramMechanism;
}

export function userCommand(kind: "users alter" | "users delete", user: string, v: Values): Command {
  if (user.trim() === "") throw new UsageError(`'${kind}' needs a user name`);
  if (kind === "users delete")
    return { kind, user, mechanism: v.mechanism === undefined ? null : mechanismOf(v.mechanism) };
  const iterationsText = v.iterations ?? String(scramIterationsMin);
  const iterations = /^[0-9]{1,9}$/.test(iterationsText) ? Number(iterationsText) : Number.NaN;
  if (!(iterations >= scramIterationsMin && iterations <= scramIterationsMax))
    throw new UsageError(
      `--iterations must be a number from ${scramIterationsMin} to ${scramIterationsMax} (Kafka's bounds), not '${iterationsText}'`,
    );
  if (v.password === "") throw new UsageError("--password must not be empty");
  return {
    kind,
    user,
    mechanism: mechanismOf(v.mechanism ?? "SCRAM-SHA-256"),
    iterations,
    password: v.password ?? null,
  };
}
