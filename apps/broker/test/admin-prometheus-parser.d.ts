/** The parser ships no types: its one export reads Prometheus text into prom2json's shape. */
declare module "parse-prometheus-text-format" {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
