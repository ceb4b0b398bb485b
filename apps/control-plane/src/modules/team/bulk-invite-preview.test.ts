import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acme, createTestContext, type TestContext } from '../../../test/harness.js';
import { platformRows } from '../../platform/db.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function bulk(email: string, body: object) {
  return t.app.inject({
    method: 'POST',
    url: '/user-invitations/bulk',
    headers: { authorization: `Bearer ${await t.tokenFor(email)}`, 'x-tenant-id': acme.id },
    payload: body,
  });
}

const counts = async () =>
  (
    await platformRows<{ invitations: number; mails: number; audits: number }>(
      t.database.db,
      sql`SELECT (SELECT count(*)::int FROM user_invitations) AS invitations,
                 (SELECT count(*)::int FROM mail_outbox) AS mails,
                 (SELECT count(*)::int FROM audit_logs WHERE action = 'member.invited') AS audits`,
    )
  )[0];

// The rows a customer pastes: a new person, an existing member, the demo's pending invitation,
// a typo, the new person again, and a role the admin may not grant.
const rows = [
  { email: 'ivy@example.com', role: 'analyst' },
  { email: 'Engineer@acme.test', role: 'analyst' },
  { email: 'new.hire@acme.test', role: 'engineer' },
  { email: 'jack(at)example.com', role: 'analyst' },
  { email: 'IVY@example.com', role: 'admin' },
  { email: 'kim@example.com', role: 'owner' },
  { email: 'lee@example.com', role: 'Engineer' },
];

describe('bulk invitation preview (dryRun)', () => {
  it('reports each row as the send would, and creates, mails and audits nothing', async () => {
    const before = await counts();
    const res = await bulk('admin@acme.test', { invitations: rows, dryRun: true });
    expect(res.statusCode).toBe(200);
    const preview = res.json() as { created: number; failed: number; results: { index: number; ok: boolean; status: number; message?: string; invitationId?: string }[] };
    expect(preview).toMatchObject({
      created: 2,
      failed: 5,
      results: [
        { index: 0, key: 'ivy@example.com', ok: true, status: 201 },
        { index: 1, ok: false, status: 409, message: 'engineer@acme.test is already a member of this organization.' },
        { index: 2, ok: false, status: 409, message: 'new.hire@acme.test already has a pending invitation; resend it instead.' },
        { index: 3, ok: false, status: 400 },
        { index: 4, ok: false, status: 409, message: 'ivy@example.com appears more than once in the list.' },
        { index: 5, ok: false, status: 403, message: 'Only an owner can invite an owner.' },
        { index: 6, key: 'lee@example.com', ok: true, status: 201 },
      ],
    });
    expect(preview.results.some((row) => row.invitationId !== undefined)).toBe(false);
    expect(await counts()).toEqual(before);
    // Previewing twice gives the same answer: the first run left nothing behind.
    expect((await bulk('admin@acme.test', { invitations: rows, dryRun: true })).json()).toEqual(preview);
  });

  it('the send accepts exactly the rows the preview called ready', async () => {
    const preview = (await bulk('admin@acme.test', { invitations: rows, dryRun: true })).json() as { results: { index: number; ok: boolean; status: number; message?: string }[] };
    const sent = (await bulk('admin@acme.test', { invitations: rows })).json() as { created: number; results: { index: number; ok: boolean; status: number; message?: string; invitationId?: string }[] };
    expect(sent.created).toBe(2);
    expect(sent.results.map(({ index, ok, status, message }) => ({ index, ok, status, message }))).toEqual(
      preview.results.map(({ index, ok, status, message }) => ({ index, ok, status, message })),
    );
    expect(sent.results.filter((row) => row.ok).every((row) => typeof row.invitationId === 'string')).toBe(true);
    // Now those two are pending: a second preview says so.
    const again = (await bulk('admin@acme.test', { invitations: [{ email: 'ivy@example.com', role: 'analyst' }], dryRun: true })).json();
    expect(again).toMatchObject({ created: 0, failed: 1, results: [{ ok: false, status: 409, message: 'ivy@example.com already has a pending invitation; resend it instead.' }] });
  });

  it('is refused to those who may not invite, like the send', async () => {
    const res = await bulk('engineer@acme.test', { invitations: [{ email: 'x@example.com', role: 'analyst' }], dryRun: true });
    expect(res.statusCode).toBe(403);
  });
});
