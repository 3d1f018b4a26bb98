/**
 * The main job, offline: build a typed flux-lora request, check it the way the SDK does
 * before anything is sent, and show what would go on the wire.
 */
import { createClient, fluxLora, type Input } from "@fluxkit/flux-lora";

const input: Input = {
  prompt: "A lighthouse on a cliff at dawn, film photo",
  image_size: { width: 1024, height: 768 },
  num_inference_steps: 28,
  loras: [{ path: "https://example.com/lora.safetensors", scale: 0.8 }],
};

const issues = fluxLora.validateInput(input);
if (issues.length > 0) throw new Error(`the example input is invalid: ${JSON.stringify(issues)}`);

const broken = fluxLora.validateInput({ prompt: "x", num_images: 9, image_size: "square pro" });
console.log(`endpoint   ${fluxLora.id} (follow-ups under /${fluxLora.app}/requests/{id})`);
console.log(`servers    ${fluxLora.servers.map((s) => `${s.provider}=${s.url}`).join(", ")}`);
console.log(`valid      ${JSON.stringify(input)}`);
console.log(`rejected   ${broken.map((i) => `${i.path}: ${i.message}`).join("; ")}`);

// The typed raw client; nothing is sent until a method is called.
const client = createClient({ baseUrl: "http://127.0.0.1:1", token: "example" });
console.log(`client     submit/status/result/cancel: ${Object.keys(client).filter((k) => k !== "raw").join(", ")}`);
