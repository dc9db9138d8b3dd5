/**
 * What a broker node knows of the cluster's metadata and how it reaches the controller, whatever
 * holds the metadata: a voter's own controller (`MetadataShell`), or, on a broker-only node, the
 * images the active controller pushes (`cluster/remote-metadata.ts`). Owns the broker's side of its
 * registration: registering (again after the controller forgot it), heartbeats, the broker epoch,
 * and handing requests to the forwarder that reaches the active controller. Must never let the node
 * act on metadata that has not committed.
 */
import type { controller } from "@eddy/core";

export type ImageListener = (
  image: controller.MetadataImage,
  previous: controller.MetadataImage,
) => void | Promise<void>;

/** Sends a controller request to the active controller and resolves with its answer (null: none came). */
export type ControllerForwarder = (input: controller.Input) => Promise<controller.Response | null>;

/** How often an unregistered broker asks the controller again, and how often it says so in the log. */
const registrationRetryMs = 250;
const registrationLogIntervalMs = 5_000;

export abstract class BrokerMetadata {
  private brokerEpoch = -1;
  private forwarder: ControllerForwarder | null = null;

  protected constructor(
    /** This node's id: the broker id it registers with. */
    readonly nodeId: number,
    protected readonly log: (line: string) => void,
  ) {}

  /** The image at the last committed offset this node has: the only metadata the broker acts on. */
  abstract get image(): controller.MetadataImage;
  /** Called with each newer committed image, in order. */
  abstract onImage(listener: ImageListener): void;
  /** The active controller as this node knows it, null while it knows none. */
  abstract get leaderId(): number | null;
  /** This node's own controller is the active one. */
  abstract get isActive(): boolean;
  /** A request to this node's own controller (only when it is the active one). */
  abstract requestHere(input: controller.Input): Promise<controller.Response | null>;
  /** Resolves once every image received so far has reached the listeners. */
  abstract settled(): Promise<void>;
  /** Advances the node's controller clock (nothing on a broker-only node). */
  abstract tick(): void;

  /**
   * Hands requests to the active controller wherever it is (cluster mode): the forwarder answers
   * from this node's own controller when it is the active one, and sends them to the active
   * controller otherwise. Without one, this node is a cluster of one and its own controller.
   */
  setForwarder(forwarder: ControllerForwarder): void {
    this.forwarder = forwarder;
  }

  /** The epoch of this broker's registration, -1 until registered (AlterPartition carries it). */
  get brokerEpochValue(): number {
    return this.brokerEpoch;
  }

  /**
   * Registers this broker with the controller and unfences it; resolves once committed. In a
   * cluster the controller may not be elected yet, or be unreachable: it keeps asking, as a Kafka
   * broker does, until `closed` says the node is stopping.
   */
  async registerSelf(
    host: string,
    port: number,
    clock: () => number,
    closed: () => boolean,
    listeners?: readonly controller.BrokerListener[],
  ): Promise<void> {
    const brokerId = this.nodeId;
    let lastLoggedMs = clock();
    for (let attempt = 1; !closed(); attempt++) {
      const registered = await this.request({
        type: "registerBroker",
        nowMs: clock(),
        brokerId,
        host,
        port,
        rack: null,
        ...(listeners === undefined ? {} : { listeners }),
      });
      if (registered?.type === "registerBroker" && registered.error === "NONE") {
        this.brokerEpoch = registered.brokerEpoch;
        await this.heartbeat(clock());
        return;
      }
      if (this.forwarder === null) {
        if (registered?.type !== "registerBroker") throw new Error("broker registration got no answer");
        throw new Error(`broker registration failed: ${registered.error}`);
      }
      if (clock() - lastLoggedMs >= registrationLogIntervalMs) {
        lastLoggedMs = clock();
        const why = registered?.type === "registerBroker" ? registered.error : "no answer";
        this.log(`metadata: not registered with the controller yet (attempt ${attempt}: ${why})`);
      }
      await new Promise((resolve) => setTimeout(resolve, registrationRetryMs));
    }
  }

  /**
   * The broker's heartbeat to its controller (the single node keeps its own session alive). A
   * controller that no longer knows this registration (fenced while cut off, or a new controller
   * that lost it) makes the broker register again with a new epoch, as KRaft's brokers do.
   */
  async heartbeat(nowMs: number): Promise<void> {
    if (this.brokerEpoch < 0) return;
    const answer = await this.request({
      type: "brokerHeartbeat",
      nowMs,
      brokerId: this.nodeId,
      brokerEpoch: this.brokerEpoch,
      wantFence: false,
    });
    if (
      answer?.type === "brokerHeartbeat" &&
      (answer.error === "STALE_BROKER_EPOCH" || answer.error === "BROKER_ID_NOT_REGISTERED")
    ) {
      this.log(`metadata: the controller answered ${answer.error}; registering again`);
      this.brokerEpoch = -1;
      this.reregister?.();
    }
  }

  /** Called when the controller asks this broker to register again (set by the node). */
  reregister: (() => void) | null = null;

  /**
   * Sends a request to the controller and resolves with its answer once its records committed and
   * the node's listeners saw the image they made (so a client told "created" finds the partitions).
   * In a cluster it goes to the active controller through the forwarder.
   */
  request(input: controller.Input): Promise<controller.Response | null> {
    if (this.forwarder !== null) return this.forwarder(input);
    return this.requestHere(input);
  }
}
