/**
 * Summary numbers of a symmetric kernel's eigenvalues — condition number, entropy effective rank,
 * participation ratio, numerical rank — shared by `ntkSpectrum` and the spectrum plots.
 * @module
 */

/** What `spectrumStats` computes; `NtkSpectrum` (src/toolkit/spectrum.ts) documents each field. */
export interface SpectrumStats {
  conditionNumber: number;
  effectiveRank: number;
  participationRatio: number;
  rank: number;
}

/** The default rcond for n eigenvalues: n × float32's machine epsilon (2⁻²³). */
export const defaultRcond = (n: number): number => n * 2 ** -23;

/** Condition number, effective ranks and rank of descending eigenvalues. */
export function spectrumStats(values: ArrayLike<number>, rcond: number): SpectrumStats {
  const n = values.length;
  const top = n ? Math.max(values[0], 0) : 0;
  if (top === 0) return { conditionNumber: Infinity, effectiveRank: 0, participationRatio: 0, rank: 0 };
  const floor = rcond * top;
  const low = Math.max(values[n - 1], 0);
  let sum = 0, squares = 0, rank = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.max(values[i], 0);
    sum += p, squares += p * p;
    if (values[i] > floor) rank++;
  }
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.max(values[i], 0) / sum;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return {
    conditionNumber: low > floor ? top / low : Infinity,
    effectiveRank: Math.exp(entropy),
    participationRatio: (sum * sum) / squares,
    rank,
  };
}
