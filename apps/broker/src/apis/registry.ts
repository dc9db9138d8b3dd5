/**
 * The one table of served APIs and version ranges. ApiVersions answers from it and the request
 * handler refuses anything outside it. Ranges follow docs/client-compat.md §1.7: wide enough for
 * kafka-python 2.0.2, kcat/librdkafka 2.0.2, kafkajs 2.2.4 and @platformatic/kafka 2.12, with no
 * flexible versions yet except ApiVersions v3.
 */
import { produceApi } from "./00-produce.ts";
import { fetchApi } from "./01-fetch.ts";
import { listOffsetsApi } from "./02-list-offsets.ts";
import { metadataApi } from "./03-metadata.ts";
import { offsetCommitApi } from "./08-offset-commit.ts";
import { offsetFetchApi } from "./09-offset-fetch.ts";
import { findCoordinatorApi } from "./10-find-coordinator.ts";
import { joinGroupApi } from "./11-join-group.ts";
import { heartbeatApi } from "./12-heartbeat.ts";
import { leaveGroupApi } from "./13-leave-group.ts";
import { syncGroupApi } from "./14-sync-group.ts";
import { describeGroupsApi } from "./15-describe-groups.ts";
import { listGroupsApi } from "./16-list-groups.ts";
import { saslHandshakeApi } from "./17-sasl-handshake.ts";
import { apiVersionsApi } from "./18-api-versions.ts";
import { createTopicsApi } from "./19-create-topics.ts";
import { deleteTopicsApi } from "./20-delete-topics.ts";
import { deleteRecordsApi } from "./21-delete-records.ts";
import { initProducerIdApi } from "./22-init-producer-id.ts";
import { describeAclsApi } from "./29-describe-acls.ts";
import { createAclsApi } from "./30-create-acls.ts";
import { deleteAclsApi } from "./31-delete-acls.ts";
import { describeConfigsApi } from "./32-describe-configs.ts";
import { alterConfigsApi } from "./33-alter-configs.ts";
import { saslAuthenticateApi } from "./36-sasl-authenticate.ts";
import { createPartitionsApi } from "./37-create-partitions.ts";
import { deleteGroupsApi } from "./42-delete-groups.ts";
import { incrementalAlterConfigsApi } from "./44-incremental-alter-configs.ts";
import { describeUserScramCredentialsApi } from "./50-describe-user-scram-credentials.ts";
import { alterUserScramCredentialsApi } from "./51-alter-user-scram-credentials.ts";
import { alterPartitionApi } from "./56-alter-partition.ts";
import { describeClusterApi } from "./60-describe-cluster.ts";
import { brokerRegistrationApi } from "./62-broker-registration.ts";
import { brokerHeartbeatApi } from "./63-broker-heartbeat.ts";
import { allocateProducerIdsApi } from "./67-allocate-producer-ids.ts";
import type { AnyApiDefinition } from "./api.ts";

export const apiRegistry: readonly AnyApiDefinition[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  deleteGroupsApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  describeAclsApi,
  createAclsApi,
  deleteAclsApi,
  describeUserScramCredentialsApi,
  alterUserScramCredentialsApi,
  describeConfigsApi,
  alterConfigsApi,
  incrementalAlterConfigsApi,
  createPartitionsApi,
  saslHandshakeApi,
  saslAuthenticateApi,
  describeClusterApi,
  // The controller's APIs for the brokers of its cluster (listed on controller listeners only).
  alterPartitionApi,
  brokerRegistrationApi,
  brokerHeartbeatApi,
  allocateProducerIdsApi,
].sort((a, b) => a.key - b.key);

export const apiByKey: ReadonlyMap<number, AnyApiDefinition> = new Map(
  apiRegistry.map((api) => [api.key, api]),
);
