// `deno task ntk --spectrum`: the printed eigenvalues, condition number and effective rank equal
// ntkSpectrum() of the kernel the same run saved, the SVG gets its spectrum panel, and options
// that give a non-square kernel are refused.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { main } from "../../src/cli.ts";
import { InvalidOptionError, ntkSpectrum, readNpy } from "../../mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const root = new URL("../../", import.meta.url).pathname;

/** Runs the CLI in-process and returns what it printed on stdout. */
async function printed(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    assert.equal(await main(args), 0);
  } finally {
    console.log = log;
  }
  return lines;
}

/** Relative difference, with equal infinities counting as equal. */
const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));

for (const [fixture, full] of [["functional_merge", false], ["cnn_bn_pool", true]] as const) {
  Deno.test({
    name: `ntk CLI --spectrum${full ? " --full" : ""} on ${fixture} prints the saved kernel's spectrum and plots it`,
    ...opts,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      const fx = `${root}tests/fixtures/${fixture}`;
      const lines = await printed([
        "--model",
        `${fx}/model.json`,
        "--x1",
        `${fx}/x1.npy`,
        ...(full ? ["--full"] : []),
        "--spectrum",
        "--out",
        `${dir}/k.npy`,
        "--plot",
        `${dir}/k.svg`,
        "--backend",
        "cpu",
      ]);
      const k = await readNpy(`${dir}/k.npy`);
      const want = await ntkSpectrum(k);
      const n = want.eigenvalues.length;
      const s = k.shape as number[];
      assert.equal(n, full ? s[0] * s[2] : s[0]);

      const ev = lines.map((l) => /^eigenvalues \(top (\d+) of (\d+)\): (.*)$/.exec(l)).find((m) => m);
      assert.ok(ev, lines.join("\n"));
      assert.deepEqual([Number(ev[1]), Number(ev[2])], [Math.min(10, n), n]);
      const top = ev[3].split(" ").map(Number);
      assert.equal(top.length, Math.min(10, n));
      // Printed with 6 significant digits: within 5e-6 relative of the saved kernel's spectrum.
      const evErr = Math.max(...top.map((v, i) => rel(v, want.eigenvalues[i])));
      assert.ok(evErr <= 1e-5, `eigenvalues off by ${evErr}`);
      const stats = lines.map((l) => /^condition number (\S+) · effective rank (\S+) \(entropy\) · rank (\d+)$/.exec(l))
        .find((m) => m);
      assert.ok(stats, lines.join("\n"));
      const [kappa, erank] = [Number(stats[1]), Number(stats[2])];
      assert.ok(rel(kappa, want.conditionNumber) <= 1e-5, `κ ${kappa} vs ${want.conditionNumber}`);
      assert.ok(rel(erank, want.effectiveRank) <= 1e-5, `effective rank ${erank} vs ${want.effectiveRank}`);
      assert.equal(Number(stats[3]), want.rank);
      console.log(`  eigenvalues ${evErr.toExponential(2)}, κ ${rel(kappa, want.conditionNumber).toExponential(2)}`);

      // The SVG: the heatmap, and the panel with one dot per positive eigenvalue.
      const svg = await Deno.readTextFile(`${dir}/k.svg`);
      const panel = /<g id="spectrum"[^>]*>([\s\S]*?)<\/g>/.exec(svg);
      assert.ok(panel, "a spectrum panel");
      const dots = panel[1].match(/<circle /g) ?? [];
      assert.equal(dots.length, want.eigenvalues.filter((v) => v > 0).length);
      assert.match(panel[1], new RegExp(`index i \\(eigenvalues descending\\), 1 … ${n}<`));
      // The legend shows ntkSpectrum's κ and effective rank (4 significant digits).
      const legend = [...panel[1].matchAll(/class="legend">([^<]*)</g)].map((m) => m[1]).join("\n");
      const kappaText = /κ = λ₁\/λₙ = (\S+)/.exec(legend)?.[1];
      const shownKappa = kappaText === "∞" ? Infinity : Number(kappaText);
      const shownRank = Number(/effective rank exp\(H\(λ\/Σλ\)\) = (\S+) of/.exec(legend)?.[1]);
      assert.ok(rel(shownKappa, want.conditionNumber) <= 5e-4, `legend κ ${shownKappa} vs ${want.conditionNumber}`);
      assert.ok(rel(shownRank, want.effectiveRank) <= 5e-4, `legend rank ${shownRank} vs ${want.effectiveRank}`);
      assert.ok(svg.indexOf("<image ") < panel.index, "the heatmap comes first");
      // A full kernel: N − 1 lines between examples each way.
      const separators = (svg.match(/class="separator"/g) ?? []).length;
      assert.equal(separators, full ? 2 * (s[0] - 1) : 0);
      tf.dispose(k);
      await Deno.remove(dir, { recursive: true });
    },
  });
}

Deno.test({
  name: "ntk CLI --spectrum is refused with --x2 or --block (the kernel would not be square)",
  ...opts,
  fn: async () => {
    const fx = `${root}tests/fixtures/functional_merge`;
    const base = ["--model", `${fx}/model.json`, "--x1", `${fx}/x1.npy`, "--spectrum", "--backend", "cpu"];
    await assert.rejects(() => main([...base, "--x2", `${fx}/x2.npy`]), InvalidOptionError);
    await assert.rejects(
      () => main([...base, "--block", "0/2"]),
      (e) => e instanceof InvalidOptionError && /--spectrum/.test(e.message),
    );
  },
});
