/**
 * DEPRECATED: the old option tables, kept only until `decode_server.ts` moves to the option
 * layer in `options.ts` (typed values, defaults applied). Do not use in new code.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { suggest, UsageError } from "./options.ts";

export { suggest, UsageError };

/** One option in a table. */
export interface OptionSpec {
  /** Long name without dashes. */
  name: string;
  /** `string` takes a value; `boolean` is a flag (`--no-NAME` negates). */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Placeholder in usage, e.g. `WxH`. */
  arg?: string;
  /** Default shown in usage (and applied by the command). */
  default?: string | boolean;
  /** One line of help. */
  help: string;
  /** May be given several times. */
  multiple?: boolean;
}

/** A command's table and help. */
export interface CommandSpec {
  /** Subcommand name. */
  name: string;
  /** Positional arguments in usage, e.g. `<path|glob|->...`. */
  positionals: string;
  /** One-line summary. */
  summary: string;
  /** Options. */
  options: OptionSpec[];
  /** Example command lines with a comment each. */
  examples: [string, string][];
  /** Extra paragraphs after the options. */
  notes?: string[];
}

/** Parsed values. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/**
 * Parse a command line against a command's table.
 *
 * @param spec The command.
 * @param args Arguments after the subcommand name.
 * @returns Values and positionals.
 * @throws {UsageError} unknown options (with a suggestion), missing values.
 */
export function parseCommand(
  spec: CommandSpec,
  args: string[],
): { values: Values; positionals: string[] } {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {
    help: { type: "boolean", short: "h" },
  };
  for (const o of spec.options) {
    options[o.name] = { type: o.type };
    if (o.short) options[o.name].short = o.short;
    if (o.multiple) options[o.name].multiple = true;
  }
  try {
    const r = parseArgs(
      {
        args,
        options,
        allowPositionals: true,
        strict: true,
        allowNegative: true,
      } as Parameters<typeof parseArgs>[0],
    );
    return { values: r.values as Values, positionals: r.positionals };
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const m = /'(-{1,2}[^']+)'/.exec(e.message);
      const bad = m ? m[1] : "?";
      const names = spec.options.map((o) => o.name).concat(["help"]);
      const s = suggest(bad.replace(/^-+/, "").replace(/=.*/, ""), names);
      throw new UsageError(
        `unknown option ${bad} for "${spec.name}"${
          s ? `; did you mean --${s}?` : ""
        } (see framepipe ${spec.name} --help)`,
      );
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new UsageError(`${e.message} (see framepipe ${spec.name} --help)`);
    }
    throw new UsageError(e.message);
  }
}

/**
 * Usage text generated from a command's table.
 *
 * @param spec The command.
 * @returns Multi-line help.
 */
export function usage(spec: CommandSpec): string {
  const lines = [
    `framepipe ${spec.name} - ${spec.summary}`,
    "",
    `Usage: framepipe ${spec.name} [options] ${spec.positionals}`,
    "",
    "Options:",
  ];
  const rows = spec.options.map((o) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.arg ? ` ${o.arg}` : ""}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : "";
    return [flag, o.help + def];
  });
  rows.push(["-h, --help", "show this help"]);
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  for (const [f, h] of rows) lines.push(`  ${f.padEnd(w)}${h}`);
  if (spec.notes?.length) lines.push("", ...spec.notes);
  lines.push("", "Examples:");
  for (const [cmd, why] of spec.examples) lines.push(`  # ${why}`, `  ${cmd}`, "");
  lines.push("Exit codes: 0 ok, 1 data error, 2 usage or setup error.");
  return lines.join("\n");
}

/**
 * Parse `WxH`.
 *
 * @param flag Option name for messages.
 * @param v The value.
 * @returns Width and height.
 * @throws {UsageError} malformed or zero sizes.
 */
export function parseSize(flag: string, v: string): { width: number; height: number } {
  const m = /^(\d+)[x:X*](\d+)$/.exec(v.trim());
  if (!m || +m[1] < 1 || +m[2] < 1 || +m[1] > 65535 || +m[2] > 65535) {
    throw new UsageError(
      `--${flag} "${v}" is not a size; use WIDTHxHEIGHT, e.g. --${flag} 853x480`,
    );
  }
  return { width: +m[1], height: +m[2] };
}

/**
 * Parse a non-negative integer option.
 *
 * @param flag Option name.
 * @param v Value.
 * @param min Smallest allowed value.
 * @returns The integer.
 * @throws {UsageError} not an integer or below `min`.
 */
export function parseIntOption(flag: string, v: string, min = 0): number {
  const s = v.trim().replace(/_/g, "");
  const n = /^\d+(e\d+)?$/i.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${flag} "${v}" must be a whole number >= ${min}`);
  }
  return n;
}

/**
 * Parse a positive number option (seconds, fps).
 *
 * @param flag Option name.
 * @param v Value.
 * @returns The number.
 * @throws {UsageError} not a positive number.
 */
export function parsePositive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} "${v}" must be a number > 0`);
  return n;
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
    `--${flag} "${v}" is not one of ${choices.join(", ")}${s ? `; did you mean ${s}?` : ""}`,
  );
}

/**
 * Parse `--shard I/N`.
 *
 * @param v Value.
 * @returns Index and count.
 * @throws {UsageError} malformed or out of range.
 */
export function parseShard(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m || +m[2] < 1 || +m[1] >= +m[2]) {
    throw new UsageError(`--shard "${v}" must be I/N with 0 <= I < N, e.g. --shard 0/4`);
  }
  return { index: +m[1], count: +m[2] };
}
