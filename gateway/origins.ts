// The origin allow-list for browsers (`OO_ALLOWED_ORIGINS`, comma-separated). A browser sends
// `Origin` with every WebSocket upgrade; a page on a site not in the list must not open a stream
// with the token its user's browser holds. Unset allows every origin. Clients that are not
// browsers send no `Origin` and are not concerned. The dashboard the gateway serves itself (the
// same origin as the stream) is always allowed.

/** The list from the environment's value: undefined (allow all) when unset or empty. */
export function parseAllowedOrigins(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const origins = value.split(',').map((o) => normalize(o)).filter((o) => o !== '');
  for (const origin of origins) {
    if (origin !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(`OO_ALLOWED_ORIGINS: ${origin} is not an origin (scheme://host[:port])`);
    }
  }
  return origins;
}

export function originAllowed(origin: string, host: string, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || origin === '') return true;
  const given = normalize(origin);
  if (allowed.includes('*') || allowed.includes(given)) return true;
  // Same origin: the page came from this very server (the dashboard).
  return host !== '' && given.replace(/^[a-z][a-z0-9+.-]*:\/\//, '') === host.toLowerCase();
}

const normalize = (origin: string): string => origin.trim().toLowerCase().replace(/\/+$/, '');
