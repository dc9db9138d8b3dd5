/**
 * `/api/v1/brokers` and `/api/v1/brokers/configs`: the registered brokers with the controller and
 * this node marked, and the broker's configs as DescribeConfigs reports them. Owns only reading;
 * it must never change the cluster.
 */
import type { BrokerNode } from "../node/broker-node.ts";
import { describeConfigs } from "./configs-view.ts";

export function brokersView(node: BrokerNode): unknown {
  const image = node.image;
  return {
    clusterId: node.clusterId,
    controllerId: node.controllerId,
    nodeId: node.config.nodeId,
    brokers: image.brokers.map((b) => ({
      nodeId: b.brokerId,
      host: b.host,
      port: b.port,
      rack: b.rack,
      fenced: b.fenced,
      controller: b.brokerId === node.controllerId,
      self: b.brokerId === node.config.nodeId,
    })),
    topicCount: Object.keys(image.topics).length,
    partitionCount: Object.values(image.topics).reduce((sum, t) => sum + t.partitions.length, 0),
  };
}

export function brokerConfigsView(node: BrokerNode): unknown {
  return { nodeId: node.config.nodeId, configs: describeConfigs(node, "broker", String(node.config.nodeId)) };
}
