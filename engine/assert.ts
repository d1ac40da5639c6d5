// Assertions catch programmer errors and crash loudly; operating errors (bad input, sold out,
// overload) are results, never assertions.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
