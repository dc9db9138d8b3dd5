/**
 * DescribeAcls (key 29): v0-v1. Only v0-v1 are served: v2 is flexible, and kafka-python takes an
 * advertised DescribeAcls v2 as a sign of Kafka 2.5 (docs/client-compat.md §1.7). Answers the ACLs of
 * this node's committed metadata image that the filter matches (Kafka's filter rules), grouped by
 * resource pattern in the order they were created. Needs DESCRIBE on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED otherwise); without an authorizer, SECURITY_DISABLED.
 */
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import { allowedOnCluster } from "../security/authorizer-checks.ts";
import { aclWire, filterFromWire } from "../security/authorizer-wire.ts";
import { defineApi } from "./api.ts";

export const describeAclsApi = defineApi({
  key: 29,
  name: "DescribeAcls",
  versionMin: 0,
  versionMax: 1,
  handle: (ctx, request) => {
    const refuse = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      resources: [],
    });
    if (!ctx.node.config.authorizer.enabled)
      return refuse(ErrorCode.SECURITY_DISABLED, "No authorizer is configured on the broker");
    if (!allowedOnCluster(ctx, "DESCRIBE"))
      return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    const filter = filterFromWire(request);
    if (filter === null || controller.aclFilterProblem(filter) !== null)
      return refuse(ErrorCode.INVALID_REQUEST, "Invalid ACL filter");
    const resources = new Map<
      string,
      { resourceType: number; resourceName: string; patternType: number; acls: ReturnType<typeof entry>[] }
    >();
    const entry = (wire: ReturnType<typeof aclWire>) => ({
      principal: wire.principal,
      host: wire.host,
      operation: wire.operation,
      permissionType: wire.permissionType,
    });
    for (const acl of controller.aclsOf(ctx.node.image)) {
      if (!controller.aclFilterMatches(filter, acl)) continue;
      const wire = aclWire(acl);
      const key = JSON.stringify([acl.resourceType, acl.resourceName, acl.patternType]);
      let resource = resources.get(key);
      if (resource === undefined) {
        resource = {
          resourceType: wire.resourceType,
          resourceName: wire.resourceName,
          patternType: wire.patternType,
          acls: [],
        };
        resources.set(key, resource);
      }
      resource.acls.push(entry(wire));
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      resources: [...resources.values()],
    };
  },
});
