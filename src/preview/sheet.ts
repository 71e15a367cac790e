/**
 * Contact sheets: frames scaled into tiles on a grid, a caption under each tile (label and
 * frame number / key) and a title bar, as interleaved RGB ready for {@linkcode encodePng}.
 *
 * Payloads are read by their own layout (`chw` planes or `hwc` pixels; 1 or 3 channels), so a
 * producer that mislabels its layout shows up as a scrambled picture.
 *
 * @module
 */
import type { Frame } from "../formats/frame.ts";
import { ADVANCE, drawText, GLYPH_HEIGHT } from "./font.ts";
import { encodePng } from "./png.ts";

/** Grid geometry of a contact sheet. */
export interface SheetOptions {
  /** Number of tiles. */
  count: number;
  /** Tiles per row. Default: `ceil(sqrt(count))`. */
  cols?: number;
  /** Tile width in pixels (the image area). Default 160. */
  tileWidth?: number;
  /** Tile height in pixels (the image area). Default 120. */
  tileHeight?: number;
  /** Caption lines under each tile. Default 2. */
  captionLines?: number;
  /** Title at the top (one line; omitted when empty). */
  title?: string;
}

/** Where a tile's image landed on the sheet (for tests and tools). */
export interface TileRect {
  /** Left edge of the image area. */
  x: number;
  /** Top edge of the image area. */
  y: number;
  /** Width of the scaled image (fits the tile, aspect kept). */
  width: number;
  /** Height of the scaled image. */
  height: number;
}

const PAD = 4;
const LINE = GLYPH_HEIGHT + 3;
const BG: [number, number, number] = [40, 40, 40];
const TILE_BG: [number, number, number] = [16, 16, 16];
const TEXT: [number, number, number] = [235, 235, 235];
const DIM: [number, number, number] = [150, 150, 150];

/**
 * A contact sheet being filled tile by tile.
 *
 * @example
 * ```ts
 * import { ContactSheet } from "./sheet.ts";
 * import { frames } from "../pipeline/images.ts";
 * const sheet = new ContactSheet({ count: 4, title: "fixtures" });
 * let i = 0;
 * for await (const f of frames("fixtures/frames", { limit: 4 })) {
 *   sheet.draw(i++, f, [`#${f.seq}`, f.key]);
 * }
 * await Deno.writeFile("sheet.png", sheet.png());
 * ```
 */
export class ContactSheet {
  /** Sheet width in pixels. */
  readonly width: number;
  /** Sheet height in pixels. */
  readonly height: number;
  /** The pixels, interleaved RGB. */
  readonly rgb: Uint8Array;
  /** Image areas of the tiles drawn so far, by index. */
  readonly tiles: TileRect[] = [];
  #cols: number;
  #tw: number;
  #th: number;
  #lines: number;
  #top: number;

  /**
   * Make an empty sheet.
   *
   * @param options Grid geometry and title.
   */
  constructor(options: SheetOptions) {
    const count = Math.max(1, options.count);
    this.#cols = Math.max(1, Math.min(options.cols ?? Math.ceil(Math.sqrt(count)), count));
    this.#tw = options.tileWidth ?? 160;
    this.#th = options.tileHeight ?? 120;
    this.#lines = options.captionLines ?? 2;
    const rows = Math.ceil(count / this.#cols);
    this.#top = options.title ? LINE + PAD : 0;
    this.width = PAD + this.#cols * (this.#tw + PAD);
    this.height = this.#top + PAD + rows * this.#cellHeight();
    this.rgb = new Uint8Array(this.width * this.height * 3);
    fill(this.rgb, this.width, 0, 0, this.width, this.height, BG);
    if (options.title) {
      drawText(
        this.rgb,
        this.width,
        this.height,
        PAD,
        PAD,
        fitText(options.title, this.width - 2 * PAD, false),
        TEXT,
      );
    }
  }

  #cellHeight(): number {
    return this.#th + this.#lines * LINE + PAD + 2;
  }

  /**
   * Draw a frame into tile `index`: scaled to fit the tile (area average when shrinking,
   * nearest when enlarging, aspect kept), centred, with caption lines under it.
   *
   * @param index Tile index, row-major.
   * @param frame The frame (any size, layout and channel count).
   * @param caption Lines of text under the tile (cut to the tile width).
   * @returns Where the image landed.
   */
  draw(index: number, frame: Frame, caption: string[]): TileRect {
    const col = index % this.#cols, row = Math.floor(index / this.#cols);
    const x0 = PAD + col * (this.#tw + PAD);
    const y0 = this.#top + PAD + row * this.#cellHeight();
    fill(this.rgb, this.width, x0, y0, this.#tw, this.#th, TILE_BG);
    const s = Math.min(this.#tw / frame.width, this.#th / frame.height);
    const w = Math.max(1, Math.min(this.#tw, Math.round(frame.width * s)));
    const h = Math.max(1, Math.min(this.#th, Math.round(frame.height * s)));
    const rect = {
      x: x0 + ((this.#tw - w) >> 1),
      y: y0 + ((this.#th - h) >> 1),
      width: w,
      height: h,
    };
    blitScaled(frame, this.rgb, this.width, rect);
    caption.slice(0, this.#lines).forEach((line, i) => {
      drawText(
        this.rgb,
        this.width,
        this.height,
        x0,
        y0 + this.#th + 3 + i * LINE,
        fitText(line, this.#tw, i > 0),
        i === 0 ? TEXT : DIM,
      );
    });
    this.tiles[index] = rect;
    return rect;
  }

  /**
   * The sheet as a PNG file.
   *
   * @returns PNG bytes.
   */
  png(): Uint8Array {
    return encodePng(this.width, this.height, this.rgb);
  }
}

/**
 * Cut text to fit a width: from the end (`abc..`), or keeping the end (`..xyz`) for keys whose
 * tail (the file name) matters most.
 *
 * @param text The text.
 * @param width Pixels available.
 * @param keepEnd Keep the end instead of the start.
 * @returns Text that fits.
 */
export function fitText(text: string, width: number, keepEnd: boolean): string {
  const max = Math.max(1, Math.floor((width + 1) / ADVANCE));
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 2) return chars.slice(0, max).join("");
  return keepEnd
    ? ".." + chars.slice(chars.length - (max - 2)).join("")
    : chars.slice(0, max - 2).join("") + "..";
}

function fill(
  rgb: Uint8Array,
  stride: number,
  x: number,
  y: number,
  w: number,
  h: number,
  c: readonly number[],
): void {
  for (let yy = y; yy < y + h; yy++) {
    for (let xx = x; xx < x + w; xx++) {
      const o = (yy * stride + xx) * 3;
      rgb[o] = c[0];
      rgb[o + 1] = c[1];
      rgb[o + 2] = c[2];
    }
  }
}

/**
 * Scale a frame into a rectangle of an RGB image, reading the payload by its layout.
 *
 * @param f The frame.
 * @param out Destination pixels (interleaved RGB).
 * @param stride Destination width.
 * @param r Destination rectangle.
 */
export function blitScaled(f: Frame, out: Uint8Array, stride: number, r: TileRect): void {
  const { width: W, height: H, channels: C, data } = f;
  if (data.length < W * H * C) {
    throw new RangeError(`frame ${f.key}: ${data.length} bytes for ${W}x${H}x${C}`);
  }
  const plane = W * H;
  // Index of channel c of source pixel (x, y) for the frame's layout.
  const at = f.layout === "chw"
    ? (x: number, y: number, c: number) => c * plane + y * W + x
    : (x: number, y: number, c: number) => (y * W + x) * C + c;
  const sum = [0, 0, 0];
  for (let ty = 0; ty < r.height; ty++) {
    const sy0 = Math.floor(ty * H / r.height);
    const sy1 = Math.max(sy0 + 1, Math.floor((ty + 1) * H / r.height));
    for (let tx = 0; tx < r.width; tx++) {
      const sx0 = Math.floor(tx * W / r.width);
      const sx1 = Math.max(sx0 + 1, Math.floor((tx + 1) * W / r.width));
      sum[0] = sum[1] = sum[2] = 0;
      for (let sy = sy0; sy < sy1; sy++) {
        for (let sx = sx0; sx < sx1; sx++) {
          for (let c = 0; c < C; c++) sum[c] += data[at(sx, sy, c)];
        }
      }
      const n = (sy1 - sy0) * (sx1 - sx0);
      const o = ((r.y + ty) * stride + r.x + tx) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(sum[C === 1 ? 0 : c] / n);
    }
  }
}
