/**
 * The authorizer: whether a principal connected from a host may perform an operation on a resource,
 * with Kafka's StandardAuthorizer semantics over the ACLs of the committed metadata image. Literal
 * patterns match their name (the literal `*` every name), prefixed patterns every name that starts
 * with them; `User:*` matches every principal and host `*` every host; a matching DENY wins over any
 * ALLOW; READ, WRITE, DELETE and ALTER imply DESCRIBE and ALTER_CONFIGS implies DESCRIBE_CONFIGS; a
 * super user is always allowed; a resource no ACL names is allowed only with
 * `allow.everyone.if.no.acl.found`.
 *
 * Owns the decision only. It is pure: it must never read the network, the clock or the image by
 * itself (the caller hands it the ACLs), and never decide which operation an API needs (that is
 * `authorizer-checks.ts`).
 */
import type { controller } from "@eddy/core";

type AclBinding = controller.AclBinding;
export type AclOperation = controller.AclOperation;
export type AclResourceType = controller.AclResourceType;

/** Kafka's class names for its ACL authorizers; setting either turns authorization on. */
export const authorizerClassNames = [
  "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  "kafka.security.authorizer.AclAuthorizer",
] as const;

/** The authorizer's settings, from `authorizer.class.name`, `super.users` and `allow.everyone.if.no.acl.found`. */
export interface AuthorizerSettings {
  /** Off (every request allowed, as before ACLs existed) unless `authorizer.class.name` is set. */
  readonly enabled: boolean;
  /** `super.users`: principals allowed everything, ACLs or not (`User:alice;User:bob`). */
  readonly superUsers: readonly string[];
  /** `allow.everyone.if.no.acl.found`: a resource no ACL names is open to all (default false). */
  readonly allowEveryoneIfNoAclFound: boolean;
}

export const authorizerOff: AuthorizerSettings = {
  enabled: false,
  superUsers: [],
  allowEveryoneIfNoAclFound: false,
};

/** The principal of a connection that did not authenticate (PLAINTEXT, or TLS without a certificate). */
export const anonymousPrincipal = "User:ANONYMOUS";
/** The ACL principal that stands for every principal. */
const wildcardPrincipal = "User:*";
const wildcardHost = "*";
const wildcardName = "*";
/** The one CLUSTER resource's name. */
export const clusterResourceName = "kafka-cluster";

/** Who asks: the principal and the address it connected from. */
export interface Requester {
  readonly principal: string;
  readonly host: string;
}

/** Operations that an ALLOW for any of them also allows (Kafka's implied operations). */
const impliedBy: Readonly<Partial<Record<AclOperation, readonly AclOperation[]>>> = {
  DESCRIBE: ["READ", "WRITE", "DELETE", "ALTER"],
  DESCRIBE_CONFIGS: ["ALTER_CONFIGS"],
};

/** Whether an ACL's resource pattern covers the named resource. */
export function patternCovers(acl: AclBinding, resourceType: AclResourceType, name: string): boolean {
  if (acl.resourceType !== resourceType) return false;
  if (acl.patternType === "PREFIXED") return name.startsWith(acl.resourceName);
  return acl.resourceName === name || acl.resourceName === wildcardName;
}

function entryApplies(acl: AclBinding, who: Requester): boolean {
  return (
    (acl.principal === who.principal || acl.principal === wildcardPrincipal) &&
    (acl.host === who.host || acl.host === wildcardHost)
  );
}

/** What decided an authorization, for log lines and tests. */
export type Verdict =
  | "ALLOWED_AUTHORIZER_OFF"
  | "ALLOWED_SUPER_USER"
  | "ALLOWED_BY_ACL"
  | "ALLOWED_NO_ACL_FOUND"
  | "DENIED_BY_ACL"
  | "DENIED_NO_MATCHING_ALLOW"
  | "DENIED_NO_ACL_FOUND";

export function isAllowed(verdict: Verdict): boolean {
  return verdict.startsWith("ALLOWED");
}

/** Kafka's StandardAuthorizer decision for one operation on one resource. */
export function authorizeVerdict(
  settings: AuthorizerSettings,
  acls: readonly AclBinding[],
  who: Requester,
  operation: AclOperation,
  resourceType: AclResourceType,
  resourceName: string,
): Verdict {
  if (!settings.enabled) return "ALLOWED_AUTHORIZER_OFF";
  if (settings.superUsers.includes(who.principal)) return "ALLOWED_SUPER_USER";
  const implying = impliedBy[operation] ?? [];
  let resourceHasAcls = false;
  let allowed = false;
  for (const acl of acls) {
    if (!patternCovers(acl, resourceType, resourceName)) continue;
    resourceHasAcls = true;
    if (!entryApplies(acl, who)) continue;
    if (acl.permission === "DENY") {
      // A DENY applies to its own operation or ALL only: denying READ does not deny DESCRIBE.
      if (acl.operation === operation || acl.operation === "ALL") return "DENIED_BY_ACL";
      continue;
    }
    if (acl.operation === operation || acl.operation === "ALL" || implying.includes(acl.operation))
      allowed = true;
  }
  if (allowed) return "ALLOWED_BY_ACL";
  if (!resourceHasAcls)
    return settings.allowEveryoneIfNoAclFound ? "ALLOWED_NO_ACL_FOUND" : "DENIED_NO_ACL_FOUND";
  return "DENIED_NO_MATCHING_ALLOW";
}

export function authorize(
  settings: AuthorizerSettings,
  acls: readonly AclBinding[],
  who: Requester,
  operation: AclOperation,
  resourceType: AclResourceType,
  resourceName: string,
): boolean {
  return isAllowed(authorizeVerdict(settings, acls, who, operation, resourceType, resourceName));
}

/**
 * Kafka's authorizeByResourceType: whether the requester may perform `operation` on at least one
 * resource of the type (InitProducerId without a transactional id accepts WRITE on any topic). An
 * ALLOW counts unless a DENY for the same operation covers it: a DENY on the literal `*` or on a
 * prefix of its pattern, as Kafka reads it.
 */
export function authorizeAnyResource(
  settings: AuthorizerSettings,
  acls: readonly AclBinding[],
  who: Requester,
  operation: AclOperation,
  resourceType: AclResourceType,
): boolean {
  if (!settings.enabled || settings.superUsers.includes(who.principal)) return true;
  const applies = (acl: AclBinding) =>
    acl.resourceType === resourceType &&
    entryApplies(acl, who) &&
    (acl.operation === operation || acl.operation === "ALL");
  const denies = acls.filter((acl) => applies(acl) && acl.permission === "DENY");
  const deniedCovers = (allow: AclBinding) =>
    denies.some(
      (deny) =>
        (deny.patternType === "LITERAL" && deny.resourceName === wildcardName) ||
        (deny.patternType === "PREFIXED" && allow.resourceName.startsWith(deny.resourceName)) ||
        (deny.patternType === allow.patternType && deny.resourceName === allow.resourceName),
    );
  if (acls.some((acl) => applies(acl) && acl.permission === "ALLOW" && !deniedCovers(acl))) return true;
  // With no ACL for this type at all, the no-ACL rule decides as it does for one resource.
  return settings.allowEveryoneIfNoAclFound && !acls.some((acl) => acl.resourceType === resourceType);
}
