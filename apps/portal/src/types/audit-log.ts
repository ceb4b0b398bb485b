import type { AuditLog } from '@cbp/contracts';

export type { AuditLog, AuditLogFilters, AuditLogQuery } from '@cbp/contracts';
export type ActorType = AuditLog['actorType'];
