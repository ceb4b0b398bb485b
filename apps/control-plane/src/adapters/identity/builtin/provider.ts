import type { IncomingMessage, ServerResponse } from 'node:http';
import formbody from '@fastify/formbody';
import middie from '@fastify/middie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Provider, { errors as oidcErrors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { z } from 'zod';
import { withTenant, type AppDb } from '../../../platform/db.js';
import { findUserByEmail, findUserById, membershipsOf, type UserRow } from '../../../platform/accounts.js';
import { recordAuditEntry } from '../../../platform/audit.js';
import { systemContext, type Actor, type RequestContext } from '../../../platform/context.js';
import { NewPassword, passwordPolicy } from '@cbp/contracts';
import type { Mailer } from '../../mail/port.js';
import type { SigningKeys } from './keys.js';
import {
  accountExistsPage,
  accountPaths,
  confirmSignUpPage,
  forgotPasswordPage,
  forgotPasswordSentPage,
  linkProblemPage,
  loginPage,
  logoutPage,
  messagePage,
  mfaChallengePage,
  mfaEnrollPage,
  mfaNoticePage,
  recoveryCodesPage,
  pageStyleSource,
  passwordChangedPage,
  resetPasswordPage,
  retryLaterMessage,
  signUpDonePage,
  signUpPage,
  signUpRefusedMessage,
  signUpSentPage,
  type PasswordErrors,
  type ChallengePurpose,
  type SignUpErrors,
} from './pages.js';
import { verifyPassword } from './passwords.js';
import { completePasswordReset, requestPasswordReset, resetLinkMinutes, resetLinkState } from './recovery.js';
import { confirmSignUp, requestSignUp, signUpLinkHours, signUpLinkState, type DomainSignUp } from './signup.js';
import { rememberSignInDevice } from './devices.js';
import { forgetSession, grantTag, grantTagClaim, recordSession } from './sessions.js';
import { databaseAdapter } from './storage.js';
import { builtinRolesOf } from '../admin/builtin.js';
import { admitLoginAttempt, clearLoginAttempts, forgetStaleLoginAttempts } from './throttle.js';
import { confirmEnrollment, disableMfa, mfaKey, mfaStatus, replaceRecoveryCodes, startEnrollment, verifySecondFactor } from './mfa.js';
import { mfaRequiredFor } from '../../../modules/organization/organization.service.js';

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
  /** Reset links and sign-up confirmations go out through the mail port (the outbox without SMTP). */
  mailer: Mailer;
  /** Sign-up by verified domain (issue 15): the organization and team modules' side of it. */
  signUp: DomainSignUp;
}

const accessTokenTtlSeconds = 60 * 60;

/** Configuration of the built-in OpenID provider (kept apart so tests can read it). */
export function providerConfiguration(opts: BuiltinIdentityOptions): Configuration {
  const { db, audience, clientId, portalOrigins } = opts;
  return {
    adapter: databaseAdapter(db, {
      // The device of each session (GET /me/sessions): the request that saved it is the provider's current context.
      onSessionSaved: async (payload) => {
        if (!payload.uid || !payload.accountId) return;
        const ctx = Provider.ctx;
        const userAgent = ctx?.get('user-agent') || null;
        await recordSession(db, { uid: payload.uid, userId: payload.accountId, userAgent: userAgent?.slice(0, 512) ?? null, ipAddress: ctx?.ip ?? null });
      },
      // Sign-out (RP-initiated logout destroys the session): audited before the provider answers.
      onSessionDestroyed: async (payload) => {
        if (!payload.accountId) return;
        const ctx = Provider.ctx;
        const base: RequestContext = { ...systemContext(null), ipAddress: ctx?.ip ?? null, userAgent: ctx?.get('user-agent') || null };
        await auditSignOut(db, base, payload.accountId);
        if (payload.uid) await forgetSession(db, payload.uid);
      },
    }),
    // Which grant (and so which session) an access token belongs to, as an opaque tag (GET /me/sessions `current`);
    // the user's realm roles as Keycloak puts them (`realm_access.roles`, identity-admin port, decision 010).
    extraTokenClaims: async (ctx, token) => {
      const claims: Record<string, unknown> = {};
      if ('grantId' in token && typeof token.grantId === 'string') claims[grantTagClaim] = grantTag(token.grantId);
      const accountId = 'accountId' in token && typeof token.accountId === 'string' ? token.accountId : undefined;
      const user = accountId && z.uuid().safeParse(accountId).success ? await findUserById(db, accountId) : undefined;
      if (user) claims.realm_access = { roles: builtinRolesOf(user).map((r) => r.name) };
      // How the sign-in behind the token was made (RFC 8176), as in the ID token: ["pwd"] or
      // ["pwd", "otp"]; the API refuses tokens without "otp" in organizations that require it.
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
      if (source?.amr) claims.amr = source.amr;
      return Object.keys(claims).length > 0 ? claims : undefined;
    },
    // The portal's account settings start a sign-in with cbp_mfa=setup (or disable) to manage two-step verification.
    extraParams: ['cbp_mfa'],
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
    // amr: how the sign-in was made (["pwd"] or ["pwd", "otp"]), in the ID token as in access tokens.
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name'] },
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
      ctx.body = messagePage('Sign-in problem', String(out.error_description ?? out.error ?? 'Unknown error'), { href: `${portalOrigins[0] ?? ''}/`, label: 'Go to the portal' });
    },
  };
}

const LoginForm = z.object({ email: z.string().trim().max(320), password: z.string().max(1024) });

// The account pages' forms and links. Whatever arrives is read leniently (a field of the wrong
// type or size counts as empty) and answered with the page and its field errors, never a 5xx.
const text = (max: number) => z.string().max(max).catch('').default('');
const Uid = z.string().regex(/^[\w-]{1,128}$/).optional().catch(undefined);
const Token = z.string().regex(/^[\w-]{1,128}$/).catch('').default('');
const UidQuery = z.object({ uid: Uid });
const TokenQuery = z.object({ token: Token });
const ForgotForm = z.object({ email: z.string().trim().toLowerCase().max(320).catch('').default(''), uid: Uid });
const ResetForm = z.object({ token: Token, password: text(1024), confirm: text(1024) });
const SignUpForm = z.object({
  uid: Uid,
  name: z.string().trim().max(200).catch('').default(''),
  email: z.string().trim().toLowerCase().max(320).catch('').default(''),
  password: text(1024),
  confirm: text(1024),
});
const EmailAddress = z.email();
const CodeForm = z.object({ code: z.string().trim().max(32).catch('').default('') });
/** What the portal asked this sign-in to do about two-step verification (`cbp_mfa`): set it up, turn it off, new recovery codes. */
const Purposes = z.enum(['setup', 'disable', 'codes']);
const MfaPurpose = Purposes.optional().catch(undefined);
/** A sign-in between its password and its second factor (kept in the interaction's result). */
const PendingSignIn = z.object({ accountId: z.uuid(), purpose: Purposes.optional(), amr: z.array(z.string()).optional() });
type PendingSignIn = z.infer<typeof PendingSignIn>;
const PendingState = z.object({ cbp: PendingSignIn });
const challengePurpose = (purpose: PendingSignIn['purpose']): ChallengePurpose => (purpose === 'disable' ? 'disable' : purpose === 'codes' ? 'codes' : 'sign-in');
/** A form's fields: anything but an object (a JSON string, an array, nothing) has none. */
const fieldsOf = (input: unknown): object => (input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {});

function emailProblem(email: string): string | undefined {
  if (!email) return 'Enter your email address';
  if (!EmailAddress.safeParse(email).success) return 'Enter an email address such as name@example.com';
  return undefined;
}

/** The built-in provider's password rules (contracts' NewPassword, as in settings and invitations) and the confirmation. */
function passwordErrors(password: string, confirm: string): PasswordErrors {
  if (!password) return { password: 'Choose a password' };
  const checked = NewPassword.safeParse(password);
  if (!checked.success) return { password: checked.error.issues[0]?.message ?? 'Choose another password' };
  if (password !== confirm) return { confirm: 'The passwords do not match' };
  return {};
}

/** Sign-out at the provider (RP-initiated logout): recorded like a sign-in, by the account holder. */
async function auditSignOut(db: AppDb, base: RequestContext, userId: string) {
  const user = await findUserById(db, userId);
  if (!user) return;
  const actor: Actor = { type: 'user', id: user.id, email: user.email };
  for (const tenant of await membershipsOf(db, user.id)) {
    await withTenant(db, tenant.id, (tx) =>
      recordAuditEntry(tx, { ...base, actor, tenantId: tenant.id, role: tenant.role }, {
        action: 'auth.logout',
        targetType: 'user',
        targetId: user.id,
        targetName: user.email,
      }),
    );
  }
}

/**
 * Records a sign-in (or a failed one) in the audit trail of each tenant the account is an
 * active member of. A failed attempt is not the account holder's act: its actor is the system,
 * the account is its target. Unknown emails have no tenant and are not audited.
 */
async function auditSignIn(db: AppDb, base: RequestContext, user: UserRow, outcome: 'succeeded' | 'failed', reason?: string) {
  const actor: Actor = outcome === 'succeeded' ? { type: 'user', id: user.id, email: user.email } : { type: 'system', id: null, email: null };
  for (const tenant of await membershipsOf(db, user.id)) {
    await withTenant(db, tenant.id, (tx) =>
      recordAuditEntry(tx, { ...base, actor, tenantId: tenant.id, role: outcome === 'succeeded' ? tenant.role : null }, {
        action: outcome === 'succeeded' ? 'auth.login_succeeded' : 'auth.login_failed',
        targetType: 'user',
        targetId: user.id,
        targetName: user.email,
        metadata: reason ? { reason } : {},
      }),
    );
  }
}

/**
 * Mounts the built-in OpenID provider at /oidc, with CBP's own login page for its
 * interactions (email + password against the users table).
 */
export async function registerBuiltinIdentity(app: FastifyInstance, opts: BuiltinIdentityOptions): Promise<Provider> {
  const provider = new Provider(opts.issuer, providerConfiguration(opts));
  const callback = provider.callback() as (req: IncomingMessage, res: ServerResponse) => void;

  await app.register(middie, { hook: 'onRequest' });
  app.use('/oidc', (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    // CBP's own pages: the sign-in form of an interaction, and the account pages (reset, sign-up).
    if (req.url?.startsWith('/interaction/') || req.url?.startsWith('/account/')) return next();
    callback(req, res);
  });

  const portalSources = opts.portalOrigins.join(' ');
  const portalUrl = opts.portalOrigins[0] ?? '';
  const portalLink = { href: `${portalUrl}/`, label: 'Go to the portal' };
  const sendPage = (reply: FastifyReply, status: number, html: string) =>
    reply
      .status(status)
      .header('cache-control', 'no-store')
      // form-action also applies to the redirects that follow the post, which end at the portal
      .header(
        'content-security-policy',
        `default-src 'none'; style-src ${pageStyleSource}; img-src 'self' data:; form-action 'self' ${portalSources}; frame-ancestors 'none'; base-uri 'none'`,
      )
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(html);
  const recovery = { db: opts.db, mailer: opts.mailer, issuer: opts.issuer };
  const signUpDeps = { ...recovery, portalUrl, signUp: opts.signUp };
  const passwordHint = `At least ${passwordPolicy.minLength} characters.`;
  const meta = (request: FastifyRequest) => ({ ipAddress: request.ip, userAgent: request.headers['user-agent'] ?? null });

  const key = mfaKey(opts.cookieSecret);
  const expiredPage = messagePage('Sign-in expired', 'This sign-in page has expired. Go back to the portal and sign in again.', portalLink);
  type Interaction = Awaited<ReturnType<typeof provider.interactionDetails>>;

  /** Keeps the state of this sign-in in its interaction (the provider's storage), for the next step. */
  const saveState = async (request: FastifyRequest, reply: FastifyReply, state: PendingSignIn) => {
    await provider.interactionResult(request.raw, reply.raw, { cbp: state }, { mergeWithLastSubmission: false });
  };

  /** Ends the interaction: the provider saves the session with `amr` and redirects back to the portal. */
  const finishSignIn = async (request: FastifyRequest, reply: FastifyReply, user: UserRow, ctx: RequestContext, amr: string[]) => {
    await auditSignIn(opts.db, ctx, user, 'succeeded');
    await rememberSignInDevice(opts.db, user, ctx.userAgent, request.ip);
    reply.hijack();
    await provider.interactionFinished(request.raw, reply.raw, { login: { accountId: user.id, amr } }, { mergeWithLastSubmission: false });
    return reply;
  };

  /**
   * The password was right: a second factor when the account has one; setting one up when an
   * organization of the account requires it or the portal asked (cbp_mfa=setup); else done.
   */
  const afterPassword = async (request: FastifyRequest, reply: FastifyReply, details: Interaction, user: UserRow, ctx: RequestContext) => {
    const purpose = MfaPurpose.parse(details.params.cbp_mfa);
    const state: PendingSignIn = { accountId: user.id, ...(purpose ? { purpose } : {}) };
    const status = await mfaStatus(opts.db, user.id);
    if (status.enabled) {
      await saveState(request, reply, state);
      return sendPage(reply, 200, mfaChallengePage({ uid: details.uid, email: user.email, purpose: challengePurpose(purpose) }));
    }
    const required = await mfaRequiredFor(opts.db, user.id);
    // Asked for new recovery codes without two-step verification: setting it up makes them.
    if (required.length > 0 || purpose === 'setup' || purpose === 'codes') {
      const enrollment = await startEnrollment(opts.db, key, user);
      if (enrollment) {
        await saveState(request, reply, state);
        return sendPage(reply, 200, mfaEnrollPage({ uid: details.uid, email: user.email, qrSvg: enrollment.qrSvg, secret: enrollment.secret, requiredByOrganizations: required.map((o) => o.name) }));
      }
    }
    if (purpose === 'disable') {
      await saveState(request, reply, { ...state, amr: ['pwd'] });
      return sendPage(reply, 200, mfaNoticePage({ uid: details.uid, title: 'Two-step verification is off', message: 'Your account has no two-step verification to turn off.', tone: 'ok' }));
    }
    return finishSignIn(request, reply, user, ctx, ['pwd']);
  };

  /** The sign-in a second-factor form continues: its interaction, which must hold a checked password. */
  const pendingSignIn = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ ok: true; details: Interaction; user: UserRow; state: PendingSignIn; ctx: RequestContext } | { ok: false; answer: FastifyReply }> => {
    let details: Interaction;
    try {
      details = await provider.interactionDetails(request.raw, reply.raw);
    } catch {
      return { ok: false, answer: await sendPage(reply, 400, expiredPage) };
    }
    const parsed = PendingState.safeParse(details.result);
    const user = parsed.success ? await findUserById(opts.db, parsed.data.cbp.accountId) : undefined;
    if (!parsed.success || !user || user.status !== 'active') return { ok: false, answer: await sendPage(reply, 400, expiredPage) };
    const ctx: RequestContext = { ...systemContext(null), ipAddress: request.ip, userAgent: request.headers['user-agent'] ?? null };
    return { ok: true, details, user, state: parsed.data.cbp, ctx };
  };

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
        return sendPage(reply, 400, messagePage('Sign-in expired', 'This sign-in page has expired. Go back to the portal and sign in again.', portalLink));
      }
    });

    scope.post('/oidc/interaction/:uid/login', async (request, reply) => {
      let details;
      try {
        details = await provider.interactionDetails(request.raw, reply.raw);
      } catch {
        return sendPage(reply, 400, messagePage('Sign-in expired', 'This sign-in page has expired. Go back to the portal and sign in again.', portalLink));
      }
      const form = LoginForm.safeParse(request.body);
      const email = form.success ? form.data.email : '';
      // Client address: the socket peer, or X-Forwarded-For only through TRUST_PROXY's proxies.
      const ip = request.ip;
      const ctx: RequestContext = { ...systemContext(null), ipAddress: ip, userAgent: request.headers['user-agent'] ?? null };
      // Decided and recorded in one step, before the password is looked at.
      const admission = await admitLoginAttempt(opts.db, email, ip);
      if (!admission.allowed) {
        request.log.warn({ email, ip, reason: admission.reason }, 'sign-in attempt throttled');
        reply.header('retry-after', String(admission.retryAfterSeconds));
        return sendPage(
          reply,
          429,
          loginPage({ uid: details.uid, email, error: retryLaterMessage(admission.retryAfterSeconds), demoLogins: opts.demoLogins }),
        );
      }
      const user = form.success && email ? await findUserByEmail(opts.db, email) : undefined;
      // The password is hashed even when there is no such active account, so the answer's timing
      // does not tell which emails have one.
      const checked = form.success && (await verifyPassword(form.data.password, user?.status === 'active' ? user.passwordHash : null));
      const valid = checked && user?.status === 'active';
      if (!valid || !user) {
        request.log.info({ email, ip }, 'failed sign-in');
        if (user) await auditSignIn(opts.db, ctx, user, 'failed', user.status === 'active' ? 'wrong_password' : 'account_inactive');
        await forgetStaleLoginAttempts(opts.db);
        return sendPage(
          reply,
          401,
          loginPage({ uid: details.uid, email, error: 'Invalid email or password.', demoLogins: opts.demoLogins }),
        );
      }
      await clearLoginAttempts(opts.db, email, ip);
      return afterPassword(request, reply, details, user, ctx);
    });

    // ---- Two-step verification (issue 15) ----
    // After the password, the interaction holds `{ cbp: PendingSignIn }` (server side, bound to
    // this browser's interaction cookie) until the second factor is given or set up.

    scope.post('/oidc/interaction/:uid/mfa', async (request, reply) => {
      const pending = await pendingSignIn(request, reply);
      if (!pending.ok) return pending.answer;
      const { details, user, state, ctx } = pending;
      const status = await mfaStatus(opts.db, user.id);
      if (!status.enabled) return sendPage(reply, 400, expiredPage);
      const purpose = challengePurpose(state.purpose);
      const { code } = CodeForm.parse(fieldsOf(request.body));
      if (!code) return sendPage(reply, 400, mfaChallengePage({ uid: details.uid, email: user.email, purpose, error: 'Enter the code from your authenticator app' }));
      const admission = await admitLoginAttempt(opts.db, `mfa:${user.id}`, request.ip);
      if (!admission.allowed) {
        reply.header('retry-after', String(admission.retryAfterSeconds));
        return sendPage(reply, 429, mfaChallengePage({ uid: details.uid, email: user.email, purpose, error: retryLaterMessage(admission.retryAfterSeconds, new Date(), 'wrong codes') }));
      }
      const checked = await verifySecondFactor(opts.db, key, user, code, ctx);
      if (!checked.ok) {
        await auditSignIn(opts.db, ctx, user, 'failed', checked.problem === 'already_used' ? 'reused_mfa_code' : 'wrong_mfa_code');
        await forgetStaleLoginAttempts(opts.db);
        const error =
          checked.problem === 'already_used'
            ? 'This code was already used. Wait for the next code in your app and enter that one.'
            : 'That code is not right. Check the time on your device, or enter a recovery code.';
        return sendPage(reply, 401, mfaChallengePage({ uid: details.uid, email: user.email, purpose, error }));
      }
      await clearLoginAttempts(opts.db, `mfa:${user.id}`, request.ip);
      const amr = ['pwd', 'otp'];
      if (purpose === 'codes') {
        const codes = await replaceRecoveryCodes(opts.db, user, ctx);
        if (codes) {
          await saveState(request, reply, { ...state, amr });
          return sendPage(reply, 200, recoveryCodesPage({ uid: details.uid, codes, replaced: true }));
        }
      }
      if (purpose === 'disable') {
        const required = await mfaRequiredFor(opts.db, user.id);
        if (required.length > 0) {
          await saveState(request, reply, { ...state, amr });
          const names = required.map((o) => o.name).join(', ');
          return sendPage(reply, 409, mfaNoticePage({ uid: details.uid, title: 'Two-step verification stays on', message: `${names} require${required.length === 1 ? 's' : ''} two-step verification for every member, so it cannot be turned off.`, tone: 'error' }));
        }
        await disableMfa(opts.db, user, ctx);
        await saveState(request, reply, { ...state, amr: ['pwd'] });
        return sendPage(reply, 200, mfaNoticePage({ uid: details.uid, title: 'Two-step verification is off', message: 'Your account now signs in with its password only. You can turn two-step verification on again in your account settings.', tone: 'ok' }));
      }
      if (checked.method === 'recovery_code' && checked.recoveryCodesLeft !== undefined && checked.recoveryCodesLeft <= 3) {
        await saveState(request, reply, { ...state, amr });
        return sendPage(reply, 200, mfaNoticePage({ uid: details.uid, title: 'Recovery code used', message: `You have ${checked.recoveryCodesLeft} recovery code${checked.recoveryCodesLeft === 1 ? '' : 's'} left. Get new ones in your account settings (Password, Two-step verification).`, tone: 'error' }));
      }
      return finishSignIn(request, reply, user, ctx, amr);
    });

    scope.post('/oidc/interaction/:uid/mfa/enroll', async (request, reply) => {
      const pending = await pendingSignIn(request, reply);
      if (!pending.ok) return pending.answer;
      const { details, user, state, ctx } = pending;
      const required = await mfaRequiredFor(opts.db, user.id);
      if (state.purpose !== 'setup' && state.purpose !== 'codes' && required.length === 0) return sendPage(reply, 400, expiredPage);
      const enrollment = await startEnrollment(opts.db, key, user);
      if (!enrollment) return sendPage(reply, 400, expiredPage);
      const again = (status: number, error: string) =>
        sendPage(reply, status, mfaEnrollPage({ uid: details.uid, email: user.email, qrSvg: enrollment.qrSvg, secret: enrollment.secret, requiredByOrganizations: required.map((o) => o.name), error }));
      const { code } = CodeForm.parse(fieldsOf(request.body));
      if (!code) return again(400, 'Enter the code your authenticator app shows');
      const admission = await admitLoginAttempt(opts.db, `mfa:${user.id}`, request.ip);
      if (!admission.allowed) {
        reply.header('retry-after', String(admission.retryAfterSeconds));
        return again(429, retryLaterMessage(admission.retryAfterSeconds, new Date(), 'wrong codes'));
      }
      const confirmed = await confirmEnrollment(opts.db, key, user, code, ctx);
      if (!confirmed.ok) {
        await forgetStaleLoginAttempts(opts.db);
        return again(400, 'That code is not right. Check that the app shows CBP Portal and that the time on your device is correct, then try the newest code.');
      }
      await clearLoginAttempts(opts.db, `mfa:${user.id}`, request.ip);
      await saveState(request, reply, { ...state, amr: ['pwd', 'otp'] });
      return sendPage(reply, 200, recoveryCodesPage({ uid: details.uid, codes: confirmed.recoveryCodes }));
    });

    scope.post('/oidc/interaction/:uid/continue', async (request, reply) => {
      const pending = await pendingSignIn(request, reply);
      if (!pending.ok) return pending.answer;
      const { user, state, ctx } = pending;
      // Only after a step that established how this sign-in was made.
      if (!state.amr) return sendPage(reply, 400, expiredPage);
      return finishSignIn(request, reply, user, ctx, state.amr);
    });

    // ---- Forgot password (issue 17 item 9) ----

    scope.get(accountPaths.forgot, { schema: { tags: ['identity'], summary: 'The "Forgot password?" form (HTML; built-in identity)' } }, async (request, reply) => {
      const { uid } = UidQuery.parse(fieldsOf(request.query));
      return sendPage(reply, 200, forgotPasswordPage({ uid, portalUrl }));
    });

    scope.post(accountPaths.forgot, { schema: { tags: ['identity'], summary: 'Mails a single-use reset link to an active account; the same answer for any address (HTML form, throttled like sign-in)' } }, async (request, reply) => {
      const form = ForgotForm.parse(fieldsOf(request.body));
      const problem = emailProblem(form.email);
      if (problem) return sendPage(reply, 400, forgotPasswordPage({ uid: form.uid, email: form.email, fieldError: problem, portalUrl }));
      // Throttled like sign-in, per (address, client) and per client across addresses, whether or not an account exists.
      const admission = await admitLoginAttempt(opts.db, `reset:${form.email}`, request.ip);
      if (!admission.allowed) {
        reply.header('retry-after', String(admission.retryAfterSeconds));
        const error = retryLaterMessage(admission.retryAfterSeconds, new Date(), 'reset requests');
        return sendPage(reply, 429, forgotPasswordPage({ uid: form.uid, email: form.email, error, portalUrl }));
      }
      await requestPasswordReset(recovery, form.email);
      await forgetStaleLoginAttempts(opts.db);
      return sendPage(reply, 200, forgotPasswordSentPage({ uid: form.uid, email: form.email, minutes: resetLinkMinutes, portalUrl }));
    });

    scope.get(accountPaths.reset, { schema: { tags: ['identity'], summary: 'The new-password form of a reset link (HTML), or why the link cannot be used' } }, async (request, reply) => {
      const { token } = TokenQuery.parse(fieldsOf(request.query));
      const link = await resetLinkState(opts.db, token);
      if (!link.ok) return sendPage(reply, link.problem === 'unknown' ? 404 : 410, linkProblemPage('reset', link.problem, portalUrl));
      return sendPage(reply, 200, resetPasswordPage({ token, email: link.email, hint: passwordHint }));
    });

    scope.post(accountPaths.reset, { schema: { tags: ['identity'], summary: 'Sets the new password with a reset link, once; signs out every session of the account (HTML form)' } }, async (request, reply) => {
      const form = ResetForm.parse(fieldsOf(request.body));
      const link = await resetLinkState(opts.db, form.token);
      if (!link.ok) return sendPage(reply, link.problem === 'unknown' ? 404 : 410, linkProblemPage('reset', link.problem, portalUrl));
      const errors = passwordErrors(form.password, form.confirm);
      if (errors.password || errors.confirm) return sendPage(reply, 400, resetPasswordPage({ token: form.token, email: link.email, errors, hint: passwordHint }));
      const done = await completePasswordReset(recovery, form.token, form.password, meta(request));
      if (!done.ok) return sendPage(reply, done.problem === 'unknown' ? 404 : 410, linkProblemPage('reset', done.problem, portalUrl));
      request.log.info({ endedSessions: done.endedSessions }, 'password reset with a mailed link');
      return sendPage(reply, 200, passwordChangedPage(portalUrl));
    });

    // ---- Sign-up by verified domain (issue 15) ----

    scope.get(accountPaths.signUp, { schema: { tags: ['identity'], summary: 'The sign-up form (HTML): joins organizations that verified the email\'s domain and allow it' } }, async (request, reply) => {
      const { uid } = UidQuery.parse(fieldsOf(request.query));
      return sendPage(reply, 200, signUpPage({ uid, hint: passwordHint, portalUrl }));
    });

    scope.post(accountPaths.signUp, { schema: { tags: ['identity'], summary: 'Mails a confirmation link when an organization admits the address, or refuses it (HTML form, throttled like sign-in)' } }, async (request, reply) => {
      const form = SignUpForm.parse(fieldsOf(request.body));
      const errors: SignUpErrors = { ...passwordErrors(form.password, form.confirm) };
      if (!form.name) errors.name = 'Enter your name';
      const emailError = emailProblem(form.email);
      if (emailError) errors.email = emailError;
      const again = (status: number, extra: { errors?: SignUpErrors; error?: string }) =>
        sendPage(reply, status, signUpPage({ uid: form.uid, name: form.name, email: form.email, hint: passwordHint, portalUrl, ...extra }));
      if (Object.values(errors).some(Boolean)) return again(400, { errors });
      const admission = await admitLoginAttempt(opts.db, `signup:${form.email}`, request.ip);
      if (!admission.allowed) {
        reply.header('retry-after', String(admission.retryAfterSeconds));
        return again(429, { error: retryLaterMessage(admission.retryAfterSeconds, new Date(), 'sign-up requests') });
      }
      const outcome = await requestSignUp(signUpDeps, { name: form.name, email: form.email, password: form.password });
      await forgetStaleLoginAttempts(opts.db);
      if (outcome === 'refused') return again(403, { errors: { email: signUpRefusedMessage() } });
      return sendPage(reply, 200, signUpSentPage({ uid: form.uid, email: form.email, hours: signUpLinkHours, portalUrl }));
    });

    scope.get(accountPaths.confirmSignUp, { schema: { tags: ['identity'], summary: 'What confirming a sign-up link will do (HTML); changes nothing' } }, async (request, reply) => {
      const { token } = TokenQuery.parse(fieldsOf(request.query));
      const link = await signUpLinkState(opts.db, token);
      if (!link.ok) return sendPage(reply, link.problem === 'unknown' ? 404 : 410, linkProblemPage('sign-up', link.problem, portalUrl));
      // Following the link only shows what happens next: mail scanners that open links create nothing.
      if (await findUserByEmail(opts.db, link.row.email)) return sendPage(reply, 409, accountExistsPage({ email: link.row.email, portalUrl }));
      const organizations = await opts.signUp.organizationsFor(link.row.email);
      if (organizations.length === 0) return sendPage(reply, 403, messagePage('Sign-up is no longer possible', signUpRefusedMessage(), { href: `${portalUrl}/`, label: 'Go to the portal' }));
      return sendPage(reply, 200, confirmSignUpPage({ token, name: link.row.name, email: link.row.email, organizations }));
    });

    scope.post(accountPaths.confirmSignUp, { schema: { tags: ['identity'], summary: 'Creates the account and its memberships with each organization\'s default role, once (HTML form)' } }, async (request, reply) => {
      const { token } = TokenQuery.parse(fieldsOf(request.body));
      const outcome = await confirmSignUp(signUpDeps, token, meta(request));
      switch (outcome.status) {
        case 'link':
          return sendPage(reply, outcome.problem === 'unknown' ? 404 : 410, linkProblemPage('sign-up', outcome.problem, portalUrl));
        case 'exists':
          return sendPage(reply, 409, accountExistsPage({ email: outcome.email, portalUrl }));
        case 'not_allowed':
          return sendPage(reply, 403, messagePage('Sign-up is no longer possible', signUpRefusedMessage(), { href: `${portalUrl}/`, label: 'Go to the portal' }));
        case 'joined':
          return sendPage(reply, 201, signUpDonePage({ organizations: outcome.organizations, portalUrl }));
      }
    });
  });

  return provider;
}
