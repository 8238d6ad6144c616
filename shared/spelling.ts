/** "Did you mean" hints for mistyped config keys, commands, options and names. */

/** The candidate within edit distance 2 of `key` (or equal ignoring case), if any. */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * ` (did you mean "x"?)` naming the candidate closest to `word` (see {@link closestKey}), or `''`
 * when none is close. `show` renders the candidate (default: in double quotes).
 */
export function didYouMean(word: string, candidates: readonly string[], show: (candidate: string) => string = (c) => `"${c}"`): string {
  const suggestion = closestKey(word, candidates);
  return suggestion === undefined ? '' : ` (did you mean ${show(suggestion)}?)`;
}
