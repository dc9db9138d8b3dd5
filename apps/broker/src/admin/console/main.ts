/**
 * The console page's entry: hash routes (`#/`, `#/topics`, `#/topics/NAME`, `#/groups`,
 * `#/groups/NAME`) to the views, a refresh every two seconds of a group's page (its lag chart), and
 * errors shown in the page. Owns navigation and timing; what each page shows is the views'.
 */
import { el } from "./dom.ts";
import { renderCluster } from "./views-cluster.ts";
import { renderGroup, renderGroups } from "./views-groups.ts";
import { renderTopic, renderTopics } from "./views-topics.ts";

const groupRefreshMs = 2_000;
let refreshTimer: ReturnType<typeof setInterval> | null = null;

function route(): void {
  const main = document.getElementById("main")!;
  const parts = location.hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
  if (refreshTimer !== null) clearInterval(refreshTimer);
  refreshTimer = null;
  for (const a of document.querySelectorAll("nav a")) {
    a.setAttribute("aria-current", String((a.getAttribute("href") ?? "").slice(2) === (parts[0] ?? "")));
  }
  const [section, name] = parts;
  let draw: () => Promise<void>;
  if (section === "topics" && name !== undefined) draw = () => renderTopic(main, name);
  else if (section === "topics") draw = () => renderTopics(main);
  else if (section === "groups" && name !== undefined) {
    draw = () => renderGroup(main, name);
    refreshTimer = setInterval(() => void draw().catch(() => {}), groupRefreshMs);
  } else if (section === "groups") draw = () => renderGroups(main);
  else draw = () => renderCluster(main);
  draw().catch((error: unknown) => {
    main.replaceChildren(
      el("p", { class: "error-code", role: "alert" }, [
        `The broker did not answer: ${(error as Error).message}`,
      ]),
    );
  });
}

window.addEventListener("hashchange", route);
route();
