/**
 * `eddy acls list|create|delete`, as `kafka-acls.sh --list|--add|--remove`: DescribeAcls (29),
 * CreateAcls (30) and DeleteAcls (31) v1, with Kafka's names for principals, hosts, operations,
 * permissions, resource types and pattern types. Owns turning the command line's words into Kafka's
 * enum values (a word Kafka does not know is a usage error naming the choices) and the answers into
 * plain rows. Must never send a request with an UNKNOWN value: the broker would refuse the whole
 * request, so such a word is refused here first.
 */
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { type Admin, ApiVersion, codeText, KafkaError } from "./admin.ts";

/** Kafka's AclOperation values by name (UNKNOWN is never sent). */
export const aclOperations = {
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
/** Kafka's AclPermissionType values by name. */
export const aclPermissions = { ANY: 1, DENY: 2, ALLOW: 3 } as const;
/** Kafka's ResourceType values by name. */
export const aclResourceTypes = {
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
/** Kafka's PatternType values by name. */
export const aclPatternTypes = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

/** The one name of Kafka's cluster resource. */
export const clusterResourceName = "kafka-cluster";
/** The most bindings one `acls create` makes (principals times operations): one request's worth. */
export const aclCreationsMax = 1_000;

/** One ACL: who may (or may not) do what, from where, on which resources. */
export interface AclBinding {
  readonly principal: string;
  readonly host: string;
  readonly operation: string;
  readonly permission: string;
  readonly resourceType: string;
  readonly resourceName: string;
  readonly patternType: string;
}

/** What `acls list` and `acls delete` match; null is ANY (for names: any name). */
export interface AclFilter {
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: string;
  readonly permission: string;
  readonly resourceType: string;
  readonly resourceName: string | null;
  readonly patternType: string;
}

/** Thrown for a word Kafka does not know; args.ts turns it into a usage error. */
export class AclWordError extends Error {}

/** The upper-case name of `word` in `table` (`topic`, `Topic`, `transactional-id` all read), or an error naming the choices. */
export function aclWord(flag: string, word: string, table: Readonly<Record<string, number>>): string {
  const name = word.trim().toUpperCase().replaceAll("-", "_");
  if (!Object.hasOwn(table, name)) {
    const choices = Object.keys(table).map((n) => n.toLowerCase().replaceAll("_", "-"));
    throw new AclWordError(`--${flag} must be one of ${choices.join(", ")}, not '${word}'`);
  }
  return name;
}

/** Kafka's principal form, `Type:name` (User:alice); anything else the broker refuses. */
export function checkPrincipal(principal: string): string {
  if (!/^[^:\s]+:.+$/.test(principal)) {
    throw new AclWordError(`--principal must be TYPE:NAME such as User:alice, not '${principal}'`);
  }
  return principal;
}

const nameOf = (table: Readonly<Record<string, number>>, value: number): string =>
  Object.entries(table).find(([, v]) => v === value)?.[0] ?? `UNKNOWN(${value})`;
const kafkaValue = (table: Readonly<Record<string, number>>, name: string): number => {
  const value = table[name];
  if (value === undefined) throw new KafkaError(`bug: ${name} is not a Kafka name`);
  return value;
};

function filterBody(f: AclFilter) {
  return {
    resourceTypeFilter: kafkaValue(aclResourceTypes, f.resourceType),
    resourceNameFilter: f.resourceName,
    patternTypeFilter: kafkaValue(aclPatternTypes, f.patternType),
    principalFilter: f.principal,
    hostFilter: f.host,
    operation: kafkaValue(aclOperations, f.operation),
    permissionType: kafkaValue(aclPermissions, f.permission),
  };
}

/** A refusal of the whole request, with what to do when the broker has no authorizer. */
function aclError(what: string, code: number, message: string | null): KafkaError {
  const hint =
    code === ErrorCode.SECURITY_DISABLED
      ? "; the broker has no authorizer (set authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer)"
      : code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        ? "; ACLs need ALTER (create, delete) or DESCRIBE (list) on the cluster, or a super user"
        : "";
  return new KafkaError(`cannot ${what} ACLs: ${codeText(code, message)}${hint}`, code);
}

/** The ACLs matching `filter`, sorted by resource, then principal, host and operation. */
export async function listAcls(admin: Admin, filter: AclFilter): Promise<AclBinding[]> {
  const response = await admin.bootstrapConnection.request(
    ApiKey.DescribeAcls,
    ApiVersion.describeAcls,
    filterBody(filter),
  );
  if (response.errorCode !== ErrorCode.NONE)
    throw aclError("list", response.errorCode, response.errorMessage);
  const bindings: AclBinding[] = [];
  for (const r of response.resources) {
    for (const a of r.acls) {
      bindings.push({
        principal: a.principal,
        host: a.host,
        operation: nameOf(aclOperations, a.operation),
        permission: nameOf(aclPermissions, a.permissionType),
        resourceType: nameOf(aclResourceTypes, r.resourceType),
        resourceName: r.resourceName,
        patternType: nameOf(aclPatternTypes, r.patternType),
      });
    }
  }
  return bindings.sort(compareBindings);
}

function compareBindings(a: AclBinding, b: AclBinding): number {
  const key = (x: AclBinding) =>
    [x.resourceType, x.resourceName, x.patternType, x.principal, x.host, x.operation, x.permission].join(
      "\u0000",
    );
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** Creates every binding in one request; the first refused one throws, naming it and why. */
export async function createAcls(admin: Admin, bindings: readonly AclBinding[]): Promise<AclBinding[]> {
  if (bindings.length === 0 || bindings.length > aclCreationsMax)
    throw new KafkaError(`bug: ${bindings.length} ACLs in one create (1..${aclCreationsMax})`);
  const response = await admin.bootstrapConnection.request(ApiKey.CreateAcls, ApiVersion.createAcls, {
    creations: bindings.map((b) => ({
      resourceType: kafkaValue(aclResourceTypes, b.resourceType),
      resourceName: b.resourceName,
      resourcePatternType: kafkaValue(aclPatternTypes, b.patternType),
      principal: b.principal,
      host: b.host,
      operation: kafkaValue(aclOperations, b.operation),
      permissionType: kafkaValue(aclPermissions, b.permission),
    })),
  });
  if (response.results.length !== bindings.length)
    throw new KafkaError(`the broker answered ${response.results.length} of ${bindings.length} ACLs`);
  for (const [i, result] of response.results.entries()) {
    if (result.errorCode !== ErrorCode.NONE) {
      const b = bindings[i]!;
      throw aclError(
        `create ${b.permission} ${b.operation} for ${b.principal} on ${b.resourceType} ${b.resourceName} (an earlier one in the list may have been created; 'eddy acls list' shows them)`,
        result.errorCode,
        result.errorMessage,
      );
    }
  }
  return [...bindings];
}

/** Deletes every ACL matching `filter` and answers what it deleted. */
export async function deleteAcls(admin: Admin, filter: AclFilter): Promise<AclBinding[]> {
  const response = await admin.bootstrapConnection.request(ApiKey.DeleteAcls, ApiVersion.deleteAcls, {
    filters: [filterBody(filter)],
  });
  const result = response.filterResults[0];
  if (result === undefined) throw new KafkaError("the broker answered no filter result");
  if (result.errorCode !== ErrorCode.NONE) throw aclError("delete", result.errorCode, result.errorMessage);
  const deleted: AclBinding[] = [];
  for (const m of result.matchingAcls) {
    if (m.errorCode !== ErrorCode.NONE) throw aclError("delete", m.errorCode, m.errorMessage);
    deleted.push({
      principal: m.principal,
      host: m.host,
      operation: nameOf(aclOperations, m.operation),
      permission: nameOf(aclPermissions, m.permissionType),
      resourceType: nameOf(aclResourceTypes, m.resourceType),
      resourceName: m.resourceName,
      patternType: nameOf(aclPatternTypes, m.patternType),
    });
  }
  return deleted.sort(compareBindings);
}
