/**
 * Arithmetic entropy decoding (placeholder).
 *
 * @module
 */
import { type DcPredictor } from "./huffman.ts";
import { UnsupportedJpegError } from "./types.ts";

/** Arithmetic decoder for one scan. */
export class ArithDecoder {
  constructor(_d: Uint8Array, _pos: number) {
    throw new UnsupportedJpegError("arithmetic coding is not supported");
  }
  startScan(_n: number, _dc: number[], _ac: number[], _dacDc: number[], _dacAc: number[]): void {}
  resetStats(): void {}
  overrun(): boolean {
    return false;
  }
  finishSegment(): number {
    return 0;
  }
  reset(_pos: number): void {}
  decodeBlock(_b: Int32Array, _i: number, _q: Int32Array, _c: DcPredictor): number {
    return 0;
  }
  dcFirst(_co: Int16Array, _o: number, _i: number, _c: DcPredictor, _al: number): void {}
  dcRefine(_co: Int16Array, _o: number, _al: number): void {}
  acFirst(_co: Int16Array, _o: number, _i: number, _ss: number, _se: number, _al: number): void {}
  acRefine(_co: Int16Array, _o: number, _i: number, _ss: number, _se: number, _al: number): void {}
}
