import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parsePartitions, partitionCountMax } from './cluster/partitions.js';

// The engine's configuration, from the environment (all optional; see the README's table).

import { strategies, type Strategy } from './routing/model.js';
import type { SourcingPolicy } from './sourcing.js';
/** What this process is: everything in one (default), the engine of some partitions, or a stateless gateway. */
export type Role = 'all' | 'engine' | 'gateway';

export interface ClusterConfig {
  role: Role;
  /** OO_PARTITION_COUNT: SKU partitions of the cluster, fixed when it is created. Default 16. */
  partitionCount: number;
  /** OO_PARTITIONS: the partitions this engine serves (default all). */
  partitions: number[];
  /** OO_ENGINE_ID: who holds the leases; default host + data dir, so a restart reclaims its own. */
  engineId: string;
  /** OO_LEASE_TTL_SECONDS: a lease not renewed for this long may be taken by another engine. Default 10. */
  leaseTtlSeconds: number;
  /** OO_CLUSTER_NAME: the KV bucket of the leases (`oo_<name>`). Default `default`. */
  clusterName: string;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  seed: 'demo' | 'none';
  natsUrl?: string;
  logLevel: string;
  /** How long a node has to accept released lines (OO_ACCEPT_SLA_SECONDS, default 4 h). */
  acceptSlaSeconds: number;
  /** Review rules (OO_REVIEW_MAX_ORDER_VALUE, OO_REVIEW_MAX_ORDERS_PER_CUSTOMER_HOUR, OO_REVIEW_MAX_ORDERS_PER_DESTINATION_HOUR). */
  review: { maxOrderValue?: number; maxOrdersPerCustomerPerHour?: number; maxOrdersPerDestinationPerHour?: number };
  /** OO_BASE_CURRENCY (default USD) and OO_CURRENCY_RATES, JSON such as {"EUR":1.08}. */
  currency: { base: string; rates: Record<string, number> };
  /** OO_REQUIRE_AUTHORIZED_PAYMENT=true: a confirmation needs payment.status "authorized". */
  requireAuthorizedPayment: boolean;
  /** OO_ROUTING_STRATEGY (default blend), OO_CHANNEL_STRATEGIES ("b2b=fewest_shipments,store=closest"), OO_PICKUP_TRANSFERS (allow|refuse). */
  sourcing: SourcingPolicy;
  cluster: ClusterConfig;
}

const channels = ['web', 'app', 'store', 'b2b', 'marketplace', 'social'];

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.OO_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`OO_PORT must be a port number, not ${env.OO_PORT}`);
  const seed = env.OO_SEED ?? 'demo';
  if (seed !== 'demo' && seed !== 'none') throw new Error(`OO_SEED is demo or none, not ${seed}`);
  return {
    host: env.OO_HOST || '127.0.0.1',
    port,
    dataDir: env.OO_DATA_DIR || './data',
    seed,
    ...(env.OO_NATS_URL ? { natsUrl: env.OO_NATS_URL } : {}),
    logLevel: env.OO_LOG_LEVEL || 'info',
    acceptSlaSeconds: positiveNumber(env.OO_ACCEPT_SLA_SECONDS, 4 * 3600, 'OO_ACCEPT_SLA_SECONDS'),
    review: {
      ...optional('maxOrderValue', env.OO_REVIEW_MAX_ORDER_VALUE, 'OO_REVIEW_MAX_ORDER_VALUE'),
      ...optional('maxOrdersPerCustomerPerHour', env.OO_REVIEW_MAX_ORDERS_PER_CUSTOMER_HOUR, 'OO_REVIEW_MAX_ORDERS_PER_CUSTOMER_HOUR'),
      ...optional('maxOrdersPerDestinationPerHour', env.OO_REVIEW_MAX_ORDERS_PER_DESTINATION_HOUR, 'OO_REVIEW_MAX_ORDERS_PER_DESTINATION_HOUR'),
    },
    currency: { base: env.OO_BASE_CURRENCY || 'USD', rates: rates(env.OO_CURRENCY_RATES) },
    requireAuthorizedPayment: env.OO_REQUIRE_AUTHORIZED_PAYMENT === 'true',
    sourcing: {
      defaultStrategy: strategy(env.OO_ROUTING_STRATEGY || 'blend', 'OO_ROUTING_STRATEGY'),
      channelStrategies: channelStrategies(env.OO_CHANNEL_STRATEGIES ?? 'b2b=fewest_shipments'),
      pickupTransfers: pickupTransfers(env.OO_PICKUP_TRANSFERS || 'allow'),
    },
    cluster: clusterFromEnv(env),
  };
}

export function clusterFromEnv(env: NodeJS.ProcessEnv): ClusterConfig {
  const role = env.OO_ROLE || 'all';
  if (role !== 'all' && role !== 'engine' && role !== 'gateway') throw new Error(`OO_ROLE is all, engine or gateway, not ${role}`);
  if (role !== 'all' && !env.OO_NATS_URL) throw new Error(`OO_ROLE=${role} needs OO_NATS_URL: engines and gateways meet on NATS`);
  const partitionCount = Number(env.OO_PARTITION_COUNT || 16);
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > partitionCountMax) {
    throw new Error(`OO_PARTITION_COUNT is an integer 1..${partitionCountMax}, not ${env.OO_PARTITION_COUNT}`);
  }
  const engineId = env.OO_ENGINE_ID || `${hostname()}:${resolve(env.OO_DATA_DIR || './data')}`;
  if (engineId.length > 200) throw new Error('OO_ENGINE_ID is at most 200 characters');
  const clusterName = env.OO_CLUSTER_NAME || 'default';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(clusterName)) throw new Error(`OO_CLUSTER_NAME is 1..32 of A-Z a-z 0-9 _ -, not ${clusterName}`);
  return {
    role,
    partitionCount,
    partitions: parsePartitions(env.OO_PARTITIONS, partitionCount),
    engineId,
    leaseTtlSeconds: positiveNumber(env.OO_LEASE_TTL_SECONDS, 10, 'OO_LEASE_TTL_SECONDS'),
    clusterName,
  };
}

function strategy(value: string, name: string): Strategy {
  if (!strategies.includes(value as Strategy)) throw new Error(`${name}: ${value} is not one of ${strategies.join(', ')}`);
  return value as Strategy;
}

/** "b2b=fewest_shipments,store=closest": a strategy per channel; an empty value sets none. */
function channelStrategies(value: string): Record<string, Strategy> {
  const out: Record<string, Strategy> = {};
  for (const pair of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [channel, name] = pair.split('=').map((p) => p.trim());
    if (!channel || !channels.includes(channel)) throw new Error(`OO_CHANNEL_STRATEGIES: ${channel} is not one of ${channels.join(', ')}`);
    out[channel] = strategy(name ?? '', `OO_CHANNEL_STRATEGIES (${channel})`);
  }
  return out;
}

function pickupTransfers(value: string): 'allow' | 'refuse' {
  if (value !== 'allow' && value !== 'refuse') throw new Error(`OO_PICKUP_TRANSFERS is allow or refuse, not ${value}`);
  return value;
}

function positiveNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`${name} must be a positive number, not ${value}`);
  return number;
}

function optional<K extends string>(key: K, value: string | undefined, name: string): Partial<Record<K, number>> {
  return value === undefined || value === '' ? {} : ({ [key]: positiveNumber(value, 0, name) } as Partial<Record<K, number>>);
}

function rates(value: string | undefined): Record<string, number> {
  if (!value) return {};
  const parsed = JSON.parse(value) as Record<string, unknown>;
  for (const [code, rate] of Object.entries(parsed)) {
    if (!/^[A-Z]{3}$/.test(code) || typeof rate !== 'number' || !(rate > 0)) throw new Error(`OO_CURRENCY_RATES: ${code} must map to a positive number`);
  }
  return parsed as Record<string, number>;
}
