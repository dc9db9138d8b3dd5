/**
 * @eddy/ui: the one copy of what the studio and the web console draw with: the stylesheet (`ui.css`,
 * exported as `@eddy/ui/ui.css` for the apps' builds), the element and table builders, and the views
 * both show (brokers as cards, a partition's replicas as logs, a consumer group's offsets and lag),
 * each written against plain data shapes and drawn with a text description beside the picture. Runs
 * in a browser; its tests write the same trees as HTML text. It must never import another workspace
 * package, fetch anything or keep state between draws.
 */
export * from "./broker-cards.ts";
export * from "./consumer-group.ts";
export * from "./elements.ts";
export * from "./partition-log.ts";
export * from "./tree.ts";
