// ISO 8601 text of an instant. The holds of one turn share their instant and their deadline, and
// each record, answer and event spells both: the last two texts are kept (Date#toISOString costs
// about a microsecond and allocates).

let older = { ms: Number.NaN, text: '' };
let newer = { ms: Number.NaN, text: '' };

export function iso(ms: number): string {
  if (newer.ms === ms) return newer.text;
  if (older.ms === ms) return older.text;
  older = newer;
  newer = { ms, text: new Date(ms).toISOString() };
  return newer.text;
}
