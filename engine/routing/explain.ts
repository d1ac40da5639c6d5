import type { Candidate, LineState } from './candidates.js';
import type { CandidateExplanation, CandidateOutcome, LineExplanation, RejectReason } from './model.js';
import type { Assignment } from './scoring.js';

// Why each line went where: the candidates the search ranked (each scored as if it shipped the
// line alone, term by term), what became of each, and the hard constraint that excluded every
// rejected node. Bounded: `topK` candidates and `rejectedMax` rejected nodes per line (nearest
// first), the rest counted, so a 100-line explanation stays a few hundred entries.

const round2 = (value: number): number => Math.round(value * 100) / 100;

function explainCandidate(candidate: Candidate, outcome: CandidateOutcome): CandidateExplanation {
  const offer = candidate.ev.offers[candidate.offerIndex];
  return {
    nodeId: candidate.ev.node.nodeId,
    available: candidate.available,
    distanceKm: Math.round(candidate.ev.distanceKm),
    priority: candidate.ev.priority,
    carrierId: offer.schedule.carrier.id,
    promisedAtMs: offer.promisedAtMs,
    terms: {
      cost: round2(candidate.terms.cost),
      speed: round2(candidate.terms.speed),
      lateness: round2(candidate.terms.lateness),
      capacity: round2(candidate.terms.capacity),
      rejection: round2(candidate.terms.rejection),
    },
    score: round2(candidate.key),
    outcome,
  };
}

type Rejected = LineState['rejected'][number];
const nearer = (a: Rejected, b: Rejected): boolean => a.distanceKm < b.distanceKm || (a.distanceKm === b.distanceKm && a.node.index < b.node.index);

/**
 * The nearest `max` rejections, nearest first (node order breaks ties, so the listing does not
 * depend on the order of the stock). A bounded insertion: a depleted SKU can have a rejection at
 * every node, and only `max` are listed.
 */
function nearestRejected(all: readonly Rejected[], max: number): Rejected[] {
  const kept: Rejected[] = [];
  for (const entry of all) {
    if (kept.length === max && (max === 0 || !nearer(entry, kept[max - 1]))) continue;
    let at = kept.length === max ? max - 1 : kept.length;
    while (at > 0 && nearer(entry, kept[at - 1])) {
      kept[at] = kept[at - 1];
      at--;
    }
    kept[at] = entry;
  }
  return kept;
}

export interface ExplainInput {
  lines: readonly LineState[];
  /** Absent when there is no plan (a failure): every candidate is then 'outscored' at most. */
  assignment?: Assignment;
  maxShipments: number;
  topK: number;
  rejectedMax: number;
  /** Extra rejections per line (e.g. pickup: nodes a refused transfer would have used). */
  extraRejected?: ReadonlyArray<ReadonlyArray<{ nodeId: string; reason: RejectReason }>>;
}

export function explainLines(input: ExplainInput): LineExplanation[] {
  const { lines, assignment } = input;
  const planNodes = new Set<number>();
  for (const parts of assignment ?? []) for (const part of parts) planNodes.add(part.node);
  const atMax = planNodes.size >= input.maxShipments;
  return lines.map((line, i) => {
    const parts = assignment?.[i] ?? [];
    const chosenNodes = new Set(parts.map((part) => part.node));
    const shown = line.candidates.slice(0, input.topK);
    for (const part of parts) {
      const candidate = line.byNode.get(part.node);
      if (candidate && !shown.includes(candidate)) shown.push(candidate);
    }
    const candidates = shown.map((candidate) => {
      const node = candidate.ev.node.index;
      const outcome: CandidateOutcome = chosenNodes.has(node) ? 'chosen' : assignment && atMax && !planNodes.has(node) ? 'over_max_shipments' : 'outscored';
      return explainCandidate(candidate, outcome);
    });
    const rejected: Array<{ nodeId: string; reason: RejectReason }> = [];
    const rejectedOmitted: Partial<Record<RejectReason, number>> = {};
    for (const entry of nearestRejected(line.rejected, input.rejectedMax)) rejected.push({ nodeId: entry.node.nodeId, reason: entry.reason });
    for (const entry of input.extraRejected?.[i] ?? []) if (rejected.length < input.rejectedMax) rejected.push(entry);
    else rejectedOmitted[entry.reason] = (rejectedOmitted[entry.reason] ?? 0) + 1;
    if (line.rejected.length > input.rejectedMax) {
      const listed = new Set(rejected.map((entry) => entry.nodeId));
      for (const entry of line.rejected) if (!listed.has(entry.node.nodeId)) rejectedOmitted[entry.reason] = (rejectedOmitted[entry.reason] ?? 0) + 1;
    }
    return {
      sku: line.sku,
      qty: line.qty,
      chosen: parts.map((part) => ({ nodeId: line.byNode.get(part.node)!.ev.node.nodeId, qty: part.qty })),
      candidates,
      rejected,
      rejectedOmitted,
      eligibleNotShown: line.candidates.length - shown.length,
      holdersNotEvaluated: line.pending.evs.length,
      nodesWithoutStock: line.nodesWithoutStock,
    };
  });
}
