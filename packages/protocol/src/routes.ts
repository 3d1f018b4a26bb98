/**
 * The queue's routes (see https://docs.fal.ai/model-apis/model-endpoints/queue): a job is
 * submitted to `/{endpoint id}` and followed up under `/{app}/requests/{request id}`, where the
 * app is the endpoint id's owner/name (never its subpath).
 */

/** `/fal-ai/flux-lora/image-to-image` for `fal-ai/flux-lora/image-to-image`. */
export function submitPath(endpointId: string): string {
  return `/${endpointId.replace(/^\/+|\/+$/g, "")}`;
}

/** `/{app}/requests/{request id}`: the result; `/status` and `/cancel` hang below it. */
export function requestPath(app: string, requestId: string): string {
  return `/${app.replace(/^\/+|\/+$/g, "")}/requests/${encodeURIComponent(requestId)}`;
}

export interface FollowUpPaths {
  readonly response: string;
  readonly status: string;
  readonly cancel: string;
}

export function followUpPaths(app: string, requestId: string): FollowUpPaths {
  const base = requestPath(app, requestId);
  return { response: base, status: `${base}/status`, cancel: `${base}/cancel` };
}
