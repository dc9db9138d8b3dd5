/**
 * Kafka's wire codes for ACLs (ResourceType, PatternType, AclOperation, AclPermissionType, as the
 * CreateAcls, DescribeAcls and DeleteAcls messages carry them) to the core's names and back. A code
 * Kafka calls UNKNOWN, or one this broker does not serve (delegation-token and user resources),
 * becomes null so the API answers INVALID_REQUEST rather than guess.
 *
 * Owns the mapping only; it must never decide whether a binding is valid beyond its codes (the core's
 * `controller.aclProblem` does) or who may change ACLs (the API files ask the authorizer).
 */
import type { controller } from "@eddy/core";

type AclBinding = controller.AclBinding;
type AclFilter = controller.AclFilter;

const resourceTypeByCode = new Map<number, controller.AclResourceType | "ANY">([
  [1, "ANY"],
  [2, "TOPIC"],
  [3, "GROUP"],
  [4, "CLUSTER"],
  [5, "TRANSACTIONAL_ID"],
]);
const patternTypeByCode = new Map<number, controller.AclPatternType | "ANY" | "MATCH">([
  [1, "ANY"],
  [2, "MATCH"],
  [3, "LITERAL"],
  [4, "PREFIXED"],
]);
const operationByCode = new Map<number, controller.AclOperation | "ANY">([
  [1, "ANY"],
  [2, "ALL"],
  [3, "READ"],
  [4, "WRITE"],
  [5, "CREATE"],
  [6, "DELETE"],
  [7, "ALTER"],
  [8, "DESCRIBE"],
  [9, "CLUSTER_ACTION"],
  [10, "DESCRIBE_CONFIGS"],
  [11, "ALTER_CONFIGS"],
  [12, "IDEMPOTENT_WRITE"],
  [13, "CREATE_TOKENS"],
  [14, "DESCRIBE_TOKENS"],
]);
const permissionByCode = new Map<number, controller.AclPermission | "ANY">([
  [1, "ANY"],
  [2, "DENY"],
  [3, "ALLOW"],
]);

function codeOf<T>(map: ReadonlyMap<number, T>, value: T): number {
  for (const [code, name] of map) if (name === value) return code;
  throw new Error(`no wire code for ${String(value)}`);
}

/** The wire codes of one binding, for DescribeAcls and DeleteAcls answers. */
export function aclWire(acl: AclBinding): {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
} {
  return {
    resourceType: codeOf(resourceTypeByCode, acl.resourceType),
    resourceName: acl.resourceName,
    patternType: codeOf(patternTypeByCode, acl.patternType),
    principal: acl.principal,
    host: acl.host,
    operation: codeOf(operationByCode, acl.operation),
    permissionType: codeOf(permissionByCode, acl.permission),
  };
}

/** A CreateAcls creation as a binding, or null when a code is unknown or a filter-only value (ANY, MATCH). */
export function bindingFromWire(c: {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}): AclBinding | null {
  const resourceType = resourceTypeByCode.get(c.resourceType);
  const patternType = patternTypeByCode.get(c.resourcePatternType);
  const operation = operationByCode.get(c.operation);
  const permission = permissionByCode.get(c.permissionType);
  if (resourceType === undefined || resourceType === "ANY") return null;
  if (patternType !== "LITERAL" && patternType !== "PREFIXED") return null;
  if (operation === undefined || operation === "ANY") return null;
  if (permission === undefined || permission === "ANY") return null;
  return {
    resourceType,
    resourceName: c.resourceName,
    patternType,
    principal: c.principal,
    host: c.host,
    operation,
    permission,
  };
}

/** A DescribeAcls or DeleteAcls filter, or null when a code is UNKNOWN (Kafka refuses those). */
export function filterFromWire(f: {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}): AclFilter | null {
  const resourceType = resourceTypeByCode.get(f.resourceTypeFilter);
  const patternType = patternTypeByCode.get(f.patternTypeFilter);
  const operation = operationByCode.get(f.operation);
  const permission = permissionByCode.get(f.permissionType);
  if (resourceType === undefined || patternType === undefined) return null;
  if (operation === undefined || permission === undefined) return null;
  return {
    resourceType,
    resourceName: f.resourceNameFilter,
    patternType,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation,
    permission,
  };
}
