/**
 * The base of the pipeline's errors about one file: the message starts with the file (as the
 * caller names it, usually relative to the repository root), so a reader knows where to look.
 * Subclasses name the step that failed.
 */
export class FileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "FileError";
  }
}
