-- The customer as billed (issue 15, decision 004): the organization's billing identity (legal
-- name, billing email, address lines, tax id) written once, when the invoice is issued (the
-- `invoice.issued` domain event), and printed on the invoice from then on. An issued invoice
-- never changes with a later profile edit. NULL: issued before this column existed (the PDF then
-- prints the current profile, as before).
ALTER TABLE invoices ADD COLUMN customer jsonb;
