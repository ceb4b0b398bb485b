import { verificationRecordName } from '@cbp/contracts';
import { z } from 'zod';
import { defineWorkflow } from '../../adapters/workflows/port.js';
import { systemContext } from '../../platform/context.js';
import { withTenant, type AppDb } from '../../platform/db.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TxtLookup } from './dns.js';
import { applyCheck, domainVerificationWorkflowType } from './domains.service.js';
import { domainById, updateDomain } from './organization.repo.js';

// `organization.domain-verification` (issue 15): one tenant run per added domain, workflow id
// `domain-verification:<domain id>`, started in the transaction that adds the domain. It sleeps
// durably (`wait-<i>`), looks the TXT record up (`lookup-<i>`, remote: DNS) and records the
// result (`record-<i>`, local: verified with its audit entry and event, or the check time), up to
// `checks` times `intervalMs` (the configured 72 h window, every hour by default); still pending
// then: `mark-failed`. A domain verified by hand or removed meanwhile ends the run early. The
// schedule is part of the input, so a configuration change never alters a run's replay.

const Input = z.object({ domainId: z.uuid(), intervalMs: z.number().int().positive(), checks: z.number().int().positive().max(10_000) });

export function organizationWorkflows({ db, lookup }: { db: AppDb; lookup: TxtLookup }) {
  return [
    defineWorkflow({
      type: domainVerificationWorkflowType,
      parseInput: (input) => Input.parse(input),
      async run(ctx, { domainId, intervalMs, checks }) {
        const tenantId = ctx.tenantId;
        if (!tenantId) throw new Error(`${domainVerificationWorkflowType} is a tenant workflow`);
        for (let i = 1; i <= checks; i++) {
          await ctx.sleep(`wait-${i}`, intervalMs);
          const check = await ctx.remoteStep(`lookup-${i}`, async () => {
            const row = await withTenant(db, tenantId, (tx) => domainById(tx, tenantId, domainId));
            if (!row || row.status !== 'pending') return { pending: false, found: false, message: '' };
            return { pending: true, ...(await lookup(verificationRecordName(row.domain), row.token)) };
          });
          if (!check.pending) return { outcome: 'settled', checks: i };
          const outcome = await ctx.step(`record-${i}`, async ({ tx }) => {
            const row = await domainById(tx, tenantId, domainId, { lock: true });
            if (!row || row.status !== 'pending') return 'settled';
            const result = await applyCheck(tx, systemContext(tenantId), row, { found: check.found, message: check.message });
            if (result.conflict) {
              await updateDomain(tx, row.id, { status: 'failed', failureReason: result.row.lastCheckMessage });
              return 'conflict';
            }
            return result.verified ? 'verified' : 'pending';
          });
          if (outcome !== 'pending') return { outcome, checks: i };
        }
        const failed = await ctx.step('mark-failed', async ({ tx }) => {
          const row = await domainById(tx, tenantId, domainId, { lock: true });
          if (!row || row.status !== 'pending') return false;
          const hours = Math.round((intervalMs * checks) / 3_600_000);
          const reason = `No TXT record ${verificationRecordName(row.domain)} with the token was found within ${hours >= 1 ? `${hours} hours` : `${Math.round((intervalMs * checks) / 1000)} seconds`}. Publish it and verify again.`;
          await updateDomain(tx, row.id, { status: 'failed', failureReason: reason });
          await recordAuditEntry(tx, systemContext(tenantId), {
            action: 'domain.verification_failed',
            targetType: 'domain',
            targetId: row.id,
            targetName: row.domain,
            before: { status: 'pending' },
            after: { status: 'failed', failureReason: reason },
          });
          return true;
        });
        return { outcome: failed ? 'failed' : 'settled', checks };
      },
    }),
  ];
}
