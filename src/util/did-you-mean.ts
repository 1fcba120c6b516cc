/**
 * "Did you mean …?" for enumerated values (providers, DNS hosts, regions), the way commander already
 * does for commands and flags: the closest choice within a small edit distance, or nothing.
 */
import leven from 'leven';

export function closest(value: string, choices: readonly string[]): string | null {
  const v = value.toLowerCase();
  // Allow about one typo per three characters, and at least one: "sendgird" → "sendgrid", "route35"
  // → "route53", but "x" → nothing.
  const limit = Math.max(1, Math.ceil(v.length / 3));
  let best: { choice: string; d: number } | null = null;
  for (const choice of choices) {
    const d = leven(v, choice.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { choice, d };
  }
  return best?.choice ?? null;
}

/** The hint for a value outside `choices`: the suggestion first when there is one, then the list. */
export function choiceHint(value: string, choices: readonly string[], flag: string): string {
  const near = closest(value, choices);
  return `${near ? `Did you mean ${flag} ${near}? ` : ''}Choose one of: ${choices.join(', ')}.`;
}
