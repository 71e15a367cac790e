/**
 * Chroma upsampling, one output row at a time: libjpeg's "fancy" triangle
 * filters for h2v1, h2v2 (components more than 2 samples wide) and h1v2
 * (jdsample.c) and sample replication for every other case, integer or
 * fractional ratio. Edges replicate the last real
 * sample (the component's downsampled width/height, not the block padding).
 *
 * @module
 */

const COPY = 0;
const H2V1 = 1;
const H2V2 = 2;
const H1V2 = 3;
const NEAREST = 4;

/**
 * Produces upsampled rows of one component plane.
 *
 * @example
 * ```ts
 * const u = new RowUpsampler(cbPlane, stride, 80, 60, 1, 1, 2, 2, 160, true);
 * u.row(7); // u.arr[u.off .. u.off + 160) is output row 7 of Cb
 * ```
 */
export class RowUpsampler {
  /** Buffer holding the current row (the plane itself for full-resolution components). */
  arr: Uint8Array;
  /** Offset of the current row in `arr`. */
  off = 0;
  private readonly mode: number;
  private readonly plane: Uint8Array;
  private readonly stride: number;
  private readonly pw: number;
  private readonly ph: number;
  private readonly outW: number;
  private readonly vs: number;
  private readonly vmax: number;
  private readonly buf: Uint8Array;
  private readonly cs: Int32Array;
  private readonly xmap: Int32Array;

  /**
   * @param plane Component samples.
   * @param stride Row stride of `plane`.
   * @param pw Real (downsampled) width of the component.
   * @param ph Real (downsampled) height.
   * @param h Component horizontal sampling factor.
   * @param v Component vertical sampling factor.
   * @param hmax Largest horizontal factor in the frame.
   * @param vmax Largest vertical factor.
   * @param outW Output row width.
   * @param fancy Use the triangle filters where libjpeg does.
   */
  constructor(
    plane: Uint8Array,
    stride: number,
    pw: number,
    ph: number,
    h: number,
    v: number,
    hmax: number,
    vmax: number,
    outW: number,
    fancy: boolean,
  ) {
    this.plane = plane;
    this.stride = stride;
    this.pw = pw;
    this.ph = ph;
    this.outW = outW;
    this.vs = v;
    this.vmax = vmax;
    // libjpeg-turbo's jinit_upsampler (jdsample.c): the h2v1 and h2v2 triangle filters only
    // when the downsampled width is greater than 2, plain replication otherwise; h1v2 always.
    let mode = NEAREST;
    if (h === hmax && v === vmax) mode = COPY;
    else if (fancy && h * 2 === hmax && v === vmax && pw > 2) mode = H2V1;
    else if (fancy && h * 2 === hmax && v * 2 === vmax && pw > 2) mode = H2V2;
    else if (fancy && h === hmax && v * 2 === vmax) mode = H1V2;
    this.mode = mode;
    this.arr = plane;
    this.buf = new Uint8Array(Math.max(outW, pw * 2) + 8);
    this.cs = new Int32Array(mode === H2V2 ? pw + 2 : 0);
    this.xmap = new Int32Array(mode === NEAREST ? outW : 0);
    if (mode === NEAREST) {
      for (let x = 0; x < outW; x++) this.xmap[x] = Math.min(Math.floor((x * h) / hmax), pw - 1);
    }
  }

  /**
   * Make output row `y` available in `arr` at `off`.
   * @param y Output row index.
   */
  row(y: number): void {
    const p = this.plane;
    const st = this.stride;
    const pw = this.pw;
    const last = this.ph - 1;
    switch (this.mode) {
      case COPY:
        this.arr = p;
        this.off = (y > last ? last : y) * st;
        return;
      case H2V1: {
        const b = this.buf;
        const o = (y > last ? last : y) * st;
        this.arr = b;
        this.off = 0;
        let v = p[o];
        b[0] = v;
        b[1] = (v * 3 + p[o + 1] + 2) >> 2;
        let j = 2;
        for (let i = 1; i < pw - 1; i++, j += 2) {
          v = p[o + i] * 3;
          b[j] = (v + p[o + i - 1] + 1) >> 2;
          b[j + 1] = (v + p[o + i + 1] + 2) >> 2;
        }
        v = p[o + pw - 1];
        b[j] = (v * 3 + p[o + pw - 2] + 1) >> 2;
        b[j + 1] = v;
        return;
      }
      case H2V2: {
        const b = this.buf;
        const cs = this.cs;
        let sy = y >> 1;
        if (sy > last) sy = last;
        let ny = y & 1 ? sy + 1 : sy - 1;
        if (ny < 0) ny = 0;
        if (ny > last) ny = last;
        const o0 = sy * st;
        const o1 = ny * st;
        for (let i = 0; i < pw; i++) cs[i] = p[o0 + i] * 3 + p[o1 + i];
        this.arr = b;
        this.off = 0;
        let t = cs[0];
        b[0] = (t * 4 + 8) >> 4;
        b[1] = (t * 3 + cs[1] + 7) >> 4;
        let j = 2;
        for (let i = 1; i < pw - 1; i++, j += 2) {
          t = cs[i] * 3;
          b[j] = (t + cs[i - 1] + 8) >> 4;
          b[j + 1] = (t + cs[i + 1] + 7) >> 4;
        }
        t = cs[pw - 1];
        b[j] = (t * 3 + cs[pw - 2] + 8) >> 4;
        b[j + 1] = (t * 4 + 7) >> 4;
        return;
      }
      case H1V2: {
        const b = this.buf;
        let sy = y >> 1;
        if (sy > last) sy = last;
        const lower = (y & 1) === 1;
        let ny = lower ? sy + 1 : sy - 1;
        if (ny < 0) ny = 0;
        if (ny > last) ny = last;
        const o0 = sy * st;
        const o1 = ny * st;
        const bias = lower ? 2 : 1;
        for (let i = 0; i < pw; i++) b[i] = (p[o0 + i] * 3 + p[o1 + i] + bias) >> 2;
        this.arr = b;
        this.off = 0;
        return;
      }
      default: {
        const b = this.buf;
        const xm = this.xmap;
        let sy = Math.floor((y * this.vs) / this.vmax);
        if (sy > last) sy = last;
        const o = sy * st;
        for (let x = 0; x < this.outW; x++) b[x] = p[o + xm[x]];
        this.arr = b;
        this.off = 0;
      }
    }
  }
}
