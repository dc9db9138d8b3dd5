/**
 * Access control lists in the metadata log, as KRaft keeps them (Kafka's AclControlManager): an ACL
 * binding (a resource pattern and an access control entry), the filters CreateAcls' refusals and
 * DeleteAcls use with Kafka's matching rules, and the controller's decisions for the `createAcls` and
 * `deleteAcls` inputs, committed as AccessControlEntry and RemoveAccessControlEntry records.
 *
 * Owns: what a valid binding is, what a filter matches, which records a request proposes and what it
 * answers. It must never authorize a request (that is the broker's authorizer, which reads the
 * image's ACLs) and never perform I/O, read a clock or draw randomness.
 */
import { invariant } from "../invariant.ts";

/** The resource types an ACL may name (Kafka's ResourceType without UNKNOWN, ANY and the token types). */
export const aclResourceTypes = ["TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID"] as const;
export type AclResourceType = (typeof aclResourceTypes)[number];

/** How a binding's resource name is read: the exact name (`*` meaning every name) or a prefix. */
export const aclPatternTypes = ["LITERAL", "PREFIXED"] as const;
export type AclPatternType = (typeof aclPatternTypes)[number];

/** Kafka's AclOperation values a binding may carry (ANY and UNKNOWN are filter-only or invalid). */
export const aclOperations = [
  "ALL",
  "READ",
  "WRITE",
  "CREATE",
  "DELETE",
  "ALTER",
  "DESCRIBE",
  "CLUSTER_ACTION",
  "DESCRIBE_CONFIGS",
  "ALTER_CONFIGS",
  "IDEMPOTENT_WRITE",
  "CREATE_TOKENS",
  "DESCRIBE_TOKENS",
] as const;
export type AclOperation = (typeof aclOperations)[number];

export const aclPermissions = ["ALLOW", "DENY"] as const;
export type AclPermission = (typeof aclPermissions)[number];

/** One ACL: who (`principal` from `host`) may or may not do `operation` on the resources of a pattern. */
export interface AclBinding {
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly patternType: AclPatternType;
  /** `User:alice`, or `User:*` for every principal. */
  readonly principal: string;
  /** A client address, or `*` for every host. */
  readonly host: string;
  readonly operation: AclOperation;
  readonly permission: AclPermission;
}

/**
 * Kafka's AclBindingFilter: null names, principals and hosts match anything, ANY matches any value,
 * and the pattern type MATCH matches every pattern that would apply to the named resource (the exact
 * literal, the literal `*` and every prefix of the name).
 */
export interface AclFilter {
  readonly resourceType: AclResourceType | "ANY";
  readonly resourceName: string | null;
  readonly patternType: AclPatternType | "ANY" | "MATCH";
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: AclOperation | "ANY";
  readonly permission: AclPermission | "ANY";
}

/** The literal resource name that stands for every resource of its type. */
export const aclWildcardName = "*";
/** The one name a CLUSTER resource has (Kafka's `kafka-cluster`). */
export const aclClusterName = "kafka-cluster";
/** The most ACLs the image holds; a creation past it is refused with POLICY_VIOLATION. */
export const aclsMax = 10_000;
/** The most creations or filters one request may carry. */
export const aclRequestItemsMax = 1_000;
/** The longest resource name, principal or host a binding may carry, in UTF-16 units. */
export const aclFieldCharsMax = 1_024;

/** The error names ACL requests answer with (a subset of the controller's). */
export type AclError = "NONE" | "NOT_CONTROLLER" | "INVALID_REQUEST" | "POLICY_VIOLATION";

/** One binding as text, field by field in a fixed order: equal bindings have equal keys. */
export function aclKey(acl: AclBinding): string {
  return JSON.stringify([
    acl.resourceType,
    acl.resourceName,
    acl.patternType,
    acl.principal,
    acl.host,
    acl.operation,
    acl.permission,
  ]);
}

/** The same binding with exactly its seven fields, so records and images hold nothing else. */
export function aclOf(acl: AclBinding): AclBinding {
  return {
    resourceType: acl.resourceType,
    resourceName: acl.resourceName,
    patternType: acl.patternType,
    principal: acl.principal,
    host: acl.host,
    operation: acl.operation,
    permission: acl.permission,
  };
}

function boundedText(text: unknown): text is string {
  return typeof text === "string" && text.length > 0 && text.length <= aclFieldCharsMax;
}

/**
 * Why Kafka would refuse to create this binding (AclControlManager.validateNewAcl and the
 * principal's `Type:name` form), or null when it is valid. Values from JSON are checked too: a
 * request forwarded by another node arrives as parsed text.
 */
export function aclProblem(acl: AclBinding): string | null {
  if (!(aclResourceTypes as readonly string[]).includes(acl.resourceType)) return "unknown resource type";
  if (!(aclPatternTypes as readonly string[]).includes(acl.patternType)) return "unknown pattern type";
  if (!(aclOperations as readonly string[]).includes(acl.operation)) return "unknown operation";
  if (!(aclPermissions as readonly string[]).includes(acl.permission)) return "unknown permission type";
  if (!boundedText(acl.resourceName)) return "resource name empty or too long";
  if (!boundedText(acl.principal)) return "principal empty or too long";
  if (!boundedText(acl.host)) return "host empty or too long";
  const colon = acl.principal.indexOf(":");
  if (colon <= 0 || colon === acl.principal.length - 1) return "principal is not of the form Type:name";
  if (acl.resourceType === "CLUSTER" && acl.resourceName !== aclClusterName)
    return `the only CLUSTER resource is ${aclClusterName}`;
  return null;
}

/** Kafka's ResourcePatternFilter.matches. */
function patternMatches(filter: AclFilter, acl: AclBinding): boolean {
  if (filter.resourceType !== "ANY" && filter.resourceType !== acl.resourceType) return false;
  if (
    filter.patternType !== "ANY" &&
    filter.patternType !== "MATCH" &&
    filter.patternType !== acl.patternType
  )
    return false;
  const name = filter.resourceName;
  if (name === null) return true;
  if (filter.patternType === "ANY" || filter.patternType === acl.patternType)
    return name === acl.resourceName;
  // MATCH: every pattern that applies to the named resource.
  return acl.patternType === "LITERAL"
    ? name === acl.resourceName || acl.resourceName === aclWildcardName
    : name.startsWith(acl.resourceName);
}

/** Kafka's AclBindingFilter.matches: the pattern filter and the entry filter both match. */
export function aclFilterMatches(filter: AclFilter, acl: AclBinding): boolean {
  return (
    patternMatches(filter, acl) &&
    (filter.principal === null || filter.principal === acl.principal) &&
    (filter.host === null || filter.host === acl.host) &&
    (filter.operation === "ANY" || filter.operation === acl.operation) &&
    (filter.permission === "ANY" || filter.permission === acl.permission)
  );
}

/** A filter's fields hold values Kafka knows (checked for filters that arrive as parsed JSON). */
export function aclFilterProblem(filter: AclFilter): string | null {
  const known = (value: unknown, values: readonly string[], extra: readonly string[]) =>
    typeof value === "string" && (values.includes(value) || extra.includes(value));
  if (!known(filter.resourceType, aclResourceTypes, ["ANY"])) return "unknown resource type";
  if (!known(filter.patternType, aclPatternTypes, ["ANY", "MATCH"])) return "unknown pattern type";
  if (!known(filter.operation, aclOperations, ["ANY"])) return "unknown operation";
  if (!known(filter.permission, aclPermissions, ["ANY"])) return "unknown permission type";
  for (const text of [filter.resourceName, filter.principal, filter.host]) {
    if (text !== null && (typeof text !== "string" || text.length > aclFieldCharsMax))
      return "filter text too long";
  }
  return null;
}

/** The ACL records: Kafka's AccessControlEntryRecord and RemoveAccessControlEntryRecord. */
export type AclRecord =
  | { readonly type: "AccessControlEntry"; readonly acl: AclBinding }
  | { readonly type: "RemoveAccessControlEntry"; readonly acl: AclBinding };

/** What a CreateAcls decision proposes and answers, one result per requested binding, in order. */
export interface CreateAclsDecision {
  readonly records: readonly AclRecord[];
  readonly results: readonly { readonly error: AclError }[];
}

/**
 * Kafka's AclControlManager.createAcls on the ACLs the controller has decided on so far: an invalid
 * binding is refused with INVALID_REQUEST, one that exists already (or earlier in the same request)
 * succeeds with no record, and a new one past `aclsMax` is refused with POLICY_VIOLATION.
 */
export function decideCreateAcls(
  current: readonly AclBinding[],
  acls: readonly AclBinding[],
): CreateAclsDecision {
  invariant(current.length <= aclsMax, "acls: the image holds more ACLs than its bound");
  if (acls.length > aclRequestItemsMax)
    return { records: [], results: acls.map(() => ({ error: "INVALID_REQUEST" as const })) };
  const keys = new Set(current.map(aclKey));
  const records: AclRecord[] = [];
  const results = acls.map((requested): { error: AclError } => {
    if (aclProblem(requested) !== null) return { error: "INVALID_REQUEST" };
    const acl = aclOf(requested);
    const key = aclKey(acl);
    if (keys.has(key)) return { error: "NONE" };
    if (keys.size >= aclsMax) return { error: "POLICY_VIOLATION" };
    keys.add(key);
    records.push({ type: "AccessControlEntry", acl });
    return { error: "NONE" };
  });
  invariant(keys.size <= aclsMax, "acls: a decision went past the ACL bound");
  invariant(records.length <= acls.length, "acls: more records than creations");
  return { records, results };
}

/** What a DeleteAcls decision proposes and answers, one result per filter, in order. */
export interface DeleteAclsDecision {
  readonly records: readonly AclRecord[];
  readonly results: readonly { readonly error: AclError; readonly acls: readonly AclBinding[] }[];
}

/**
 * Kafka's AclControlManager.deleteAcls: every filter is matched against the ACLs as they were before
 * the request, so an ACL two filters match is reported by both and removed once (one record).
 */
export function decideDeleteAcls(
  current: readonly AclBinding[],
  filters: readonly AclFilter[],
): DeleteAclsDecision {
  invariant(current.length <= aclsMax, "acls: the image holds more ACLs than its bound");
  if (filters.length > aclRequestItemsMax)
    return { records: [], results: filters.map(() => ({ error: "INVALID_REQUEST" as const, acls: [] })) };
  const removed = new Set<string>();
  const records: AclRecord[] = [];
  const results = filters.map((filter) => {
    if (aclFilterProblem(filter) !== null) return { error: "INVALID_REQUEST" as const, acls: [] };
    const matched = current.filter((acl) => aclFilterMatches(filter, acl));
    for (const acl of matched) {
      const key = aclKey(acl);
      if (removed.has(key)) continue;
      removed.add(key);
      records.push({ type: "RemoveAccessControlEntry", acl });
    }
    return { error: "NONE" as const, acls: matched };
  });
  invariant(records.length <= current.length, "acls: more removals than ACLs");
  return { records, results };
}

/**
 * Folds one ACL record into an image's ACL list (a new array; the old one is shared with earlier
 * images). The records come from the committed log, which only a validating controller writes, so a
 * duplicate creation or the removal of an absent ACL is a controller bug and fails loudly.
 */
export function applyAclRecord(acls: readonly AclBinding[], record: AclRecord): AclBinding[] {
  const key = aclKey(record.acl);
  const at = acls.findIndex((acl) => aclKey(acl) === key);
  if (record.type === "AccessControlEntry") {
    invariant(at === -1, "image: an ACL created twice");
    invariant(aclProblem(record.acl) === null, "image: an invalid ACL");
    invariant(acls.length < aclsMax, "image: too many ACLs");
    return [...acls, aclOf(record.acl)];
  }
  invariant(at !== -1, "image: removing an ACL that does not exist");
  return [...acls.slice(0, at), ...acls.slice(at + 1)];
}
