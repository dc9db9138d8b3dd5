/**
 * The metadata image and `applyRecord(image, record)`, the pure function every node (controller or
 * broker) uses to fold committed metadata records into what it acts on. Records come from the
 * committed log, which only the active controller writes after validating each request; a record that
 * breaks an invariant here is therefore a controller bug, and it fails loudly. This module must never
 * decide anything: deciding is the controller's job, applying is this one's.
 */
import { invariant, unreachable } from "../invariant.ts";
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

/** Applies one committed batch at `offset`; offsets strictly increase. */
export function applyBatch(
  image: MetadataImage,
  offset: number,
  records: readonly MetadataRecord[],
): MetadataImage {
  invariant(offset > image.offset, () => `image: batch offset ${offset} not after ${image.offset}`);
  let next = image;
  for (const record of records) next = applyRecord(next, record);
  return { ...next, offset };
}

/** Folds one record into the image. */
export function applyRecord(image: MetadataImage, record: MetadataRecord): MetadataImage {
  switch (record.type) {
    case "RegisterBroker": {
      const prior = findBroker(image, record.brokerId);
      invariant(
        prior === undefined || record.brokerEpoch > prior.brokerEpoch,
        "image: broker epoch must grow",
      );
      invariant(Number.isInteger(record.brokerId) && record.brokerId >= 0, "image: bad broker id");
      const registration: BrokerRegistration = {
        brokerId: record.brokerId,
        brokerEpoch: record.brokerEpoch,
        host: record.host,
        port: record.port,
        rack: record.rack,
        fenced: true,
      };
      // A re-registering broker must have been fenced first, so it leads nothing when it comes back.
      invariant(prior === undefined || prior.fenced, "image: re-registration of an unfenced broker");
      const brokers = [...image.brokers.filter((b) => b.brokerId !== record.brokerId), registration].sort(
        (a, b) => a.brokerId - b.brokerId,
      );
      invariant(brokers.length <= brokersMax, "image: too many brokers");
      return { ...image, brokers };
    }
    case "FenceBroker":
    case "UnfenceBroker": {
      const prior = findBroker(image, record.brokerId);
      invariant(prior !== undefined, "image: fencing an unregistered broker");
      invariant(prior.brokerEpoch === record.brokerEpoch, "image: fencing another incarnation");
      const fenced = record.type === "FenceBroker";
      invariant(
        prior.fenced !== fenced,
        () => `image: broker ${record.brokerId} already ${fenced ? "" : "un"}fenced`,
      );
      if (fenced) {
        // Fencing comes after the leader moves away: a fenced broker leads nothing.
        for (const topic of Object.values(image.topics)) {
          for (const p of topic.partitions) {
            invariant(
              p.leader !== record.brokerId,
              () => `image: fencing ${record.brokerId}, leader of ${topic.name}`,
            );
          }
        }
      }
      const brokers = image.brokers.map((b) => (b.brokerId === record.brokerId ? { ...b, fenced } : b));
      return { ...image, brokers };
    }
    case "CreateTopic": {
      invariant(image.topics[record.name] === undefined, "image: topic exists");
      invariant(Object.keys(image.topics).length < topicsMax, "image: too many topics");
      for (const t of Object.values(image.topics))
        invariant(t.topicId !== record.topicId, "image: topic id reused");
      invariant(record.partitions.length >= 1, "image: topic without partitions");
      record.partitions.forEach((p, i) => {
        invariant(p.partition === i, "image: partitions out of order");
        assertPartition(image, record.name, p);
      });
      const topic: TopicImage = {
        name: record.name,
        topicId: record.topicId,
        configs: record.configs,
        partitions: record.partitions,
      };
      const next = { ...image, topics: { ...image.topics, [record.name]: topic } };
      invariant(partitionCount(next) <= partitionsMax, "image: too many partitions");
      return next;
    }
    case "DeleteTopic": {
      const topic = image.topics[record.name];
      invariant(topic !== undefined && topic.topicId === record.topicId, "image: deleting an unknown topic");
      const { [record.name]: _deleted, ...topics } = image.topics;
      return { ...image, topics };
    }
    case "CreatePartitions": {
      const topic = image.topics[record.name];
      invariant(topic !== undefined && topic.topicId === record.topicId, "image: extending an unknown topic");
      record.partitions.forEach((p, k) => {
        invariant(p.partition === topic.partitions.length + k, "image: new partitions out of order");
        assertPartition(image, record.name, p);
      });
      const partitions = [...topic.partitions, ...record.partitions];
      invariant(partitions.length <= partitionsPerTopicMax, "image: too many partitions in a topic");
      const next = { ...image, topics: { ...image.topics, [record.name]: { ...topic, partitions } } };
      invariant(partitionCount(next) <= partitionsMax, "image: too many partitions");
      return next;
    }
    case "PartitionChange": {
      const topic = image.topics[record.topic];
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
      assertPartitionChange(image, record.topic, prior, next, record.unclean);
      const partitions = topic.partitions.map((p) => (p.partition === record.partition ? next : p));
      return { ...image, topics: { ...image.topics, [record.topic]: { ...topic, partitions } } };
    }
    default:
      return unreachable(record, "metadata record");
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
