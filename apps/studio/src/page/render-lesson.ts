/**
 * Draws the lesson beside the run: its title and narration, its scripted inputs (reached or not) and
 * its checks with the step each first held at; and the learner's own timeline of inputs. Owns that
 * wording; it must never ask the worker for anything or keep state between snapshots.
 */
import type { Snapshot } from "../worker-messages.ts";
import { el } from "./dom.ts";

export function renderLesson(region: HTMLElement, s: Snapshot): void {
  const passed = s.checks.filter((c) => c.passedAtStep >= 0).length;
  const children: HTMLElement[] = [
    el("h3", { id: "lesson-name" }, [s.lessonTitle]),
    ...s.narration.map((text) => el("p", {}, [text])),
  ];
  if (s.notes.length > 0) {
    children.push(
      el("h4", {}, ["In this run now"]),
      el(
        "ul",
        { class: "notes", "data-testid": "notes" },
        s.notes.map((n) => el("li", {}, [n])),
      ),
    );
  }
  if (s.script.length > 0) {
    children.push(
      el("h4", {}, ["What happens"]),
      el(
        "ol",
        { class: "script", "aria-label": "the lesson's scripted inputs" },
        s.script.map((e) =>
          el("li", { "data-applied": String(e.applied) }, [
            `${(e.atMs / 1000).toFixed(1)} s: ${e.text} ${e.applied ? "(done)" : "(ahead)"}`,
          ]),
        ),
      ),
    );
  }
  if (s.checks.length > 0) {
    children.push(
      el("h4", {}, [`What you should now see: ${passed} of ${s.checks.length}`]),
      el(
        "ul",
        {
          class: "checks",
          "data-testid": "checks",
          "data-passed": String(passed),
          "data-total": String(s.checks.length),
        },
        s.checks.map((c) =>
          el("li", { class: c.passedAtStep >= 0 ? "passed" : "open" }, [
            c.passedAtStep >= 0 ? `Seen (step ${c.passedAtStep}): ${c.text}` : `Not yet: ${c.text}`,
          ]),
        ),
      ),
    );
  }
  region.replaceChildren(...children);
}

export function renderTimeline(region: HTMLElement, s: Snapshot): void {
  if (s.timeline.length === 0) {
    region.replaceChildren(
      el("p", {}, ["None yet. Inputs you give are listed here with the step they were applied at."]),
    );
    return;
  }
  region.replaceChildren(
    el(
      "ol",
      { class: "timeline", "aria-label": "your inputs, in the order applied" },
      s.timeline.map((t) =>
        el("li", { "data-ahead": String(t.ahead) }, [
          `step ${t.step}: ${t.text}${t.ahead ? " (ahead: applied when the run reaches it)" : ""}`,
        ]),
      ),
    ),
  );
}
