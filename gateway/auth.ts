import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Who is calling. Three fixed role tokens live in $OO_DATA_DIR/credentials.json (mode 0600; env
// tokens win). Partner and stream tokens are signed with a key kept in $OO_DATA_DIR/signing.key,
// so they need no storage: a partner token names its node, a stream token names one checkout
// (its reservation and the order it becomes) and carries its expiry, a minted viewer token (for a
// dashboard in a browser) carries its expiry and a nonce.

export type Principal =
  | { role: 'ops' | 'checkout' | 'viewer' }
  | { role: 'partner'; nodeId: string }
  | { role: 'order'; coreId: string };

export interface Credentials {
  ops: string;
  checkout: string;
  viewer: string;
}

const streamTokenDays = 30;

export class Auth {
  private readonly byToken = new Map<string, Principal>();

  constructor(
    readonly credentials: Credentials,
    private readonly signingKey: Buffer,
    private readonly now: () => number = Date.now,
  ) {
    this.byToken.set(credentials.ops, { role: 'ops' });
    this.byToken.set(credentials.checkout, { role: 'checkout' });
    this.byToken.set(credentials.viewer, { role: 'viewer' });
  }

  /** Loads or creates credentials and the signing key in `dataDir`. */
  static open(dataDir: string, env: NodeJS.ProcessEnv = process.env, now?: () => number): Auth {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, 'credentials.json');
    let stored: Partial<Credentials> = {};
    if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
    const credentials: Credentials = {
      ops: env.OO_OPS_TOKEN || stored.ops || newToken(),
      checkout: env.OO_CHECKOUT_TOKEN || stored.checkout || newToken(),
      viewer: env.OO_VIEWER_TOKEN || stored.viewer || newToken(),
    };
    if (new Set(Object.values(credentials)).size !== 3) throw new Error('the ops, checkout and viewer tokens must differ');
    writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    const keyFile = join(dataDir, 'signing.key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const signingKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex');
    return new Auth(credentials, signingKey, now);
  }

  /** The principal a bearer token stands for, or undefined when it is unknown, forged or expired. */
  verify(token: string): Principal | undefined {
    if (!token) return undefined;
    const fixed = this.byToken.get(token);
    if (fixed) return fixed;
    const parts = token.split('.');
    if (parts[0] === 'pt' && parts.length === 3) {
      const nodeId = decode(parts[1]);
      if (nodeId !== undefined && this.signatureMatches(`pt.${parts[1]}`, parts[2])) return { role: 'partner', nodeId };
    }
    if (parts[0] === 'vt' && parts.length === 4) {
      if (this.unexpired(parts[1]) && this.signatureMatches(`vt.${parts[1]}.${parts[2]}`, parts[3])) return { role: 'viewer' };
    }
    if (parts[0] === 'st' && parts.length === 4) {
      const coreId = decode(parts[1]);
      if (coreId !== undefined && this.unexpired(parts[2]) && this.signatureMatches(`st.${parts[1]}.${parts[2]}`, parts[3])) {
        return { role: 'order', coreId };
      }
    }
    return undefined;
  }

  partnerToken(nodeId: string): string {
    const body = `pt.${encode(nodeId)}`;
    return `${body}.${this.sign(body)}`;
  }

  streamToken(coreId: string): string {
    const expiresAtSeconds = Math.floor(this.now() / 1000) + streamTokenDays * 86_400;
    const body = `st.${encode(coreId)}.${expiresAtSeconds}`;
    return `${body}.${this.sign(body)}`;
  }

  /** A signed viewer token, `vt.<expiresAtSeconds>.<nonce>.<signature>`, good until it expires. */
  viewerToken(ttlSeconds: number): { token: string; expiresAt: string } {
    const expiresAtSeconds = Math.floor(this.now() / 1000) + ttlSeconds;
    const body = `vt.${expiresAtSeconds}.${randomBytes(9).toString('base64url')}`;
    return { token: `${body}.${this.sign(body)}`, expiresAt: new Date(expiresAtSeconds * 1000).toISOString() };
  }

  /** `expiresAtSeconds` as written in a token: a whole number of seconds still in the future. */
  private unexpired(expiresAtSeconds: string): boolean {
    if (!/^[0-9]{1,12}$/.test(expiresAtSeconds)) return false;
    return Number(expiresAtSeconds) * 1000 > this.now();
  }

  private sign(body: string): string {
    return createHmac('sha256', this.signingKey).update(body).digest('base64url');
  }

  private signatureMatches(body: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

const newToken = (): string => randomBytes(24).toString('base64url');
const encode = (value: string): string => Buffer.from(value).toString('base64url');
function decode(value: string): string | undefined {
  const decoded = Buffer.from(value, 'base64url').toString();
  return encode(decoded) === value ? decoded : undefined;
}

/** The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive). */
export function bearerOf(header: string): string {
  return /^bearer /i.test(header) ? header.slice(7).trim() : '';
}
