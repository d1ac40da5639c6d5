// Shows that jsonWithField writes what JSON.stringify of the body spread with the field wrote
// before, byte for byte: on an engine view, on the empty object, with fields left out as
// undefined, nested and non-ASCII values, and a value that needs escaping; and that a body that
// already has the field is a programmer error (assertion), not a duplicate key.
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../engine/assert.js';
import { reservationView } from '../engine/views.js';
import { jsonWithField } from './http.js';

describe('jsonWithField', () => {
  const view = reservationView({
    state: 'held',
    record: { coreId: 'c0000000001', customerId: 'bench-buyer', channel: 'web', createdAt: 0, expiresAt: 900_000, lines: [{ sku: 'HOT', qty: 1, nodeId: 'wh-1', status: 'allocated' }], promise: { deliveryBy: '2026-12-01T00:00:00.000Z' } },
  } as unknown as Parameters<typeof reservationView>[0]);
  const bodies: object[] = [
    view,
    {},
    { a: undefined, b: 1 },
    { a: 1, b: undefined },
    { nested: { list: [1, 'two', null], deep: { x: true } }, name: 'Łódź "quoted" \\ \n' },
  ];

  it('writes the same bytes as JSON.stringify({ ...body, field })', () => {
    for (const body of bodies) {
      for (const value of ['st.abc.123.sig', 'needs "escaping" \\ é']) {
        expect(jsonWithField(body, 'streamToken', value)).toBe(JSON.stringify({ ...body, streamToken: value }));
      }
    }
  });

  it('refuses a body that already has the field', () => {
    expect(() => jsonWithField({ streamToken: 'x' }, 'streamToken', 'y')).toThrow(AssertionError);
  });
});
