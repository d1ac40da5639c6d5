import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { Logger } from '../logger.js';

// Single ownership of partitions: one lease per partition in a NATS KV bucket, taken and renewed
// by revision compare-and-set, so two engines racing for a partition cannot both win: the one
// whose write lands second finds the revision moved and is refused.
//
//   key `partition-count`   the cluster's partition count, written once; an engine configured
//                           with another count refuses to start (SKUs would hash elsewhere)
//   key `lease.<p>`         { owner, expiresAt } for partition p
//
// A lease is free when absent or deleted, taken when expired (nobody renewed it for ttl) or
// already ours (a restarted engine with the same OO_ENGINE_ID reclaims it at once). Expiry is
// read from the value against this machine's clock: engines' clocks must agree to well within
// the ttl (NTP does).

export interface LeaseRecord {
  owner: string;
  expiresAt: number;
}

export interface Refusal {
  partition: number;
  owner: string;
  expiresInMs: number;
}

export interface PartitionLeasesOptions {
  url: string;
  /** KV bucket name, one per cluster. */
  bucket: string;
  engineId: string;
  ttlMs: number;
  partitionCount: number;
  logger: Logger;
  now?: () => number;
}

const encoder = new TextEncoder();

export class PartitionCountMismatchError extends Error {
  override name = 'PartitionCountMismatchError';
}

export class PartitionLeases {
  /** Partition -> the revision of our lease record. */
  private readonly held = new Map<number, number>();
  private renewTimer: NodeJS.Timeout | undefined;
  /** The renewal round under way, if any: release waits for it, so the revisions it uses are current. */
  private renewing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly now: () => number;

  private constructor(
    private readonly connection: NatsConnection,
    private readonly kv: KV,
    private readonly options: PartitionLeasesOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Opens (creating when absent) the cluster's bucket and checks the partition count against it. */
  static async open(options: PartitionLeasesOptions): Promise<PartitionLeases> {
    const connection = await connect({ servers: options.url, name: `oo-leases:${options.engineId}`.slice(0, 200) });
    try {
      const kv = await new Kvm(connection).create(options.bucket, { history: 1 });
      const leases = new PartitionLeases(connection, kv, options);
      await leases.checkPartitionCount();
      return leases;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Partitions this engine holds now. */
  partitions(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Tries each partition; what a live engine holds is refused, everything else is ours after this. */
  async claim(partitions: readonly number[]): Promise<{ claimed: number[]; refused: Refusal[] }> {
    const claimed: number[] = [];
    const refused: Refusal[] = [];
    for (const partition of partitions) {
      const outcome = await this.claimOne(partition);
      if (outcome === true) claimed.push(partition);
      else refused.push(outcome);
    }
    return { claimed, refused };
  }

  /**
   * Renews every lease each ttl/3. A lease whose renewal finds the revision moved (another engine
   * took it), or that could not be renewed before it expired (NATS unreachable), is lost: `onLost`
   * hears of it and this engine must stop serving that partition at once.
   */
  startRenewing(onLost: (partition: number, reason: string) => void): void {
    const intervalMs = Math.max(100, Math.floor(this.options.ttlMs / 3));
    const lastRenewed = new Map<number, number>();
    for (const partition of this.held.keys()) lastRenewed.set(partition, this.now());
    const tick = async (): Promise<void> => {
      for (const [partition, revision] of [...this.held]) {
        if (this.closed) return;
        try {
          const next = await this.kv.update(leaseKey(partition), this.record(), revision);
          this.held.set(partition, next);
          lastRenewed.set(partition, this.now());
        } catch (error) {
          const moved = isWrongRevision(error);
          const expired = this.now() - (lastRenewed.get(partition) ?? 0) >= this.options.ttlMs - intervalMs;
          if (moved || expired) {
            this.held.delete(partition);
            onLost(partition, moved ? 'another engine took the lease' : 'the lease could not be renewed before it expired');
          } else {
            this.options.logger.warn({ err: error, partition }, 'lease renewal failed; retrying');
          }
        }
      }
    };
    const loop = (): void => {
      this.renewTimer = setTimeout(() => {
        this.renewing = tick().finally(() => {
          if (!this.closed) loop();
        });
      }, intervalMs);
    };
    loop();
  }

  /** Gives every lease back (graceful shutdown), so another engine may take them at once, and closes. */
  async release(): Promise<void> {
    this.closed = true;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    await this.renewing;
    for (const [partition, revision] of [...this.held]) {
      try {
        await this.kv.delete(leaseKey(partition), { previousSeq: revision });
      } catch (error) {
        // Someone else's now, or NATS is gone: the lease expires by itself.
        this.options.logger.warn({ err: error, partition }, 'lease not released');
      }
      this.held.delete(partition);
    }
    await this.connection.close();
  }

  /** Reads a lease (tests, diagnostics). */
  async read(partition: number): Promise<LeaseRecord | undefined> {
    const entry = await this.kv.get(leaseKey(partition));
    return isLive(entry) ? entry.json<LeaseRecord>() : undefined;
  }

  private async claimOne(partition: number): Promise<true | Refusal> {
    const key = leaseKey(partition);
    const entry = await this.kv.get(key);
    let revision: number;
    try {
      if (entry === null) revision = await this.kv.create(key, this.record());
      else if (entry.operation !== 'PUT') revision = await this.kv.update(key, this.record(), entry.revision);
      else {
        const current = entry.json<LeaseRecord>();
        const expiresInMs = current.expiresAt - this.now();
        if (current.owner !== this.options.engineId && expiresInMs > 0) return { partition, owner: current.owner, expiresInMs };
        revision = await this.kv.update(key, this.record(), entry.revision);
      }
    } catch (error) {
      if (!isWrongRevision(error) && !isExists(error)) throw error;
      // Another engine wrote between our read and our write: it won this round.
      const now = await this.kv.get(key);
      const winner = isLive(now) ? now.json<LeaseRecord>() : { owner: 'unknown', expiresAt: this.now() };
      return { partition, owner: winner.owner, expiresInMs: Math.max(0, winner.expiresAt - this.now()) };
    }
    this.held.set(partition, revision);
    return true;
  }

  private record(): Uint8Array {
    const record: LeaseRecord = { owner: this.options.engineId, expiresAt: this.now() + this.options.ttlMs };
    return encoder.encode(JSON.stringify(record));
  }

  private async checkPartitionCount(): Promise<void> {
    const wanted = this.options.partitionCount;
    try {
      await this.kv.create('partition-count', encoder.encode(String(wanted)));
      return;
    } catch (error) {
      if (!isWrongRevision(error) && !isExists(error)) throw error;
    }
    const entry = await this.kv.get('partition-count');
    const recorded = Number(entry?.string());
    if (recorded !== wanted) {
      throw new PartitionCountMismatchError(`the cluster was created with ${recorded} partitions and OO_PARTITION_COUNT is ${wanted}: SKUs would hash to other partitions than their ledgers. Use ${recorded}.`);
    }
  }
}

const leaseKey = (partition: number): string => `lease.${partition}`;

function isLive(entry: KvEntry | null): entry is KvEntry {
  return entry !== null && entry.operation === 'PUT';
}

/** JetStream's "wrong last sequence" (10071): the revision moved under a compare-and-set. */
function isWrongRevision(error: unknown): boolean {
  const e = error as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10071 || e?.code === 10071 || /wrong last sequence/i.test(String(e?.message));
}

function isExists(error: unknown): boolean {
  return /exist/i.test(String((error as { message?: string })?.message));
}
