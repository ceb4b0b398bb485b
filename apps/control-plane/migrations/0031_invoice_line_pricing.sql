-- Invoice lines bill in their priced unit (issue 17): `quantity` is the number of priced units
-- (7 blocks of 10,000 calls), `unit_amount` the price of one, `unit_size` the metered units in
-- one (10,000), and amount = quantity x unit_amount always. Usage lines also keep what was used
-- and what the plan included. Existing lines are converted below; a line whose priced unit
-- cannot be recovered becomes one lump sum (quantity 1 at its amount), so the rule holds for all.

ALTER TABLE invoice_lines
  ADD COLUMN unit_size bigint NOT NULL DEFAULT 1 CHECK (unit_size > 0),
  ADD COLUMN used_quantity bigint CHECK (used_quantity >= 0),
  ADD COLUMN included_quantity bigint CHECK (included_quantity >= 0);

-- 1. Overage lines from a usage period close (local gateway / Stripe: `quantity` held the units
--    over the included ones, no unit price): the frozen summary of the same period says what was
--    used and included, the tenant's quota the price step, kept only when it reproduces the amount.
UPDATE invoice_lines l SET
  used_quantity = s.total_quantity,
  included_quantity = s.included_quantity,
  unit_size = q.overage_unit,
  quantity = (s.overage_quantity + q.overage_unit - 1) / q.overage_unit,
  unit_amount = q.overage_price
FROM usage_summaries s, usage_quotas q
WHERE l.kind = 'usage'
  AND s.tenant_id = l.tenant_id AND s.metric_type = l.metric_type
  AND s.period_start = l.period_start AND s.period_end = l.period_end
  AND q.tenant_id = l.tenant_id AND q.metric_type = l.metric_type AND q.overage_unit > 0
  AND ((s.overage_quantity + q.overage_unit - 1) / q.overage_unit) * q.overage_price = l.amount;

-- 2. The demo history's overage lines (`quantity` held the units used, `unit_amount` the price
--    of one step): the tenant's plan gives the included units and the step.
UPDATE invoice_lines l SET
  used_quantity = l.quantity,
  included_quantity = (p.limits -> l.metric_type ->> 'included')::bigint,
  unit_size = (p.limits -> l.metric_type ->> 'overageUnit')::bigint,
  quantity = (greatest(0, l.quantity - (p.limits -> l.metric_type ->> 'included')::bigint)
              + (p.limits -> l.metric_type ->> 'overageUnit')::bigint - 1) / (p.limits -> l.metric_type ->> 'overageUnit')::bigint
FROM tenants t JOIN plans p ON p.id = t.plan_id
WHERE l.kind = 'usage' AND l.used_quantity IS NULL AND l.unit_amount IS NOT NULL
  AND t.id = l.tenant_id
  AND (p.limits -> l.metric_type ->> 'overageUnit')::bigint > 0
  AND (p.limits -> l.metric_type ->> 'overagePrice')::bigint = l.unit_amount
  AND ((greatest(0, l.quantity - (p.limits -> l.metric_type ->> 'included')::bigint)
        + (p.limits -> l.metric_type ->> 'overageUnit')::bigint - 1) / (p.limits -> l.metric_type ->> 'overageUnit')::bigint) * l.unit_amount = l.amount;

-- 3. Lines without a unit price (prorations, other one-off items): the price of one.
UPDATE invoice_lines SET unit_amount = amount / quantity
WHERE unit_amount IS NULL AND quantity <> 0 AND amount % quantity = 0;

-- 4. Whatever still does not add up is one lump sum.
UPDATE invoice_lines SET quantity = 1, unit_amount = amount, unit_size = 1
WHERE unit_amount IS NULL OR quantity * unit_amount <> amount;

ALTER TABLE invoice_lines
  ALTER COLUMN unit_amount SET NOT NULL,
  ADD CONSTRAINT invoice_lines_amount_adds_up CHECK (quantity * unit_amount = amount);
