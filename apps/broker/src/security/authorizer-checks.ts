/**
 * The one call each API file makes to ask the authorizer: whether the request's principal, from its
 * host, may perform an operation on a resource, decided on the ACLs of this node's committed
 * metadata image with the broker's authorizer settings; and the Kafka error code each resource type
 * answers a refusal with.
 *
 * Owns the glue between a request and the pure authorizer. It must never choose the operation an API
 * needs (each API file names its own, as Kafka's KafkaApis does) and never change what it reads.
 */
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import type { RequestContext } from "../apis/api.ts";
import {
  type AclOperation,
  type AclResourceType,
  authorize,
  authorizeAnyResource,
  clusterResourceName,
} from "./authorizer.ts";

/** The error a refusal answers with, by the resource type refused (Kafka's codes 29, 30, 31, 53). */
export const authorizationFailedCode: Readonly<Record<AclResourceType, number>> = {
  TOPIC: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  GROUP: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  CLUSTER: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  TRANSACTIONAL_ID: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
};

/** May this request perform `operation` on the named resource? */
export function allowed(
  ctx: RequestContext,
  operation: AclOperation,
  resourceType: AclResourceType,
  resourceName: string,
): boolean {
  const settings = ctx.node.config.authorizer;
  // Without an authorizer the image is not even read: the request path stays as it was before ACLs.
  if (!settings.enabled) return true;
  return authorize(
    settings,
    controller.aclsOf(ctx.node.image),
    { principal: ctx.principal, host: ctx.host },
    operation,
    resourceType,
    resourceName,
  );
}

/** May this request perform `operation` on the cluster resource (`kafka-cluster`)? */
export function allowedOnCluster(ctx: RequestContext, operation: AclOperation): boolean {
  return allowed(ctx, operation, "CLUSTER", clusterResourceName);
}

/** May this request perform `operation` on at least one resource of the type (Kafka's authorizeByResourceType)? */
export function allowedOnAny(
  ctx: RequestContext,
  operation: AclOperation,
  resourceType: AclResourceType,
): boolean {
  const settings = ctx.node.config.authorizer;
  if (!settings.enabled) return true;
  return authorizeAnyResource(
    settings,
    controller.aclsOf(ctx.node.image),
    { principal: ctx.principal, host: ctx.host },
    operation,
    resourceType,
  );
}

/** The names among `names` this request may not perform `operation` on (each decided once). */
export function deniedNames(
  ctx: RequestContext,
  operation: AclOperation,
  resourceType: AclResourceType,
  names: Iterable<string>,
): ReadonlySet<string> {
  const denied = new Set<string>();
  if (!ctx.node.config.authorizer.enabled) return denied;
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (!allowed(ctx, operation, resourceType, name)) denied.add(name);
  }
  return denied;
}
