/**
 * The status stream: one `data: <QueueStatus JSON>` event per change, ending after COMPLETED.
 * A `broken-stream` fault ends it mid-event instead, without COMPLETED.
 */
import type { ServerResponse } from "node:http";
import type { Job, QueueSimulator } from "./queue-simulator.js";

export interface StatusStreamOptions {
  readonly simulator: QueueSimulator;
  readonly job: Job;
  readonly render: (job: Job) => unknown;
  readonly broken: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

/** Streams until COMPLETED or the client leaves; resolves when the response has ended. */
export function streamStatus(res: ServerResponse, options: StatusStreamOptions): Promise<void> {
  const { simulator, job, render } = options;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    ...options.headers,
  });
  return new Promise((resolve) => {
    let last = "";
    let unsubscribe = (): void => undefined;
    const finish = (): void => {
      unsubscribe();
      if (!res.writableEnded) res.end();
      resolve();
    };
    res.on("close", finish);
    const send = (): void => {
      const text = JSON.stringify(render(job));
      if (text === last) return;
      last = text;
      res.write(`data: ${text}\n\n`);
    };
    if (options.broken) {
      if (job.state !== "COMPLETED") send();
      res.write('data: {"status":');
      finish();
      return;
    }
    send();
    if (job.state === "COMPLETED") {
      finish();
      return;
    }
    unsubscribe = simulator.subscribe(job, () => {
      send();
      if (job.state === "COMPLETED") finish();
    });
  });
}
