import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * A local stand-in for the subset of Keycloak's Admin REST API that CBP calls
 * (adapters/identity/admin/keycloak.ts), so the real `@keycloak/keycloak-admin-client` is
 * exercised offline: the token endpoint (client-credentials grant, HTTP Basic client
 * authentication), realm roles, users (by id, by email), realm role mappings, user update,
 * logout and execute-actions-email. JSON shapes follow Keycloak's RoleRepresentation and
 * UserRepresentation; errors are `{"error": ...}` with Keycloak's statuses.
 */

export interface FakeRole {
  id: string;
  name: string;
  description?: string;
  composite: boolean;
  clientRole: boolean;
  containerId: string;
}

export interface FakeUser {
  id: string;
  username: string;
  email: string;
  firstName?: string;
  lastName?: string;
  enabled: boolean;
  emailVerified: boolean;
  createdTimestamp: number;
  requiredActions: string[];
}

export interface RecordedKeycloakRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface KeycloakFake {
  url: string;
  realm: string;
  clientId: string;
  clientSecret: string;
  roles: FakeRole[];
  users: FakeUser[];
  /** userId -> role ids mapped to the user. */
  mappings: Map<string, Set<string>>;
  requests: RecordedKeycloakRequest[];
  /** How many access tokens the token endpoint issued. */
  tokensIssued(): number;
  /** Makes every token issued so far invalid (the next admin call gets 401). */
  expireTokens(): void;
  /** The next `count` admin calls (not the token endpoint) answer this status. */
  failNext(status: number, count?: number): void;
  /** Logouts and required-actions emails received, by user id. */
  loggedOut: string[];
  actionEmails: { userId: string; actions: string[] }[];
  addUser(email: string, name?: { firstName?: string; lastName?: string }): FakeUser;
  /** The realm's issuer URL (discovery and JWKS are served under it). */
  issuer: string;
  /**
   * An access token of the realm for the user, as Keycloak would issue it now: its realm role
   * mappings in `realm_access.roles`, email, audience `audience`.
   */
  userToken(userId: string, audience: string): Promise<string>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body?: unknown) {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startKeycloakFake({ realm = 'cbp', clientId = 'cbp-admin', clientSecret = 'fake-secret' } = {}): Promise<KeycloakFake> {
  const realmId = randomUUID();
  const role = (name: string, description?: string, composite = false): FakeRole => ({ id: randomUUID(), name, description, composite, clientRole: false, containerId: realmId });
  const roles: FakeRole[] = [
    role('super_admin', 'Platform staff: staff console and every tenant'),
    role('offline_access', '${role_offline-access}'),
    role('uma_authorization', '${role_uma_authorization}'),
    role(`default-roles-${realm}`, '${role_default-roles}', true),
  ];
  const users: FakeUser[] = [];
  const mappings = new Map<string, Set<string>>();
  const validTokens = new Set<string>();
  const requests: RecordedKeycloakRequest[] = [];
  const loggedOut: string[] = [];
  const actionEmails: { userId: string; actions: string[] }[] = [];
  let issued = 0;
  let failures: { status: number; count: number } | null = null;
  let issuer = '';
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'fake-realm-key', alg: 'RS256', use: 'sig' };

  function addUser(email: string, name: { firstName?: string; lastName?: string } = {}): FakeUser {
    const user: FakeUser = { id: randomUUID(), username: email, email, ...name, enabled: true, emailVerified: true, createdTimestamp: Date.now(), requiredActions: [] };
    users.push(user);
    const defaults = roles.find((r) => r.name === `default-roles-${realm}`);
    mappings.set(user.id, new Set(defaults ? [defaults.id] : []));
    return user;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const raw = await readBody(req);
    const json = (): unknown => (raw ? JSON.parse(raw) : undefined);
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body: raw });

    if (req.method === 'POST' && path === `/realms/${realm}/protocol/openid-connect/token`) {
      const form = new URLSearchParams(raw);
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent) : [form.get('client_id'), form.get('client_secret')];
      if (form.get('grant_type') !== 'client_credentials') return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' });
      if (id !== clientId || secret !== clientSecret) return send(res, 401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' });
      const token = randomBytes(24).toString('base64url');
      validTokens.add(token);
      issued += 1;
      return send(res, 200, { access_token: token, expires_in: 300, refresh_expires_in: 0, token_type: 'Bearer', 'not-before-policy': 0, scope: 'profile email' });
    }
    if (req.method === 'GET' && path === `/realms/${realm}/.well-known/openid-configuration`) {
      return send(res, 200, { issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs`, token_endpoint: `${issuer}/protocol/openid-connect/token` });
    }
    if (req.method === 'GET' && path === `/realms/${realm}/protocol/openid-connect/certs`) return send(res, 200, { keys: [jwk] });
    if (path.startsWith('/realms/')) return send(res, 404, { error: 'Realm does not exist' });

    const admin = /^\/admin\/realms\/([^/]+)(\/.*)?$/.exec(path);
    if (!admin) return send(res, 404, { error: 'RESTEASY003210: Could not find resource for full path' });
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !validTokens.has(bearer)) return send(res, 401, { error: 'HTTP 401 Unauthorized' });
    if (failures && failures.count > 0) {
      failures.count -= 1;
      return send(res, failures.status, { error: 'unknown_error' });
    }
    if (decodeURIComponent(admin[1] ?? '') !== realm) return send(res, 404, { error: 'Realm not found.' });
    const rest = admin[2] ?? '';

    if (req.method === 'GET' && rest === '/roles') return send(res, 200, roles);
    if (req.method === 'GET' && rest === '/users') {
      const email = url.searchParams.get('email');
      const exact = url.searchParams.get('exact') === 'true';
      const found = users.filter((u) => !email || (exact ? u.email.toLowerCase() === email.toLowerCase() : u.email.toLowerCase().includes(email.toLowerCase())));
      return send(res, 200, found);
    }
    const userPath = /^\/users\/([^/]+)(\/.*)?$/.exec(rest);
    if (userPath) {
      const user = users.find((u) => u.id === decodeURIComponent(userPath[1] ?? ''));
      if (!user) return send(res, 404, { error: 'User not found' });
      const sub = userPath[2] ?? '';
      const mapped = mappings.get(user.id) ?? new Set<string>();
      mappings.set(user.id, mapped);
      if (req.method === 'GET' && sub === '') return send(res, 200, user);
      if (req.method === 'PUT' && sub === '') {
        const patch = json() as Partial<FakeUser>;
        if (typeof patch.enabled === 'boolean') user.enabled = patch.enabled;
        return send(res, 204);
      }
      if (sub === '/role-mappings/realm') {
        if (req.method === 'GET') return send(res, 200, roles.filter((r) => mapped.has(r.id)));
        const given = json() as { id?: string; name?: string }[];
        const resolved = given.map((g) => roles.find((r) => r.id === g.id || (!g.id && r.name === g.name)));
        if (resolved.some((r) => !r)) return send(res, 404, { error: 'Role not found' });
        for (const r of resolved) {
          if (!r) continue;
          if (req.method === 'POST') mapped.add(r.id);
          else mapped.delete(r.id);
        }
        if (req.method === 'POST' || req.method === 'DELETE') return send(res, 204);
      }
      if (req.method === 'POST' && sub === '/logout') {
        loggedOut.push(user.id);
        return send(res, 204);
      }
      if (req.method === 'PUT' && sub === '/execute-actions-email') {
        const actions = json() as string[];
        user.requiredActions = [...new Set([...user.requiredActions, ...actions])];
        actionEmails.push({ userId: user.id, actions });
        return send(res, 204);
      }
    }
    return send(res, 404, { error: 'RESTEASY003210: Could not find resource for full path' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}/realms/${realm}`;
  return {
    issuer,
    async userToken(userId, audience) {
      const user = users.find((u) => u.id === userId);
      if (!user) throw new Error(`no fake user ${userId}`);
      const mapped = mappings.get(userId) ?? new Set<string>();
      return new SignJWT({ typ: 'Bearer', azp: 'cbp-portal', email: user.email, email_verified: true, realm_access: { roles: roles.filter((r) => mapped.has(r.id)).map((r) => r.name) } })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(randomUUID())
        .sign(privateKey);
    },
    url: `http://127.0.0.1:${port}`,
    realm,
    clientId,
    clientSecret,
    roles,
    users,
    mappings,
    requests,
    loggedOut,
    actionEmails,
    tokensIssued: () => issued,
    expireTokens: () => validTokens.clear(),
    failNext: (status, count = 1) => {
      failures = { status, count };
    },
    addUser,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
