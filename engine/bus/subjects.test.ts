// Shows that subject checking and id encoding keep their rules on their fast paths: a subject is
// one or more tokens joined by dots, no token empty or holding whitespace, NUL, `*` or `>`; an id
// is always exactly one token, and two different ids never share one.
// How: fast-check strings over an alphabet of the characters that matter, against the rules
// written out the long way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidSubject, subjectToken } from './bus.js';

const alphabet = fc.constantFrom('a', 'Z', '9', '_', '-', '.', '*', '>', ' ', '\t', '\u0000', '\u00a0', '\u2028', '%', 'é', '/');
const text = fc.array(alphabet, { maxLength: 12 }).map((chars) => chars.join(''));

function validTheLongWay(subject: string): boolean {
  if (subject.length === 0) return false;
  if (/[\s\u0000]/.test(subject)) return false;
  return subject.split('.').every((token) => token.length > 0 && !token.includes('*') && !token.includes('>'));
}

describe('subjects', () => {
  it('accepts exactly the subjects the rules allow', () => {
    fc.assert(fc.property(text, (subject) => {
      expect(isValidSubject(subject)).toBe(validTheLongWay(subject));
    }), { seed: 7, numRuns: 5_000 });
  });

  it('turns any id into one valid token, different ids into different tokens', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(isValidSubject(`x.${subjectToken(a)}.y`)).toBe(true);
        if (a !== b) expect(subjectToken(a)).not.toBe(subjectToken(b));
      }),
      { seed: 7, numRuns: 5_000 },
    );
  });
});
