/**
 * Names derived from an endpoint's submit path. One place, so the normalized file, the
 * package directory, the npm name and the exported value always agree.
 *
 *   /fal-ai/flux-1/dev/image-to-image
 *     id           fal-ai/flux-1/dev/image-to-image
 *     app          fal-ai/flux-1           (follow-up routes: /fal-ai/flux-1/requests/{id})
 *     slug         flux-1-dev-image-to-image
 *     packageName  @fluxkit/flux-1-dev-image-to-image
 *     exportName   flux1DevImageToImage
 */
export interface EndpointNames {
  id: string;
  owner: string;
  app: string;
  submitPath: string;
  slug: string;
  packageName: string;
  exportName: string;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function endpointNames(submitPath: string): EndpointNames {
  const segments = submitPath.replace(/^\/+|\/+$/g, "").split("/");
  if (segments.length < 2 || !segments.every((s) => SEGMENT.test(s))) {
    throw new Error(`"${submitPath}" is not an endpoint path of the form /{owner}/{app}[/{subpath}]`);
  }
  const [owner, app] = segments as [string, string];
  const slug = segments.slice(1).join("-").toLowerCase();
  const exportName = slug
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)))
    .join("");
  return {
    id: segments.join("/"),
    owner,
    app: `${owner}/${app}`,
    submitPath: `/${segments.join("/")}`,
    slug,
    packageName: `@fluxkit/${slug}`,
    exportName: /^[0-9]/.test(exportName) ? `endpoint${exportName}` : exportName,
  };
}
