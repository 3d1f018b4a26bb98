/**
 * `pnpm web` (or `pnpm --filter @fluxkit/example-web start [--port 8080]`): the example page,
 * offline, until Ctrl-C.
 */
import { startExampleServer } from "./example-server.js";

const portFlag = process.argv.indexOf("--port");
const portText = portFlag >= 0 ? process.argv[portFlag + 1] : "8080";
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`Invalid --port "${portText}": expected a number from 0 to 65535.`);
  process.exit(2);
}

const server = await startExampleServer({ port });
console.log(`fluxkit web example: open ${server.url}/ (or http://localhost:${new URL(server.url).port}/)`);
console.log("  the page → /api/fal (@fluxkit/proxy, holds the token) → the embedded emulator. Ctrl-C stops.");

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
