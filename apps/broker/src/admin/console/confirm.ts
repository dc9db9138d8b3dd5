/**
 * The console's confirmation step before anything that changes the cluster (create or delete a
 * topic, reset offsets): an in-page modal `<dialog>` that says exactly what will happen, with the
 * action's own name on the confirming button. Owns the dialog only; it must never act itself.
 */
import { el } from "./dom.ts";

export function confirmAction(what: string, actionLabel: string): Promise<boolean> {
  const dialog = el("dialog", { id: "confirm", "aria-labelledby": "confirm-text" }) as HTMLDialogElement;
  const yes = el("button", { type: "button", id: "confirm-yes", class: "danger" }, [actionLabel]);
  const no = el("button", { type: "button", id: "confirm-no" }, ["Cancel"]);
  dialog.append(el("p", { id: "confirm-text" }, [what]), el("div", { class: "buttons" }, [yes, no]));
  document.body.append(dialog);
  dialog.showModal();
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener("click", () => done(true));
    no.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", () => done(false));
  });
}
