// Actors and gateways talk over subjects. One interface, two transports: in-process (the default,
// MemoryBus) and NATS. Subjects are dot-separated tokens; `*` matches one token, `>` the rest.
//
// Subject scheme:
//   stream.<topic-kind>.<id>     events for the live stream (order, sku, node topics)
//   node.<nodeId>.instructions   fulfillment instructions to a node's systems

export type BusHandler = (subject: string, message: unknown) => void;

export interface Subscription {
  unsubscribe(): void;
}

export interface Bus {
  publish(subject: string, message: unknown): void;
  subscribe(pattern: string, handler: BusHandler): Subscription;
  close(): Promise<void>;
}

export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Stream topics (`order:X`) travel as subjects (`stream.order.X`); dots in ids are escaped so an id stays one token. */
export function streamSubject(topic: string): string {
  const colon = topic.indexOf(':');
  const kind = colon < 0 ? topic : topic.slice(0, colon);
  const id = colon < 0 ? '_' : topic.slice(colon + 1);
  return `stream.${kind}.${encodeURIComponent(id).replace(/\./g, '%2E')}`;
}
