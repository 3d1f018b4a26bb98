/**
 * The main job, offline: start the local emulator, run one flux-lora generation through the
 * generated package and @fluxkit/queue, write the image to disk, stop the emulator.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createEmulator } from "@fluxkit/emulator";
import { fluxLora, type Input } from "@fluxkit/flux-lora";
import { createQueueClient } from "@fluxkit/queue";

const outDir = process.argv[2] ?? "out";
const input: Input = {
  prompt: "A lighthouse on a cliff at dawn, film photo",
  image_size: "landscape_4_3",
  num_inference_steps: 28,
  seed: 42,
  output_format: "png",
};

const emulator = await createEmulator({ provider: "fal", latency: "fast" });
try {
  const fal = createQueueClient({ provider: { baseUrl: emulator.url, auth: "key" }, token: "local" });
  const started = performance.now();
  const { data, requestId } = await fal.run(fluxLora, input, {
    onQueueUpdate: (status) => console.log(`  ${status.status}${status.status === "IN_QUEUE" ? ` (position ${status.queue_position ?? 0})` : ""}`),
  });
  const image = data.images[0];
  if (!image) throw new Error(`job ${requestId} returned no image`);
  const response = await fetch(image.url);
  if (!response.ok) throw new Error(`downloading ${image.url} failed: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `${requestId}.${image.content_type === "image/png" ? "png" : "jpg"}`);
  await writeFile(`${file}.tmp`, bytes);
  await rename(`${file}.tmp`, file);
  console.log(
    `${fluxLora.id} → ${file} (${image.width}x${image.height}, ${bytes.length} bytes, seed ${data.seed}, ${Math.round(performance.now() - started)} ms)`,
  );
} finally {
  await emulator.close();
}
