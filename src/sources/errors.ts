/**
 * Errors raised while finding and reading inputs.
 *
 * @module
 */
import { HintedError, type HintedErrorOptions } from "../util/hint.ts";

/** An input path, glob or permission problem the user must fix (CLI exit code 2). */
export class SourceError extends HintedError {
  /** Exit-code kind: the user's to fix (exit 2). */
  readonly kind = "setup";
  /**
   * @param message What is wrong and what to do.
   * @param options Standard error options and the options it points at (`cause`).
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.name = "SourceError";
  }
}

/**
 * Turn a file-system error into a {@linkcode SourceError} naming the path and the fix.
 *
 * @param err The caught error.
 * @param path The path that was being accessed.
 * @param what What was being done, e.g. "read" or "list".
 * @returns A SourceError (or the original error when it is not a file-system error).
 */
export function describeFsError(err: unknown, path: string, what = "read"): unknown {
  if (err instanceof Deno.errors.NotFound) {
    return new SourceError(`cannot ${what} "${path}": no such file or directory; check the path`, {
      cause: err,
    });
  }
  if (err instanceof Deno.errors.NotCapable) {
    return new SourceError(
      `cannot ${what} "${path}": Deno permission missing; run with --allow-read=${
        permissionRoot(path)
      }`,
      { cause: err },
    );
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return new SourceError(
      `cannot ${what} "${path}": the operating system denied access; check the file's permissions`,
      { cause: err },
    );
  }
  if (err instanceof Deno.errors.IsADirectory) {
    return new SourceError(`cannot ${what} "${path}": it is a directory`, { cause: err });
  }
  return err;
}

function permissionRoot(path: string): string {
  // Suggest the top folder of a relative path (./frames/a/b.jpg -> ./frames), else the path.
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (path.startsWith("/")) return path;
  return parts.length > 1 ? parts[0] : path;
}
