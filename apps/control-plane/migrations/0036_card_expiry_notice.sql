-- "Card expiring soon" (issue 14): the daily `payment-methods.card-expiry` workflow announces a
-- card once per expiry date. The column holds the expiry ('YYYY-MM') it was announced for, set
-- in the statement that picks the card and in the transaction that publishes the event, so a
-- repeated run (another day, another API copy, a retried step) announces nothing twice, and a
-- card updated with a new expiry is announced again when that one nears.
ALTER TABLE payment_methods ADD COLUMN expiry_notified_for text;
