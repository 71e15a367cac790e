/**
 * The entropy-decoder interface of one scan, implemented by the Huffman reader
 * (`huffman.ts`) and the arithmetic decoder (`arith.ts`), so that `jpeg.ts` walks the MCUs of
 * every scan once (as libjpeg-turbo's `decode_mcu` method and pdf.js's `decodeScan` do), and the
 * scan kinds that walk dispatches on.
 *
 * @module
 */

/** Sequential (baseline / extended) scan: whole blocks, decoded and IDCT'd as they come. */
export const SCAN_SEQUENTIAL = 0;
/** Progressive DC first scan (G.1.2.1). */
export const SCAN_DC_FIRST = 1;
/** Progressive DC refinement scan. */
export const SCAN_DC_REFINE = 2;
/** Progressive AC first scan (G.1.2.2). */
export const SCAN_AC_FIRST = 3;
/** Progressive AC refinement scan (G.1.2.3). */
export const SCAN_AC_REFINE = 4;
/** One of the `SCAN_*` constants. */
export type ScanKind =
  | typeof SCAN_SEQUENTIAL
  | typeof SCAN_DC_FIRST
  | typeof SCAN_DC_REFINE
  | typeof SCAN_AC_FIRST
  | typeof SCAN_AC_REFINE;

/**
 * The kind of a scan.
 *
 * @param progressive The frame is progressive.
 * @param ss Spectral selection start.
 * @param ah Successive approximation high bit.
 * @returns The scan kind.
 */
export function scanKind(progressive: boolean, ss: number, ah: number): ScanKind {
  if (!progressive) return SCAN_SEQUENTIAL;
  if (ss === 0) return ah === 0 ? SCAN_DC_FIRST : SCAN_DC_REFINE;
  return ah === 0 ? SCAN_AC_FIRST : SCAN_AC_REFINE;
}

/**
 * Per-component DC predictor holder (anything with a mutable `pred`).
 *
 * @example
 * ```ts
 * const c: DcPredictor = { pred: 0 };
 * ```
 */
export interface DcPredictor {
  /** Last DC value (sequential: dequantised input domain, progressive: point-transformed). */
  pred: number;
}

/**
 * Decodes the blocks of one scan. `ci` is the component's index in the scan (its tables or
 * conditioning were given when the decoder was made for the scan).
 */
export interface EntropyDecoder {
  /**
   * Sequential block, dequantised into `blk` (all zero on entry).
   * @returns The zigzag index of the last non-zero AC coefficient (0: DC only).
   */
  decodeBlock(blk: Int32Array, ci: number, q: Int32Array, c: DcPredictor): number;
  /** Sequential block of a component the output does not need (`blk` is zero again after). */
  skipBlock(blk: Int32Array, ci: number, q: Int32Array, c: DcPredictor): void;
  /** Progressive DC first scan, one block of coefficients at `co[off]`. */
  dcFirst(co: Int16Array, off: number, ci: number, c: DcPredictor, al: number): void;
  /** Progressive DC refinement, one block. */
  dcRefine(co: Int16Array, off: number, al: number): void;
  /** Progressive AC first scan, one block, band `ss..se`. */
  acFirst(co: Int16Array, off: number, ci: number, ss: number, se: number, al: number): void;
  /** Progressive AC refinement, one block, band `ss..se`. */
  acRefine(co: Int16Array, off: number, ci: number, ss: number, se: number, al: number): void;
  /** True when more bits were consumed than the segment holds (data ends mid-scan). */
  overrun(): boolean;
  /**
   * End of the scan or of a restart interval: the offset of the next marker's 0xFF.
   * @throws {import("./types.ts").JpegError} when too much data stands before the marker.
   */
  finishSegment(): number;
  /** Start the next restart interval at `pos` (just after its RSTn marker). */
  reset(pos: number): void;
  /** Data bytes skipped before markers so far (a warning). */
  readonly extraneous: number;
}
