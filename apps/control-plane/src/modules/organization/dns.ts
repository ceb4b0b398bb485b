import { Resolver } from 'node:dns/promises';

/** What one TXT lookup of a verification record found. */
export interface TxtCheck {
  found: boolean;
  /** One sentence for the portal: what was looked up and what came back. */
  message: string;
}

export type TxtLookup = (name: string, expected: string) => Promise<TxtCheck>;

const notFoundCodes = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/**
 * A real DNS TXT lookup (node:dns, c-ares) through `servers` (`host` or `host:port`, from
 * DNS_RESOLVER) or the system's resolvers. The record matches when one of its TXT strings (its
 * chunks joined) is exactly the expected token; a lookup that fails answers `found: false`
 * with the reason, so a pending domain simply stays pending.
 */
export function createTxtLookup(servers: readonly string[] | undefined, { timeoutMs = 3_000 } = {}): TxtLookup {
  return async (name, expected) => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    if (servers && servers.length > 0) resolver.setServers([...servers]);
    let records: string[][];
    try {
      records = await resolver.resolveTxt(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (notFoundCodes.has(code)) return { found: false, message: `No TXT record ${name} was found yet. DNS changes can take a while to appear.` };
      return { found: false, message: `The TXT record ${name} could not be looked up (${code || 'DNS error'}); try again later.` };
    }
    const values = records.map((chunks) => chunks.join('').trim());
    if (values.includes(expected)) return { found: true, message: `The TXT record ${name} holds the verification token.` };
    return {
      found: false,
      message: `The TXT record ${name} exists but does not hold the verification token (found ${values.length} other value${values.length === 1 ? '' : 's'}).`,
    };
  };
}
