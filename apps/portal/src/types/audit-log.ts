import type { AuditLog } from '@cbp/contracts';

export type { AuditChainVerification, AuditLog, AuditLogFilters, AuditLogQuery } from '@cbp/contracts';
export type ActorType = AuditLog['actorType'];
