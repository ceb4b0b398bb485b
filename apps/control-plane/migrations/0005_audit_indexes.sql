-- Indexes for the audit viewer's single filters (each keeps newest-first order per tenant).
CREATE INDEX audit_logs_tenant_action_idx ON audit_logs (tenant_id, action, created_at DESC);
CREATE INDEX audit_logs_tenant_actor_idx ON audit_logs (tenant_id, actor_id, created_at DESC);
CREATE INDEX audit_logs_tenant_target_idx ON audit_logs (tenant_id, target_type, target_id, created_at DESC);
