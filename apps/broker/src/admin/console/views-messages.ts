/**
 * The message browser: a partition, a start (an offset or a time) and a limit, then each record's
 * offset, time, key, headers and value shown as text, JSON (pretty printed when it parses) or hex.
 * Owns the browser's form and formatting; it only reads, through `GET /api/v1/topics/NAME/messages`.
 */
import { api, type Bytes } from "./api.ts";
import { el, table } from "./dom.ts";

type Format = "text" | "json" | "hex";

function hexOf(bytes: Bytes): string {
  const raw = atob(bytes.base64);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) out.push(raw.charCodeAt(i).toString(16).padStart(2, "0"));
  return out.join(" ");
}

export function formatBytes(bytes: Bytes | null, format: Format): string {
  if (bytes === null) return "(null)";
  if (format === "hex") return hexOf(bytes);
  if (bytes.text === null) return `(binary, ${bytes.sizeBytes} bytes; see hex)`;
  if (format === "json") {
    // Pretty printed when it parses; text that is not JSON (a plain key) is shown as it is.
    try {
      return JSON.stringify(JSON.parse(bytes.text), null, 2);
    } catch {
      return bytes.text;
    }
  }
  return bytes.text;
}

export function renderBrowser(section: HTMLElement, topic: string, partitionCount: number): void {
  const partitionSelect = el(
    "select",
    { id: "browse-partition", name: "partition" },
    Array.from({ length: partitionCount }, (_, p) => el("option", { value: String(p) }, [`partition ${p}`])),
  );
  const form = el("form", { id: "browse-form", class: "controls" }, [
    el("label", { for: "browse-partition" }, ["Partition"]),
    partitionSelect,
    el("label", { for: "browse-offset" }, ["From offset"]),
    el("input", {
      id: "browse-offset",
      name: "offset",
      type: "number",
      min: "0",
      size: "8",
      placeholder: "log start",
    }),
    el("label", { for: "browse-time" }, ["or from time"]),
    el("input", { id: "browse-time", name: "time", type: "datetime-local", step: "1" }),
    el("label", { for: "browse-limit" }, ["Limit"]),
    el("input", {
      id: "browse-limit",
      name: "limit",
      type: "number",
      min: "1",
      max: "500",
      value: "50",
      size: "4",
    }),
    el("label", { for: "browse-format" }, ["Show as"]),
    el("select", { id: "browse-format", name: "format" }, [
      el("option", { value: "text" }, ["text"]),
      el("option", { value: "json" }, ["JSON"]),
      el("option", { value: "hex" }, ["hex"]),
    ]),
    el("button", { type: "submit", id: "browse-submit" }, ["Show messages"]),
  ]);
  const results = el("div", { id: "browse-results", "aria-live": "polite" });
  section.replaceChildren(el("h3", { id: "browser-title" }, ["Messages"]), form, results);
  const show = async () => {
    const data = new FormData(form as HTMLFormElement);
    const query = new URLSearchParams({
      partition: String(data.get("partition")),
      limit: String(data.get("limit")),
    });
    const offset = String(data.get("offset") ?? "");
    const time = String(data.get("time") ?? "");
    if (time !== "") query.set("timestamp", String(new Date(time).getTime()));
    else if (offset !== "") query.set("offset", offset);
    const format = String(data.get("format")) as Format;
    try {
      const page = await api.messages(topic, query);
      results.replaceChildren(
        el("p", { class: "describe", "data-testid": "browse-summary" }, [
          `Partition ${page.partition}: log start ${page.logStartOffset}, high watermark ${page.highWatermark}; showing ${page.messages.length} record(s) from offset ${page.from}, next ${page.nextOffset}.`,
        ]),
        table(
          "Records",
          ["offset", "time", "key", "headers", "value"],
          page.messages.map((m) => [
            m.offset,
            new Date(m.timestampMs).toISOString(),
            el("pre", {}, [formatBytes(m.key, format)]),
            el("pre", {}, [
              m.headers.map((h) => `${h.key}: ${formatBytes(h.value, format)}`).join("\n") || "-",
            ]),
            el("pre", { class: "value" }, [formatBytes(m.value, format)]),
          ]),
          { id: "messages" },
        ),
      );
    } catch (error) {
      results.replaceChildren(el("p", { class: "error-code" }, [(error as Error).message]));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void show();
  });
  form.querySelector("#browse-format")?.addEventListener("change", () => void show());
  void show();
}
