/**
 * Capture URLs: what kind of input a URL is (network, file, stdin), SRT mode, and redaction of
 * secrets (SRT `passphrase`, userinfo passwords) for keys, logs and error messages.
 *
 * @module
 */

/** What kind of input a capture URL names. */
export interface InputInfo {
  /** Lower-case scheme without the colon (`srt`, `rtsp`, `udp`...), `file` or `stdin`. */
  scheme: string;
  /** True for network inputs (reconnect on by default). */
  network: boolean;
  /** SRT only: `caller` (default), `listener` or `rendezvous`. */
  srtMode?: string;
  /** Host and port for messages, when the URL has them. */
  hostPort?: string;
}

const SECRET_QUERY = /([?&](?:passphrase|password|pass|pwd|secret|token)=)([^&#\s'"]*)/gi;
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@/\s]*)(@)/i;

/**
 * Replace the SRT `passphrase` (and similar query secrets) and any password in the userinfo
 * with `***`.
 *
 * @param url A capture URL.
 * @returns The URL safe to print.
 * @example
 * ```ts
 * import { redactUrl } from "./url.ts";
 * redactUrl("srt://cam:9000?mode=caller&passphrase=hunter2hunter2"); // "srt://cam:9000?mode=caller&passphrase=***"
 * redactUrl("rtsp://admin:pw@10.0.0.5/stream"); // "rtsp://admin:***@10.0.0.5/stream"
 * ```
 */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, "$1***$3").replace(SECRET_QUERY, "$1***");
}

/**
 * The secret values in a URL (raw and percent-decoded), so they can be scrubbed from any text.
 *
 * @param url A capture URL.
 * @returns Non-empty secret strings.
 */
export function urlSecrets(url: string): string[] {
  const out = new Set<string>();
  for (const m of url.matchAll(SECRET_QUERY)) if (m[2]) out.add(m[2]);
  const u = USERINFO.exec(url);
  if (u?.[2]) out.add(u[2]);
  for (const s of [...out]) {
    try {
      out.add(decodeURIComponent(s));
    } catch {
      // not percent-encoded
    }
  }
  return [...out].filter((s) => s.length > 0);
}

/**
 * Make a function that removes the URL's secrets from a line of text (ffmpeg stderr, errors).
 *
 * @param url The capture URL.
 * @returns A scrubber.
 * @example
 * ```ts
 * import { makeRedactor } from "./url.ts";
 * const scrub = makeRedactor("srt://h:1?passphrase=topsecret12");
 * scrub("Connection to srt://h:1?passphrase=topsecret12 failed"); // "... passphrase=*** failed"
 * ```
 */
export function makeRedactor(url: string): (text: string) => string {
  const secrets = urlSecrets(url).sort((a, b) => b.length - a.length);
  return (text) => {
    let t = redactUrl(text);
    for (const s of secrets) t = t.split(s).join("***");
    return t;
  };
}

/**
 * Classify a capture input.
 *
 * @param url A URL, a file path or `-` (stdin).
 * @returns Scheme, whether it is a network input, the SRT mode.
 * @example
 * ```ts
 * import { inputInfo } from "./url.ts";
 * inputInfo("srt://127.0.0.1:9999?mode=listener").srtMode; // "listener"
 * inputInfo("clip.mp4").network; // false
 * ```
 */
export function inputInfo(url: string): InputInfo {
  if (url === "-" || url === "pipe:0" || url === "pipe:") {
    return { scheme: "stdin", network: false };
  }
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!m) return { scheme: "file", network: false };
  const scheme = m[1].toLowerCase();
  if (scheme === "file") return { scheme: "file", network: false };
  const hostPort = m[2].replace(/^[^@]*@/, "");
  const info: InputInfo = { scheme, network: true, hostPort };
  if (scheme === "srt") info.srtMode = queryParam(url, "mode") ?? "caller";
  return info;
}

/**
 * Read one query parameter of a URL without normalising the URL.
 *
 * @param url The URL.
 * @param name Parameter name.
 * @returns The decoded value, or undefined.
 */
export function queryParam(url: string, name: string): string | undefined {
  const q = url.indexOf("?");
  if (q < 0) return undefined;
  for (const part of url.slice(q + 1).split("#")[0].split("&")) {
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    if (k === name) {
      const v = eq < 0 ? "" : part.slice(eq + 1);
      try {
        return decodeURIComponent(v);
      } catch {
        return v;
      }
    }
  }
  return undefined;
}

/**
 * Add a query parameter when the URL does not set it already.
 *
 * @param url The URL.
 * @param name Parameter name.
 * @param value Value (encoded here).
 * @returns The URL.
 */
export function withQueryDefault(url: string, name: string, value: string): string {
  if (queryParam(url, name) !== undefined) return url;
  const hash = url.indexOf("#");
  const base = hash < 0 ? url : url.slice(0, hash);
  const sep = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
  return `${base}${sep}${name}=${encodeURIComponent(value)}${hash < 0 ? "" : url.slice(hash)}`;
}
