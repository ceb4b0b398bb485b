import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface SigningKeys {
  /** Private JWKs handed to the provider. */
  keys: JWK[];
}

export async function generateSigningKeys(): Promise<SigningKeys> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { keys: [{ ...jwk, alg: 'RS256', use: 'sig', kid: `cbp-${Date.now().toString(36)}` }] };
}

export function signingKeysFile(dataDir: string) {
  return path.join(dataDir, 'oidc', 'jwks.json');
}

/** Loads the built-in issuer's keys from `OIDC_SIGNING_JWKS` or the data folder, creating them once. */
export async function loadSigningKeys(dataDir: string, fromEnv?: string): Promise<SigningKeys> {
  if (fromEnv) return JSON.parse(fromEnv) as SigningKeys;
  const file = signingKeysFile(dataDir);
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as SigningKeys;
  const keys = await generateSigningKeys();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** The public half of each key, as published at the JWKS endpoint. */
export function publicJwks(keys: SigningKeys): { keys: JWK[] } {
  return {
    keys: keys.keys.map(({ kty, n, e, crv, x, y, kid, alg, use }) =>
      Object.fromEntries(Object.entries({ kty, n, e, crv, x, y, kid, alg, use }).filter(([, v]) => v !== undefined)),
    ),
  };
}
