/**
 * The option layer: each command declares its options once, as a table of typed options
 * (name -> {@linkcode Option}); {@linkcode parseCommand} parses a command line against it (with
 * `node:util` `parseArgs`), applies the defaults and returns typed values, and
 * {@linkcode usage} prints help from the same table, so a default is written in one place.
 *
 * Add a flag: add an entry to the command's table (e.g. `IMAGES_OPTIONS` in `images.ts`, or
 * `OUTPUT_OPTIONS` in `common.ts` for every frame-producing command) made with a builder below:
 *
 * ```ts
 * import { int, parseCommand } from "./options.ts";
 * const spec = {
 *   name: "demo", positionals: "", summary: "demo", examples: [],
 *   options: { retries: int("N", "attempts before giving up", { default: 3, min: 0 }) },
 * };
 * const { values } = parseCommand(spec, ["--retries", "5"]);
 * values.retries; // 5 (a number; 3 when not given)
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

/** A command-line usage error (exit code 2). */
export class UsageError extends Error {
  /** Exit-code kind: the user's to fix. */
  readonly kind = "usage";
  /**
   * @param message What is wrong and how to fix it.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Raw value from `parseArgs`. */
export type RawValue = string | boolean | string[] | undefined;

/** One option: how it is written, its help line, its default and how its value is read. */
export interface Option<T> {
  /** `string` takes a value; `boolean` is a flag (`--no-NAME` negates). */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Placeholder in usage, e.g. `WxH`. */
  arg?: string;
  /** One line of help. */
  help: string;
  /** Default raw value: applied when the option is absent, and shown in usage. */
  default?: string | boolean;
  /** May be given several times. */
  multiple?: boolean;
  /**
   * Read the raw value (the default when absent; undefined when there is none).
   *
   * @param raw The raw value.
   * @param flag `--NAME`, for messages.
   */
  parse(raw: RawValue, flag: string): T;
}

/** A command's options by long name (without dashes). */
export type OptionTable = Record<string, Option<unknown>>;

/** The typed values of a table. */
export type OptionValues<T extends OptionTable> = {
  [K in keyof T]: T[K] extends Option<infer V> ? V : never;
};

/** A command's table and help. */
export interface CommandSpec<T extends OptionTable = OptionTable> {
  /** Subcommand name. */
  name: string;
  /** Positional arguments in usage, e.g. `<path|glob|->...`. */
  positionals: string;
  /** One-line summary. */
  summary: string;
  /** Options. */
  options: T;
  /** Example command lines with a comment each. */
  examples: [string, string][];
  /** Extra paragraphs after the options. */
  notes?: string[];
}

/** A parsed command line. */
export interface ParsedCommand<T extends OptionTable> {
  /** Typed values, defaults applied. */
  values: OptionValues<T>;
  /** Options the user gave (long names). */
  given: Set<string>;
  /** Positional arguments. */
  positionals: string[];
  /** `--help` / `-h` was given (nothing else is checked then). */
  help: boolean;
}

/**
 * Levenshtein distance, for suggestions.
 *
 * @param a First word.
 * @param b Second word.
 * @returns Edit distance.
 */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

/**
 * The closest candidate to a mistyped word, if any is close enough.
 *
 * @param word What the user typed.
 * @param candidates Valid words.
 * @returns The suggestion or undefined.
 */
export function suggest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * `--NAME VALUE` where VALUE starts with `-` followed by a digit (`--epochs -1`) becomes
 * `--NAME=VALUE`, so that the value reaches its parser (one clear line) instead of `parseArgs`'
 * "argument is ambiguous" text.
 */
function joinNegativeValues(table: OptionTable, args: string[]): string[] {
  const stringFlags = new Set<string>();
  for (const [name, o] of Object.entries(table)) {
    if (o.type !== "string") continue;
    stringFlags.add(`--${name}`);
    if (o.short) stringFlags.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (stringFlags.has(a) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * Parse a command line against a command's table: typed values with defaults applied.
 *
 * @param spec The command.
 * @param args Arguments after the subcommand name.
 * @returns Values, the options given, positionals, and whether `--help` was asked.
 * @throws {UsageError} unknown options (with a suggestion), missing or malformed values.
 */
export function parseCommand<T extends OptionTable>(
  spec: CommandSpec<T>,
  args: string[],
): ParsedCommand<T> {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type };
    if (o.short) options[name].short = o.short;
    if (o.multiple) options[name].multiple = true;
  }
  let raw: Record<string, RawValue>, positionals: string[];
  try {
    const r = parseArgs(
      {
        args: joinNegativeValues(spec.options, args),
        options,
        allowPositionals: true,
        strict: true,
        allowNegative: true,
      } as Parameters<typeof parseArgs>[0],
    );
    raw = r.values as Record<string, RawValue>;
    positionals = r.positionals;
  } catch (err) {
    throw argsError(spec, err as Error & { code?: string }, args);
  }
  const help = raw.help === true;
  const given = new Set(Object.keys(raw).filter((k) => k !== "help" && raw[k] !== undefined));
  const values = {} as Record<string, unknown>;
  if (!help) {
    for (const [name, o] of Object.entries(spec.options)) {
      values[name] = o.parse(raw[name] ?? o.default, `--${name}`);
    }
  }
  return { values: values as OptionValues<T>, given, positionals, help };
}

function argsError(
  spec: CommandSpec<OptionTable>,
  e: Error & { code?: string },
  args: string[],
): UsageError {
  const see = `(see framepipe ${spec.name} --help)`;
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const m = /'(-{1,2}[^']+)'/.exec(e.message);
    const bad = m ? m[1] : "?";
    const s = suggest(
      bad.replace(/^-+/, "").replace(/=.*/, ""),
      Object.keys(spec.options).concat(["help"]),
    );
    return new UsageError(
      `unknown option ${bad} for "${spec.name}"${s ? `; did you mean --${s}?` : ""} ${see}`,
    );
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const m = /'(-{1,2}[^' ]+)/.exec(e.message);
    const flag = m ? m[1] : "the option";
    const o = Object.entries(spec.options).find(([n, x]) =>
      `--${n}` === flag || `-${x.short}` === flag
    );
    if (o && o[1].type === "string") {
      const next = args[args.indexOf(flag) + 1];
      const dash = next?.startsWith("-") && args.includes(flag)
        ? `; for a value starting with "-" write ${flag}=${next}`
        : "";
      return new UsageError(
        `${flag} needs a value${o[1].arg ? ` (${o[1].arg})` : ""}${dash} ${see}`,
      );
    }
    return new UsageError(`${flag} takes no value ${see}`);
  }
  return new UsageError(`${e.message.split("\n")[0]} ${see}`);
}

/**
 * Usage text generated from a command's table.
 *
 * @param spec The command.
 * @returns Multi-line help.
 */
export function usage(spec: CommandSpec<OptionTable>): string {
  const lines = [
    `framepipe ${spec.name} - ${spec.summary}`,
    "",
    `Usage: framepipe ${spec.name} [options] ${spec.positionals}`,
    "",
    "Options:",
  ];
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.arg ? ` ${o.arg}` : ""}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : "";
    return [flag, o.help + def];
  });
  rows.push(["-h, --help", "show this help"]);
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  for (const [f, h] of rows) lines.push(`  ${f.padEnd(w)}${h}`);
  if (spec.notes?.length) lines.push("", ...spec.notes);
  lines.push("", "Examples:");
  for (const [cmd, why] of spec.examples) lines.push(`  # ${why}`, `  ${cmd}`, "");
  lines.push(EXIT_CODES_LINE);
  return lines.join("\n");
}

/** The exit codes, as every help text ends. */
export const EXIT_CODES_LINE =
  "Exit codes: 0 ok, 1 data error, 2 usage or setup error, 70 internal error (a bug).";

/**
 * A table without some of its options (a command that gives those names its own meaning).
 *
 * @param table The table.
 * @param names Options to leave out.
 * @returns A copy without them, in the same order.
 */
export function omit<T extends OptionTable, K extends keyof T & string>(
  table: T,
  ...names: K[]
): Omit<T, K> {
  const out = { ...table };
  for (const n of names) delete out[n];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Value parsers (also used directly for values that are not options).

/** Largest output image, in pixels (`--size`, the `preview` sheet): 8K UHD, 7680x4320. */
export const MAX_OUTPUT_PIXELS = 7680 * 4320;

/**
 * Parse `WxH`.
 *
 * @param flag Option name for messages (`--size`).
 * @param v The value.
 * @param maxPixels Largest `W * H` allowed.
 * @returns Width and height.
 * @throws {UsageError} malformed, zero or too large sizes.
 */
export function parseSize(
  flag: string,
  v: string,
  maxPixels = MAX_OUTPUT_PIXELS,
): { width: number; height: number } {
  const m = /^(\d+)[x:X*](\d+)$/.exec(v.trim());
  if (!m || +m[1] < 1 || +m[2] < 1 || +m[1] > 65535 || +m[2] > 65535) {
    throw new UsageError(`${flag} "${v}" is not a size; use WIDTHxHEIGHT, e.g. ${flag} 853x480`);
  }
  if (+m[1] * +m[2] > maxPixels) {
    throw new UsageError(
      `${flag} ${v} is ${+m[1] * +m[2]} pixels, over the limit of ${maxPixels}; ` +
        `use a smaller ${flag}`,
    );
  }
  return { width: +m[1], height: +m[2] };
}

/**
 * Parse a whole number.
 *
 * @param flag Option name for messages.
 * @param v Value.
 * @param min Smallest allowed value.
 * @param max Largest allowed value.
 * @returns The integer.
 * @throws {UsageError} not an integer or out of range.
 */
export function parseIntOption(flag: string, v: string, min = 0, max = Infinity): number {
  const s = v.trim().replace(/_/g, "");
  const n = /^\d+(e\d+)?$/i.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} "${v}" must be a whole number >= ${min}`);
  }
  if (n > max) throw new UsageError(`${flag} ${v} is over the limit of ${max}`);
  return n;
}

/**
 * Parse a positive number (seconds, fps).
 *
 * @param flag Option name.
 * @param v Value.
 * @returns The number.
 * @throws {UsageError} not a positive number.
 */
export function parsePositive(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} "${v}" must be a number > 0`);
  }
  return n;
}

/**
 * Parse seconds where 0 means forever.
 *
 * @param flag Option name.
 * @param v Value.
 * @returns Milliseconds; 0 = forever.
 * @throws {UsageError} not a number >= 0.
 */
export function parseTimeoutMs(flag: string, v: string): number {
  if (v.trim() !== "" && Number(v) === 0) return 0;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${flag} "${v}" must be seconds >= 0 (0: forever)`);
  }
  return n * 1000;
}

/**
 * Parse one of a fixed set of choices, suggesting the closest on a typo.
 *
 * @param flag Option name.
 * @param v Value.
 * @param choices Allowed values.
 * @returns The value.
 * @throws {UsageError} not a choice.
 */
export function parseChoice<T extends string>(flag: string, v: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(v)) return v as T;
  const s = suggest(v, [...choices]);
  throw new UsageError(
    `${flag} "${v}" is not one of ${choices.join(", ")}${s ? `; did you mean ${s}?` : ""}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Builders.

interface Common {
  /** One-letter alias. */
  short?: string;
}

function str(raw: RawValue): string | undefined {
  return typeof raw === "string" ? raw : undefined;
}

/** A string option whose value, when present, is read by `read`. */
function valued<T>(
  arg: string,
  help: string,
  o: Common & { default?: string | number },
  read: (value: string, flag: string) => T,
): Option<T | undefined> {
  return {
    type: "string",
    short: o.short,
    arg,
    help,
    default: o.default === undefined ? undefined : String(o.default),
    parse: (r, f) => {
      const s = str(r);
      return s === undefined ? undefined : read(s, f);
    },
  };
}

/**
 * A boolean flag: false unless given (or `default: true`, negated by `--no-NAME`).
 *
 * @param help Help line.
 * @param o Alias and default.
 * @returns The option.
 */
export function flag(help: string, o: Common & { default?: boolean } = {}): Option<boolean> {
  const def = o.default ?? false;
  return {
    type: "boolean",
    short: o.short,
    help,
    default: o.default,
    parse: (r) => r === undefined ? def : r === true,
  };
}

/**
 * A boolean flag whose absence means "decide for me" (undefined).
 *
 * @param help Help line.
 * @returns The option.
 */
export function autoFlag(help: string): Option<boolean | undefined> {
  return { type: "boolean", help, parse: (r) => (r === undefined ? undefined : r === true) };
}

/**
 * A text value.
 *
 * @param arg Placeholder.
 * @param help Help line.
 * @param o Alias, default.
 * @returns The option.
 */
export function text(arg: string, help: string, o: Common & { default: string }): Option<string>;
export function text(arg: string, help: string, o?: Common): Option<string | undefined>;
export function text(
  arg: string,
  help: string,
  o: Common & { default?: string } = {},
): Option<string | undefined> {
  return { type: "string", short: o.short, arg, help, default: o.default, parse: str };
}

/**
 * A whole number.
 *
 * @param arg Placeholder.
 * @param help Help line.
 * @param o Range, alias, default.
 * @returns The option.
 */
export function int(
  arg: string,
  help: string,
  o: Common & { min?: number; max?: number; default: number | string },
): Option<number>;
export function int(
  arg: string,
  help: string,
  o?: Common & { min?: number; max?: number },
): Option<number | undefined>;
export function int(
  arg: string,
  help: string,
  o: Common & { min?: number; max?: number; default?: number | string } = {},
): Option<number | undefined> {
  return valued(arg, help, o, (v, f) => parseIntOption(f, v, o.min ?? 0, o.max));
}

/**
 * A number > 0 (frames/s, seconds).
 *
 * @param arg Placeholder.
 * @param help Help line.
 * @param o Default.
 * @returns The option.
 */
export function positive(arg: string, help: string, o: { default: number }): Option<number>;
export function positive(arg: string, help: string): Option<number | undefined>;
export function positive(
  arg: string,
  help: string,
  o: { default?: number } = {},
): Option<number | undefined> {
  return valued(arg, help, o, (v, f) => parsePositive(f, v));
}

/**
 * A timeout in seconds where 0 means forever; the value is in milliseconds (0 = forever).
 *
 * @param help Help line (say what is waited for).
 * @param o Default in seconds.
 * @returns The option.
 */
export function timeout(help: string, o: { default: number }): Option<number> {
  return {
    type: "string",
    arg: "S",
    help: `${help} (0: forever)`,
    default: String(o.default),
    parse: (r, f) => parseTimeoutMs(f, str(r) ?? String(o.default)),
  };
}

/**
 * One of a fixed set of words.
 *
 * @param arg Placeholder.
 * @param help Help line.
 * @param choices Allowed values.
 * @param o Alias, default.
 * @returns The option.
 */
export function choice<C extends string>(
  arg: string,
  help: string,
  choices: readonly C[],
  o: Common & { default: C },
): Option<C>;
export function choice<C extends string>(
  arg: string,
  help: string,
  choices: readonly C[],
  o?: Common,
): Option<C | undefined>;
export function choice<C extends string>(
  arg: string,
  help: string,
  choices: readonly C[],
  o: Common & { default?: C } = {},
): Option<C | undefined> {
  return valued(arg, help, o, (v, f) => parseChoice(f, v, choices));
}

/**
 * A `WxH` size, bounded by {@linkcode MAX_OUTPUT_PIXELS}.
 *
 * @param help Help line.
 * @param o Default (`WxH`).
 * @returns The option.
 */
export function size(
  help: string,
  o: { default: string },
): Option<{ width: number; height: number }>;
export function size(help: string): Option<{ width: number; height: number } | undefined>;
export function size(
  help: string,
  o: { default?: string } = {},
): Option<{ width: number; height: number } | undefined> {
  return valued("WxH", help, o, (v, f) => parseSize(f, v));
}

/**
 * An option with its own reader.
 *
 * @param arg Placeholder.
 * @param help Help line.
 * @param parse Reads the value (undefined when absent).
 * @param o Alias, default.
 * @returns The option.
 */
export function custom<T>(
  arg: string,
  help: string,
  parse: (value: string | undefined, flag: string) => T,
  o: Common & { default?: string } = {},
): Option<T> {
  return {
    type: "string",
    short: o.short,
    arg,
    help,
    default: o.default,
    parse: (r, f) => parse(str(r), f),
  };
}
