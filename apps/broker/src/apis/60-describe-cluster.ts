/**
 * DescribeCluster (key 60): v0-v1, as Kafka's `KafkaApis.handleDescribeCluster` answers it on a
 * broker: the cluster id, the controller id clients are told (the same as Metadata's), and every live
 * broker at its address on the listener the request arrived on (`broker-endpoint.ts`; a broker
 * without that listener is left out). v1's EndpointType: brokers (1) are described; controllers (2)
 * are refused with MISMATCHED_ENDPOINT_TYPE, since this is a broker's listener, and any other value
 * with UNSUPPORTED_ENDPOINT_TYPE. The cluster's authorized operations are computed only when asked,
 * and only for a principal with DESCRIBE on the cluster (0 otherwise), as Kafka does.
 */
import { ErrorCode } from "@eddy/protocol";
import type { AclOperation } from "../security/authorizer.ts";
import { allowedOnCluster } from "../security/authorizer-checks.ts";
import { clientControllerId } from "./03-metadata.ts";
import { defineApi } from "./api.ts";
import { brokerEndpointFor } from "./broker-endpoint.ts";

const endpointTypeBrokers = 1;
const endpointTypeControllers = 2;
/** Kafka's "not asked" value of an authorized-operations field. */
const authorizedOperationsOmitted = -2147483648;

/** The operations a cluster supports, with their Kafka codes (the bits of the answer). */
const clusterOperations: readonly (readonly [AclOperation, number])[] = [
  ["CREATE", 5],
  ["ALTER", 7],
  ["DESCRIBE", 8],
  ["CLUSTER_ACTION", 9],
  ["DESCRIBE_CONFIGS", 10],
  ["ALTER_CONFIGS", 11],
  ["IDEMPOTENT_WRITE", 12],
];

export const describeClusterApi = defineApi({
  key: 60,
  name: "DescribeCluster",
  versionMin: 0,
  versionMax: 1,
  handle: (ctx, request) => {
    const node = ctx.node;
    const endpointType = ctx.apiVersion >= 1 ? request.endpointType : endpointTypeBrokers;
    const refused = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      endpointType,
      clusterId: node.clusterId,
      controllerId: -1,
      brokers: [],
      clusterAuthorizedOperations: authorizedOperationsOmitted,
    });
    if (endpointType === endpointTypeControllers)
      return refused(
        ErrorCode.MISMATCHED_ENDPOINT_TYPE,
        "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
      );
    if (endpointType !== endpointTypeBrokers)
      return refused(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, `Unsupported endpoint type ${endpointType}`);
    let clusterAuthorizedOperations = authorizedOperationsOmitted;
    if (request.includeClusterAuthorizedOperations) {
      clusterAuthorizedOperations = 0;
      if (allowedOnCluster(ctx, "DESCRIBE"))
        for (const [operation, code] of clusterOperations)
          if (allowedOnCluster(ctx, operation)) clusterAuthorizedOperations |= 1 << code;
    }
    const image = node.image;
    const brokers = image.brokers.flatMap((b) => {
      const address = b.fenced ? null : brokerEndpointFor(b, ctx.connection.listener, node.config.nodeId);
      return address === null ? [] : [{ brokerId: b.brokerId, ...address, rack: b.rack }];
    });
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType,
      clusterId: node.clusterId,
      controllerId: clientControllerId(node.controllerId, image.brokers, node.config.nodeId),
      brokers,
      clusterAuthorizedOperations,
    };
  },
});
