import { domainToASCII } from 'node:url';
import { hostnameMaxLength, hostnamePattern } from '@cbp/contracts';

/**
 * A domain as the caller typed it, normalised: spaces trimmed, scheme, user info, path, query,
 * port and trailing dot dropped, lower case, an internationalised name as punycode
 * (`bücher.example` -> `xn--bcher-kva.example`). Null when what remains is not a host name with
 * at least two labels (an IP address, a single label, stray characters).
 */
export function normalizeDomain(input: string): string | null {
  let host = input.trim();
  host = host.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''); // scheme
  host = host.split(/[/?#]/, 1)[0] ?? ''; // path, query, fragment
  host = host.slice(host.lastIndexOf('@') + 1); // user info
  host = host.replace(/:\d*$/, ''); // port
  host = host.replace(/\.$/, ''); // trailing dot of a fully qualified name
  if (host === '' || /\s/.test(host)) return null;
  const ascii = domainToASCII(host.toLowerCase());
  if (!ascii || ascii.length > hostnameMaxLength || !hostnamePattern.test(ascii)) return null;
  // An IPv4 address is not a domain (its last label would be numeric, which the pattern refuses).
  return ascii;
}
