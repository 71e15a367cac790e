/**
 * The framepipe command line.
 *
 * ```sh
 * deno run --allow-read=./frames jsr:@framepipe/framepipe/cli images ./frames --size 853x480 | python3 train.py
 * ```
 *
 * @module
 */
import { main } from "./src/cli/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
