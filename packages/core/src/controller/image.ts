/**
 * The metadata image and `applyRecord(image, record)`, the pure function every node (controller or
 * broker) uses to fold committed metadata records into what it acts on. Records come from the
 * committed log, which only the active controller writes after validating each request; a record that
 * breaks an invariant here is therefore a controller bug, and it fails loudly. This module must never
 * decide anything: deciding is the controller's job, applying is this one's.
 */
import { invariant, unreachable } from "../invariant.ts";
import { type AclBinding, applyAclRecord } from "./acls.ts";
import { applyBrokerConfigRecord } from "./broker-configs.ts";
import { applyScramRecord, type ScramCredentialEntry } from "./scram-credentials.ts";
import { applyConfigRecord } from "./topic-configs.ts";
import {
  type BrokerId,
  type BrokerRegistration,
  brokersMax,
  type MetadataImage,
  type MetadataRecord,
  noLeader,
  type PartitionState,
  partitionsMax,
  partitionsPerTopicMax,
  producerIdEndMax,
  type TopicImage,
  topicsMax,
} from "./types.ts";

export const emptyImage: MetadataImage = { offset: 0, brokers: [], topics: {} };

export function findBroker(image: MetadataImage, brokerId: BrokerId): BrokerRegistration | undefined {
  return image.brokers.find((b) => b.brokerId === brokerId);
}

/** Registered and not fenced: may lead and may join an ISR. */
export function isLive(image: MetadataImage, brokerId: BrokerId): boolean {
  const broker = findBroker(image, brokerId);
  return broker !== undefined && !broker.fenced;
}

/** Ids of registered, unfenced brokers, sorted: the brokers placement may use. */
export function liveBrokerIds(image: MetadataImage): BrokerId[] {
  return image.brokers.filter((b) => !b.fenced).map((b) => b.brokerId);
}

export function partitionCount(image: MetadataImage): number {
  let count = 0;
  for (const topic of Object.values(image.topics)) count += topic.partitions.length;
  return count;
}

/**
 * An image being changed by a batch: the broker list, the topic map and the partition arrays of the
 * topics touched are private copies, so a batch of N changes costs O(N + size) rather than O(N x
 * size). Nothing outside this module mutates a draft; `finishDraft` seals it back into an image.
 */
export interface ImageDraft extends MetadataImage {
  offset: number;
  brokers: BrokerRegistration[];
  topics: Record<string, TopicImage>;
  nextProducerId?: number;
  acls?: readonly AclBinding[];
  scramCredentials?: readonly ScramCredentialEntry[];
  brokerConfigs?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly ownedTopics: Set<string>;
}

export function draftOf(image: MetadataImage): ImageDraft {
  const draft: ImageDraft = {
    offset: image.offset,
    brokers: [...image.brokers],
    topics: { ...image.topics },
    ownedTopics: new Set(),
  };
  if (image.nextProducerId !== undefined) draft.nextProducerId = image.nextProducerId;
  if (image.acls !== undefined) draft.acls = image.acls;
  if (image.scramCredentials !== undefined) draft.scramCredentials = image.scramCredentials;
  if (image.brokerConfigs !== undefined) draft.brokerConfigs = image.brokerConfigs;
  return draft;
}

export function finishDraft(draft: ImageDraft): MetadataImage {
  // The producer-id cursor is added only once a block was handed out, so an image that never saw one
  // has exactly the keys it always had (stored snapshots and the simulator's hashes depend on that).
  const image: MetadataImage =
    draft.nextProducerId === undefined
      ? { offset: draft.offset, brokers: draft.brokers, topics: draft.topics }
      : {
          offset: draft.offset,
          brokers: draft.brokers,
          topics: draft.topics,
          nextProducerId: draft.nextProducerId,
        };
  // The ACLs likewise appear only while there are some.
  const withAcls =
    draft.acls === undefined || draft.acls.length === 0 ? image : { ...image, acls: draft.acls };
  // And the SCRAM credentials, and the dynamic broker configs.
  const withScram =
    draft.scramCredentials === undefined || draft.scramCredentials.length === 0
      ? withAcls
      : { ...withAcls, scramCredentials: draft.scramCredentials };
  return draft.brokerConfigs === undefined ? withScram : { ...withScram, brokerConfigs: draft.brokerConfigs };
}

/** The image's SCRAM credentials (none when the field is absent). */
export function scramCredentialsOf(image: MetadataImage): readonly ScramCredentialEntry[] {
  return image.scramCredentials ?? [];
}

/** The image's ACLs (none when the field is absent). */
export function aclsOf(image: MetadataImage): readonly AclBinding[] {
  return image.acls ?? [];
}

/** The first producer id the next block may start at (0 before any block was handed out). */
export function nextProducerIdOf(image: MetadataImage): number {
  const next = image.nextProducerId ?? 0;
  invariant(Number.isSafeInteger(next) && next >= 0, "image: producer-id cursor out of range");
  return next;
}

/** Applies one committed batch at `offset`; offsets strictly increase. */
export function applyBatch(
  image: MetadataImage,
  offset: number,
  records: readonly MetadataRecord[],
): MetadataImage {
  invariant(offset > image.offset, () => `image: batch offset ${offset} not after ${image.offset}`);
  const draft = draftOf(image);
  for (const record of records) applyToDraft(draft, record);
  draft.offset = offset;
  return finishDraft(draft);
}

/** Folds one record into the image. */
export function applyRecord(image: MetadataImage, record: MetadataRecord): MetadataImage {
  const draft = draftOf(image);
  applyToDraft(draft, record);
  return finishDraft(draft);
}

/** The partition array of `name`, copied once per draft so it may be changed in place. */
function ownPartitions(d: ImageDraft, name: string): PartitionState[] {
  const topic = d.topics[name];
  invariant(topic !== undefined, "image: no such topic");
  if (!d.ownedTopics.has(name)) {
    d.topics[name] = { ...topic, partitions: [...topic.partitions] };
    d.ownedTopics.add(name);
  }
  return d.topics[name]!.partitions as PartitionState[];
}

/** Folds one record into a draft. */
export function applyToDraft(d: ImageDraft, record: MetadataRecord): void {
  switch (record.type) {
    case "RegisterBroker": {
      const prior = findBroker(d, record.brokerId);
      invariant(
        prior === undefined || record.brokerEpoch > prior.brokerEpoch,
        "image: broker epoch must grow",
      );
      invariant(Number.isInteger(record.brokerId) && record.brokerId >= 0, "image: bad broker id");
      // A re-registering broker must have been fenced first, so it leads nothing when it comes back.
      invariant(prior === undefined || prior.fenced, "image: re-registration of an unfenced broker");
      const registration: BrokerRegistration = {
        brokerId: record.brokerId,
        brokerEpoch: record.brokerEpoch,
        host: record.host,
        port: record.port,
        rack: record.rack,
        fenced: true,
        ...(record.listeners === undefined ? {} : { listeners: record.listeners }),
      };
      d.brokers = [...d.brokers.filter((b) => b.brokerId !== record.brokerId), registration].sort(
        (a, b) => a.brokerId - b.brokerId,
      );
      invariant(d.brokers.length <= brokersMax, "image: too many brokers");
      return;
    }
    case "FenceBroker":
    case "UnfenceBroker": {
      const at = d.brokers.findIndex((b) => b.brokerId === record.brokerId);
      const prior = d.brokers[at];
      invariant(prior !== undefined, "image: fencing an unregistered broker");
      invariant(prior.brokerEpoch === record.brokerEpoch, "image: fencing another incarnation");
      const fenced = record.type === "FenceBroker";
      invariant(
        prior.fenced !== fenced,
        () => `image: broker ${record.brokerId} already ${fenced ? "" : "un"}fenced`,
      );
      if (fenced) {
        // Fencing comes after the leader moves away: a fenced broker leads nothing.
        for (const topic of Object.values(d.topics)) {
          for (const p of topic.partitions) {
            invariant(
              p.leader !== record.brokerId,
              () => `image: fencing ${record.brokerId}, leader of ${topic.name}`,
            );
          }
        }
      }
      d.brokers[at] = { ...prior, fenced };
      return;
    }
    case "CreateTopic": {
      invariant(d.topics[record.name] === undefined, "image: topic exists");
      invariant(Object.keys(d.topics).length < topicsMax, "image: too many topics");
      for (const t of Object.values(d.topics))
        invariant(t.topicId !== record.topicId, "image: topic id reused");
      invariant(record.partitions.length >= 1, "image: topic without partitions");
      invariant(partitionCount(d) + record.partitions.length <= partitionsMax, "image: too many partitions");
      record.partitions.forEach((p, i) => {
        invariant(p.partition === i, "image: partitions out of order");
        assertPartition(d, record.name, p);
      });
      d.topics[record.name] = {
        name: record.name,
        topicId: record.topicId,
        configs: record.configs,
        partitions: record.partitions,
      };
      d.ownedTopics.delete(record.name);
      return;
    }
    case "DeleteTopic": {
      const topic = d.topics[record.name];
      invariant(topic !== undefined && topic.topicId === record.topicId, "image: deleting an unknown topic");
      delete d.topics[record.name];
      d.ownedTopics.delete(record.name);
      return;
    }
    case "CreatePartitions": {
      const topic = d.topics[record.name];
      invariant(topic !== undefined && topic.topicId === record.topicId, "image: extending an unknown topic");
      invariant(partitionCount(d) + record.partitions.length <= partitionsMax, "image: too many partitions");
      const partitions = ownPartitions(d, record.name);
      record.partitions.forEach((p, k) => {
        invariant(p.partition === partitions.length + k, "image: new partitions out of order");
        assertPartition(d, record.name, p);
      });
      partitions.push(...record.partitions);
      invariant(partitions.length <= partitionsPerTopicMax, "image: too many partitions in a topic");
      return;
    }
    case "PartitionChange": {
      const topic = d.topics[record.topic];
      invariant(topic !== undefined && topic.topicId === record.topicId, "image: change to an unknown topic");
      const prior = topic.partitions[record.partition];
      invariant(prior !== undefined, "image: change to an unknown partition");
      const next: PartitionState = {
        partition: prior.partition,
        replicas: prior.replicas,
        isr: record.isr,
        leader: record.leader,
        leaderEpoch: record.leaderEpoch,
        partitionEpoch: record.partitionEpoch,
      };
      assertPartitionChange(d, record.topic, prior, next, record.unclean);
      ownPartitions(d, record.topic)[record.partition] = next;
      return;
    }
    case "ProducerIds": {
      const broker = findBroker(d, record.brokerId);
      invariant(broker !== undefined, "image: producer ids for an unregistered broker");
      invariant(broker.brokerEpoch === record.brokerEpoch, "image: producer ids for another incarnation");
      const prior = nextProducerIdOf(d);
      // Blocks only move forward: a cursor that went back would hand out an id a second time.
      invariant(
        Number.isSafeInteger(record.nextProducerId) && record.nextProducerId > prior,
        () => `image: producer-id cursor ${record.nextProducerId} not after ${prior}`,
      );
      invariant(record.nextProducerId <= producerIdEndMax, "image: producer-id cursor past its end");
      d.nextProducerId = record.nextProducerId;
      return;
    }
    case "AccessControlEntry":
    case "RemoveAccessControlEntry":
      d.acls = applyAclRecord(aclsOf(d), record);
      return;
    case "UserScramCredential":
    case "RemoveUserScramCredential":
      d.scramCredentials = applyScramRecord(scramCredentialsOf(d), record);
      return;
    case "Config": {
      if (record.resourceType === "broker") {
        const next = applyBrokerConfigRecord(d.brokerConfigs ?? {}, record);
        if (next === undefined) delete d.brokerConfigs;
        else d.brokerConfigs = next;
        return;
      }
      const topic = d.topics[record.resourceName];
      invariant(topic !== undefined, () => `image: config of unknown topic ${record.resourceName}`);
      // The partitions array (owned by this draft or not) is kept as it is; only the configs change.
      d.topics[record.resourceName] = { ...topic, configs: applyConfigRecord(topic.configs, record) };
      return;
    }
    default:
      unreachable(record, "metadata record");
  }
}

function assertPartition(image: MetadataImage, topic: string, p: PartitionState): void {
  const where = () => `${topic}-${p.partition}`;
  invariant(p.replicas.length >= 1, () => `image: ${where()} has no replicas`);
  invariant(new Set(p.replicas).size === p.replicas.length, () => `image: ${where()} repeats a replica`);
  for (const r of p.replicas)
    invariant(findBroker(image, r) !== undefined, () => `image: ${where()} on unknown ${r}`);
  invariant(p.isr.length >= 1, () => `image: ${where()} has an empty ISR`);
  invariant(new Set(p.isr).size === p.isr.length, () => `image: ${where()} repeats an ISR member`);
  for (const r of p.isr)
    invariant(p.replicas.includes(r), () => `image: ${where()} ISR member ${r} is no replica`);
  invariant(
    p.leader === noLeader || p.isr.includes(p.leader),
    () => `image: ${where()} leader outside the ISR`,
  );
  invariant(
    p.leader === noLeader || isLive(image, p.leader),
    () => `image: ${where()} led by a fenced broker`,
  );
  invariant(p.leaderEpoch >= 0 && p.partitionEpoch >= 0, () => `image: ${where()} negative epoch`);
}

/**
 * The election rules, checked on every committed change: epochs grow (a leader change always bumps
 * the leader epoch, so two leaders never share one), and a new leader comes from the previous ISR
 * unless the record is explicitly flagged unclean.
 */
function assertPartitionChange(
  image: MetadataImage,
  topic: string,
  prior: PartitionState,
  next: PartitionState,
  unclean: boolean,
): void {
  const where = `${topic}-${prior.partition}`;
  assertPartition(image, topic, next);
  invariant(next.partitionEpoch > prior.partitionEpoch, `image: ${where} partition epoch did not grow`);
  invariant(next.leaderEpoch >= prior.leaderEpoch, `image: ${where} leader epoch went back`);
  if (next.leader !== prior.leader) {
    invariant(next.leaderEpoch > prior.leaderEpoch, `image: ${where} new leader without a new epoch`);
    if (next.leader !== noLeader) {
      invariant(
        unclean || prior.isr.includes(next.leader),
        `image: ${where} leader ${next.leader} elected from outside the ISR`,
      );
    }
  } else {
    invariant(
      next.leaderEpoch === prior.leaderEpoch,
      `image: ${where} leader epoch changed without a new leader`,
    );
  }
  if (unclean) {
    invariant(
      next.isr.length === 1 && next.isr[0] === next.leader,
      `image: ${where} unclean leader must be the ISR`,
    );
  }
}
