/**
 * The metadata of a broker-only node (`process.roles=broker` in a cluster): it holds no controller
 * and no copy of the metadata log, only the newest committed image the active controller pushed to
 * it (after each commit, and again with its heartbeats), checked with the image's schema, and it
 * reaches the controller through the forwarder like every node. Kafka's brokers follow the metadata
 * log instead; the images they act on are the same committed ones.
 *
 * Owns: the image this node acts on and publishing newer ones to the node's listeners in order, and
 * the active controller as the last answer or push named it. Must never apply an image older than
 * the one it has, nor one that does not decode.
 */
import { controller } from "@eddy/core";
import { decodeStoredValue } from "@eddy/storage";
import { BrokerMetadata, type ImageListener } from "../node/broker-metadata.ts";
import { StoredMetadataImage } from "../node/metadata-image-schema.ts";

export class RemoteMetadata extends BrokerMetadata {
  private current: controller.MetadataImage = controller.emptyImage;
  private readonly listeners: ImageListener[] = [];
  private published: Promise<void> = Promise.resolve();
  private leader: number | null = null;

  constructor(nodeId: number, log: (line: string) => void) {
    super(nodeId, log);
  }

  get image(): controller.MetadataImage {
    return this.current;
  }

  onImage(listener: ImageListener): void {
    this.listeners.push(listener);
  }

  get leaderId(): number | null {
    return this.leader;
  }

  /** Notes the active controller a message came from (a push, an answer that names it). */
  noteLeader(nodeId: number): void {
    if (nodeId >= 0) this.leader = nodeId;
  }

  get isActive(): boolean {
    return false;
  }

  requestHere(_input: controller.Input): Promise<controller.Response | null> {
    return Promise.resolve(null);
  }

  settled(): Promise<void> {
    return this.published;
  }

  tick(): void {}

  /** An image the active controller pushed; an older one or one that does not decode is dropped. */
  receiveImage(image: unknown, from: number): void {
    let decoded: controller.MetadataImage;
    try {
      decoded = decodeStoredValue(
        StoredMetadataImage,
        `metadata image from node ${from}`,
        image,
      ) as controller.MetadataImage;
    } catch (error) {
      this.log(`metadata: dropped an image from node ${from}: ${(error as Error).message}`);
      return;
    }
    this.noteLeader(from);
    if (decoded.offset <= this.current.offset) return;
    const previous = this.current;
    this.current = decoded;
    this.published = this.published.then(async () => {
      for (const listener of this.listeners) await listener(decoded, previous);
    });
  }
}
