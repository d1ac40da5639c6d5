// Every bound of the engine lives here, with what happens at it. A full queue answers OVERLOADED
// (with Retry-After); it never grows.

export const limits = {
  /** Contract: ids match this, quantities and lines are bounded. */
  idPattern: '^[A-Za-z0-9._:-]{1,64}$',
  qtyMax: 10_000,
  linesPerOrderMax: 100,
  ttlSecondsMin: 10,
  ttlSecondsMax: 86_400,
  ttlSecondsDefault: 900,
  /** Request bodies over this are refused (413) as soon as the size is known. */
  bodyBytesMax: 64 * 1024,

  /** Holds waiting for the end of the event-loop turn to be decided together. At the bound: OVERLOADED. */
  holdQueueMax: 20_000,
  /**
   * Holds decided in one turn at most; the rest wait for the next turn. Between the two the ledger
   * takes the turn's batch, so its commit overlaps the deciding of the next, and the event loop
   * answers what became durable meanwhile and serves other requests: a burst never blocks it for
   * longer than one turn of this many holds and its batch's encoding (~4 ms). Large enough that a
   * turn's shared costs (a plan per cart shape, a take and a position write per SKU, one batch)
   * stay small per hold. At 1,000 in flight, 512 measured faster than 1,024 (two turns, the second
   * decided while the first commits) in 6 of 7 pairs.
   */
  holdTurnMax: 512,
  /** Commands accepted by one actor and not yet durable. At the bound: OVERLOADED. */
  actorInflightMax: 20_000,
  /** Writes staged in the ledger and not yet on disk, across the engine. At the bound: OVERLOADED. */
  ledgerPendingWritesMax: 200_000,
  /**
   * Ledger batches handed to lmdb-js before the first of them has committed: the next batch is
   * encoded while one commits. lmdb-js commits them in order, one transaction each or together.
   */
  ledgerBatchesInFlight: 2,
  /** Shared parts of order records (a routing many holds share) kept decoded; past it the oldest read is dropped. */
  ledgerSharedPartsCachedMax: 1_024,
  /**
   * New work is refused (OVERLOADED) while recent batches kept their writes waiting longer than
   * this between staged and on disk (engine/admission.ts): the wait of admitted requests stays bounded.
   */
  queueDelayMaxMs: 100,
  /** Below this many staged writes the queueing-delay bound does not apply. */
  queueDelayMinWrites: 2_000,
  /** Live order actors kept in memory; past it the least recently used idle ones are passivated. */
  /**
   * Order actors kept in memory (~7 KiB each); past it the least recently used idle ones are
   * passivated. An order hears from its nodes minutes apart, so keeping it resident buys little:
   * respawning one from the ledger costs ~20 us.
   */
  orderActorsMax: 10_000,
  /** An order actor with nothing in flight for this long is passivated. */
  orderActorIdleMs: 10_000,
  /** Live SKU actors kept in memory; past it the least recently used idle ones are passivated. */
  skuActorsMax: 20_000,
  /** An actor with nothing in flight for this long is passivated. */
  actorIdleMs: 60_000,

  /** Expiry sweep: how often, and how many holds per sweep (the rest wait for the next). */
  expirySweepIntervalMs: 250,
  expirySweepBatchMax: 2_000,

  /** Idempotency records are kept this long, then swept. */
  idempotencyTtlMs: 24 * 3600 * 1000,
  /** Requests with the same idempotency key being processed at once. */
  idempotencyInflightMax: 100_000,

  /** Event log: per SKU and node topic, events kept on disk (older ones are pruned). */
  topicEventsKeptMax: 1_000,
  /** Last-seq cache of topics. Past it, the oldest are dropped and re-read from the ledger. */
  topicSeqCacheMax: 100_000,
  /** History entries kept in one order. */
  orderHistoryMax: 200,

  /** WebSocket: bytes buffered for one slow client before it is cut off (close 1013). */
  wsBackpressureBytesMax: 1024 * 1024,
  wsTopicsPerClientMax: 100,
  wsClientsMax: 20_000,
  wsFrameBytesMax: 16 * 1024,
  wsIdleTimeoutSeconds: 60,

  /** Stream resume (`from`): events of each `sku:`/`node:`/`orders` topic kept in memory for replay. */
  streamReplayEventsPerTopicMax: 256,
  /** Topics with a replay buffer; past it the least recently written one is dropped (its clients get `resync`). */
  streamReplayTopicsMax: 4_096,
  /** Bytes of frames kept for replay across all topics; past it the least recently written topics are dropped. */
  streamReplayBytesMax: 16 * 1024 * 1024,
  /** Live events held for one client topic while its replay is read back. Past it: `resync` instead. */
  streamResumePendingMax: 1_024,
  /** The `orders` firehose sends at most this many events a second; past it, a per-second summary and a sample. */
  firehoseEventsPerSecondMax: 50,
  /** Events kept as a sample in one firehose summary. */
  firehoseSampleMax: 10,

  /** Viewer tokens minted by `POST /v1/tokens/viewer`: default and bounds of their life. */
  viewerTokenTtlSecondsDefault: 12 * 3600,
  viewerTokenTtlSecondsMin: 60,
  viewerTokenTtlSecondsMax: 7 * 86_400,

  /** Graceful shutdown: how long requests in flight may take to finish before the process stops anyway. */
  shutdownDrainMs: 5_000,
  /** Graceful shutdown: how long closing streams (1001) may take to reach the clients. */
  shutdownStreamCloseMs: 1_000,
} as const;
