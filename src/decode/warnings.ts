/**
 * libjpeg-style warnings: problems a decode recovered from with every pixel still decoded
 * (libjpeg-turbo's `djpeg` prints these and exits 2). Both decoders report the same ones, built
 * here. Damage that leaves pixels undecoded (a bad Huffman code, data ending mid-scan, a missing
 * restart marker, missing progressive scans) is an error, never a warning.
 *
 * @module
 */
import { JpegError, type JpegWarning } from "./types.ts";

/**
 * At most this many data bytes between the end of a scan (or of a restart interval) and the
 * next marker are skipped with a warning (libjpeg: "extraneous bytes before marker"); more are
 * refused as corrupt data. The fast path's `MAX_EXTRANEOUS` (c/jpeg.c) is the same number.
 */
export const MAX_EXTRANEOUS_BYTES = 2;

/** What one decode recovered from, as counted by a decoder. */
export interface WarningCounts {
  /** Data bytes skipped before markers (in total). */
  extraneous: number;
  /** The file ends after its last scan without an EOI marker. */
  noEoi: boolean;
  /** A sequential scan with Ss/Se/Ah/Al other than 0/63/0/0 (the values are ignored). */
  scanParameters: boolean;
}

/**
 * The warnings of one decode.
 *
 * @param c What the decoder counted.
 * @returns The warnings, empty when there is none.
 * @example
 * ```ts
 * import { jpegWarnings } from "./warnings.ts";
 * jpegWarnings({ extraneous: 0, noEoi: true, scanParameters: false }); // one "premature-end"
 * ```
 */
export function jpegWarnings(c: WarningCounts): JpegWarning[] {
  const w: JpegWarning[] = [];
  if (c.extraneous > 0) {
    w.push({
      kind: "extraneous-bytes",
      message: `corrupt JPEG data: ${c.extraneous} extraneous byte${
        c.extraneous === 1 ? "" : "s"
      } before a marker`,
    });
  }
  if (c.noEoi) {
    w.push({
      kind: "premature-end",
      message: "premature end of JPEG file: no EOI marker after the last scan",
    });
  }
  if (c.scanParameters) {
    w.push({
      kind: "scan-parameters",
      message: "invalid SOS parameters for sequential JPEG (Ss/Se/Ah/Al ignored)",
    });
  }
  return w;
}

/** A JPEG refused because its decode had warnings and warnings were not allowed (`strict`). */
export class JpegWarningError extends JpegError {
  /** The warnings that made the decode fail. */
  readonly warnings: JpegWarning[];

  /**
   * Make the error.
   *
   * @param warnings The warnings of the decode (at least one).
   */
  constructor(warnings: JpegWarning[]) {
    super(`refused (strict): ${warnings.map((w) => w.message).join("; ")}`);
    this.name = "JpegWarningError";
    this.warnings = warnings;
  }
}
