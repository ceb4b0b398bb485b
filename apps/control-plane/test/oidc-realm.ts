import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export interface FakeRealm {
  /** `http://127.0.0.1:<port>/realms/cbp`, what OIDC_ISSUER_URL is set to. */
  issuer: string;
  /** An access token of the realm for the API (audience `cbp-api`), with these claims. */
  sign(claims: Record<string, unknown>, sub?: string): Promise<string>;
  close(): Promise<void>;
}

/** A stand-in Keycloak realm on loopback: discovery document and JWKS, like the real one serves. */
export async function startFakeRealm(): Promise<FakeRealm> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'realm-key-1', alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/realms/cbp/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs` }));
    } else if (req.url === '/realms/cbp/protocol/openid-connect/certs') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/cbp`;
  const sign = (claims: Record<string, unknown>, sub = randomUUID()) =>
    new SignJWT({ typ: 'Bearer', azp: 'cbp-portal', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'realm-key-1', typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience('cbp-api')
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  return { issuer, sign, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
