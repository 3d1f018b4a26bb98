/**
 * The page: one flux-lora job at a time through this server's proxy, with its progress (queue
 * position, state, logs) from `onQueueUpdate`, the image, and a cancel button that cancels the
 * job on the server. The same @fluxkit/queue calls work on a server with a token; here the
 * client has only the proxy's path.
 */
import { fluxLora, type Input, type Output } from "@fluxkit/flux-lora";
import { createQueueClient, JobFailedError, type QueueHandle, type QueueStatus, ValidationError } from "@fluxkit/queue";

const queue = createQueueClient({ provider: { proxyUrl: "/api/fal" } });

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing from the page`);
  return found as T;
};
const form = element<HTMLFormElement>("generate");
const prompt = element<HTMLInputElement>("prompt");
const imageSize = element<HTMLSelectElement>("image-size");
const generateButton = element<HTMLButtonElement>("generate-button");
const cancelButton = element<HTMLButtonElement>("cancel-button");
const status = element<HTMLParagraphElement>("status");
const cancelState = element<HTMLParagraphElement>("cancel-state");
const history = element<HTMLOListElement>("history");
const log = element<HTMLOListElement>("log");
const result = element<HTMLImageElement>("result");

let job: QueueHandle<Output> | undefined;
let logsShown = 0;

function show(text: string): void {
  status.textContent = text;
  const item = document.createElement("li");
  item.textContent = text;
  history.append(item);
}

/** Statuses carry every log so far; only the new ones are added. */
function onQueueUpdate(update: QueueStatus): void {
  if (update.status === "IN_QUEUE") show(`In queue, position ${update.queue_position ?? "unknown"}`);
  else if (update.status === "IN_PROGRESS") show("Generating…");
  else show("Completed");
  for (const entry of update.logs.slice(logsShown)) {
    const item = document.createElement("li");
    item.textContent = entry.message;
    log.append(item);
  }
  logsShown = Math.max(logsShown, update.logs.length);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void generate();
});

async function generate(): Promise<void> {
  generateButton.disabled = true;
  cancelState.textContent = "";
  history.replaceChildren();
  log.replaceChildren();
  logsShown = 0;
  result.removeAttribute("src");
  const input: Input = { prompt: prompt.value, image_size: imageSize.value as Input["image_size"] };
  try {
    show("Submitting…");
    job = await queue.submit(fluxLora, input);
    cancelButton.disabled = false;
    show(`In queue, position ${job.queuePosition ?? "unknown"}`);
    const { data } = await queue.subscribe(job, { mode: "streaming", logs: true, onQueueUpdate });
    const image = data.images[0];
    if (image === undefined) throw new Error("The job returned no image.");
    result.alt = input.prompt;
    result.src = image.url;
    await result.decode();
    show(`Done: ${image.width}×${image.height}`);
  } catch (error) {
    if (error instanceof JobFailedError && error.errorType === "request_cancelled") show("Cancelled.");
    else if (error instanceof ValidationError) show(`Check the input: ${error.issues.map((i) => `${i.path || "input"} ${i.message}`).join("; ")}`);
    else show(`Failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    job = undefined;
    cancelButton.disabled = true;
    generateButton.disabled = false;
  }
}

cancelButton.addEventListener("click", () => {
  const target = job;
  if (target === undefined) return;
  cancelButton.disabled = true;
  queue.cancel(target).then(
    (outcome) => {
      cancelState.textContent =
        outcome === "CANCELLATION_REQUESTED" ? "Cancel confirmed (CANCELLATION_REQUESTED)." : "Too late: the job had already completed.";
    },
    (error: unknown) => {
      cancelState.textContent = `Cancel failed: ${error instanceof Error ? error.message : String(error)}`;
    },
  );
});
