/**
 * The CI subset of the decoder fuzz harness (`deno task fuzz`, scripts/fuzz.ts): a fixed
 * seeded set of mutations of the shared corpus through both decoders and renderJpeg.
 */
import assert from "node:assert/strict";
import { fuzzPassed, runFuzz } from "../scripts/fuzz.ts";
import { mutate, MUTATIONS, seededRandom } from "../scripts/fuzz/mutate.ts";

const CORPUS = new URL("../../shared/jpeg-corpus/good", import.meta.url).pathname;
const haveCorpus = (() => {
  try {
    return Deno.statSync(CORPUS).isDirectory;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "fuzz subset (seed 7, 500 cases): no foreign exception, leak, disagreement or decode over 2 s",
  ignore: !haveCorpus,
  async fn() {
    const r = await runFuzz({ n: 500, seed: 7, corpus: CORPUS, budgetMs: 2000, rssMb: 256 });
    const f = r.failures;
    assert.ok(
      fuzzPassed(r, 256),
      `fuzz failures: foreign ${
        f["foreign-exception"]
      }, leaks ${f.leak}, disagreements ${f.disagreement}, slow ${f.slow}, RSS ${
        r.rss.startMb.toFixed(0)
      } -> ${r.rss.endMb.toFixed(0)} MB\n${r.examples.join("\n")}`,
    );
    assert.equal(r.cases, 500);
    // the subset exercises every mutation kind and both outcomes of both decoders
    assert.deepEqual(Object.keys(r.mutations).sort(), [...MUTATIONS].sort());
    assert.ok(r.ts.accepted > 20 && r.ts.refused > 200, JSON.stringify(r.ts));
    assert.ok(r.wasm.accepted > 20 && r.wasm.refused > 200, JSON.stringify(r.wasm));
  },
});

Deno.test({
  name: "fuzz: a case is reproduced alone from its seed and index",
  ignore: !haveCorpus,
  async fn() {
    const src = Deno.readFileSync(`${CORPUS}/baseline_420_q75.jpg`);
    const a = mutate(src, seededRandom(7 * 1_000_003 + 39));
    const b = mutate(src, seededRandom(7 * 1_000_003 + 39));
    assert.equal(a.kind, b.kind);
    assert.deepEqual(a.data, b.data);
    const one = await runFuzz({
      n: 0,
      only: 39,
      seed: 7,
      corpus: CORPUS,
      budgetMs: 2000,
      rssMb: 1024,
    });
    assert.equal(one.cases, 1);
  },
});
