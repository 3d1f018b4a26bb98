/**
 * A parsed YAML document's value, with aliases bounded. `maxAliasCount` is the yaml library's
 * defence against "billion laughs" documents (aliases of aliases expanding exponentially); its
 * own error does not say which file, so it is rethrown naming it.
 */
import type { Document } from "yaml";

/** Aliases allowed per document: vendor exports use a handful, an alias bomb needs thousands. */
export const MAX_YAML_ALIASES = 100;

export function yamlValue(document: Document, file: string, makeError: (message: string) => Error): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/alias/i.test(message)) {
      throw makeError(
        `${file}: too many YAML aliases (more than ${MAX_YAML_ALIASES} alias expansions; ${message.replace(/\.$/, "")}). Resolve the anchors in the document, or check where it came from.`,
      );
    }
    throw makeError(`${file}: the YAML cannot be read (${message})`);
  }
}
