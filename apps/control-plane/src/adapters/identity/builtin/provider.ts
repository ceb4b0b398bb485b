import type { IncomingMessage, ServerResponse } from 'node:http';
import formbody from '@fastify/formbody';
import middie from '@fastify/middie';
import type { FastifyInstance, FastifyReply } from 'fastify';
import Provider, { errors as oidcErrors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { z } from 'zod';
import type { AppDb } from '../../../platform/db.js';
import { findUserByEmail, findUserById } from '../../../platform/accounts.js';
import type { SigningKeys } from './keys.js';
import { loginPage, logoutPage, messagePage } from './pages.js';
import { verifyPassword } from './passwords.js';
import { databaseAdapter } from './storage.js';
import { clearLoginFailures, loginIsLocked, loginLimits, recordLoginFailure } from './throttle.js';

export interface BuiltinIdentityOptions {
  db: AppDb;
  issuer: string;
  /** Resource indicator and `aud` of access tokens for the API. */
  audience: string;
  clientId: string;
  portalOrigins: string[];
  keys: SigningKeys;
  cookieSecret: string;
  demoLogins?: { emails: string[]; password: string };
}

const accessTokenTtlSeconds = 60 * 60;

/** Configuration of the built-in OpenID provider (kept apart so tests can read it). */
export function providerConfiguration(opts: BuiltinIdentityOptions): Configuration {
  const { db, audience, clientId, portalOrigins } = opts;
  return {
    adapter: databaseAdapter(db),
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: portalOrigins.flatMap((o) => [`${o}/auth/callback`, `${o}/auth/silent-callback`]),
        post_logout_redirect_uris: portalOrigins.map((o) => `${o}/login`),
      },
    ],
    clientBasedCORS: (_ctx, origin) => portalOrigins.includes(origin),
    jwks: opts.keys as Configuration['jwks'],
    cookies: { keys: [opts.cookieSecret] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    findAccount: async (_ctx, sub) => {
      const user = z.uuid().safeParse(sub).success ? await findUserById(db, sub) : undefined;
      if (!user || user.status !== 'active') return undefined;
      return {
        accountId: user.id,
        claims: () => ({ sub: user.id, email: user.email, email_verified: true, name: user.name }),
      };
    },
    interactions: { url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}` },
    // First-party portal: the grant is implied, there is no consent screen.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid profile email offline_access');
      grant.addResourceScope(audience, 'api');
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form, `${portalOrigins[0] ?? ''}/`);
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== audience) throw new oidcErrors.InvalidTarget();
          return {
            scope: 'api',
            audience,
            accessTokenTTL: accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: accessTokenTtlSeconds,
      Interaction: 60 * 60,
      Session: 14 * 24 * 60 * 60,
      Grant: 14 * 24 * 60 * 60,
      RefreshToken: 14 * 24 * 60 * 60,
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = messagePage('Sign-in problem', String(out.error_description ?? out.error ?? 'Unknown error'));
    },
  };
}

const LoginForm = z.object({ email: z.string().trim().max(320), password: z.string().max(1024) });

/**
 * Mounts the built-in OpenID provider at /oidc, with CBP's own login page for its
 * interactions (email + password against the users table).
 */
export async function registerBuiltinIdentity(app: FastifyInstance, opts: BuiltinIdentityOptions): Promise<Provider> {
  const provider = new Provider(opts.issuer, providerConfiguration(opts));
  const callback = provider.callback() as (req: IncomingMessage, res: ServerResponse) => void;

  await app.register(middie, { hook: 'onRequest' });
  app.use('/oidc', (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (req.url?.startsWith('/interaction/')) return next();
    callback(req, res);
  });

  const portalSources = opts.portalOrigins.join(' ');
  const sendPage = (reply: FastifyReply, status: number, html: string) =>
    reply
      .status(status)
      .header('cache-control', 'no-store')
      // form-action also applies to the redirects that follow the post, which end at the portal
      .header(
        'content-security-policy',
        `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' ${portalSources}; frame-ancestors 'none'; base-uri 'none'`,
      )
      .type('text/html; charset=utf-8')
      .send(html);

  await app.register(async (scope) => {
    await scope.register(formbody);

    scope.get('/oidc/interaction/:uid', async (request, reply) => {
      try {
        const details = await provider.interactionDetails(request.raw, reply.raw);
        if (details.prompt.name !== 'login') {
          // Consent is implied for the first-party portal (see loadExistingGrant).
          reply.hijack();
          await provider.interactionFinished(request.raw, reply.raw, {}, { mergeWithLastSubmission: true });
          return reply;
        }
        const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
        return sendPage(reply, 200, loginPage({ uid: details.uid, email: hint, demoLogins: opts.demoLogins }));
      } catch (err) {
        request.log.info({ err }, 'interaction not found');
        return sendPage(reply, 400, messagePage('Sign-in expired', 'This sign-in page has expired. Go back to the portal and sign in again.'));
      }
    });

    scope.post('/oidc/interaction/:uid/login', async (request, reply) => {
      let details;
      try {
        details = await provider.interactionDetails(request.raw, reply.raw);
      } catch {
        return sendPage(reply, 400, messagePage('Sign-in expired', 'This sign-in page has expired. Go back to the portal and sign in again.'));
      }
      const form = LoginForm.safeParse(request.body);
      const email = form.success ? form.data.email : '';
      if (await loginIsLocked(opts.db, email, request.ip)) {
        request.log.warn({ email, ip: request.ip }, 'sign-in locked after repeated failures');
        return sendPage(
          reply,
          429,
          loginPage({
            uid: details.uid,
            email,
            error: `Too many failed sign-in attempts. Wait ${loginLimits.windowMinutes} minutes and try again.`,
            demoLogins: opts.demoLogins,
          }),
        );
      }
      const user = form.success && email ? await findUserByEmail(opts.db, email) : undefined;
      const valid = form.success && user?.status === 'active' && (await verifyPassword(form.data.password, user.passwordHash));
      if (!valid || !user) {
        request.log.info({ email }, 'failed sign-in');
        await recordLoginFailure(opts.db, email, request.ip);
        return sendPage(
          reply,
          401,
          loginPage({ uid: details.uid, email, error: 'Invalid email or password.', demoLogins: opts.demoLogins }),
        );
      }
      await clearLoginFailures(opts.db, user.email);
      reply.hijack();
      await provider.interactionFinished(
        request.raw,
        reply.raw,
        { login: { accountId: user.id } },
        { mergeWithLastSubmission: false },
      );
      return reply;
    });
  });

  return provider;
}
