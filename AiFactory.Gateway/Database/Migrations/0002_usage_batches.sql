-- The id of every batch of usage a gateway has written, recorded in the same statement as the batch's counts. A
-- gateway whose write was cut off before PostgreSQL answered writes the batch again under the same id; if the first
-- write had committed, the id is here and the second adds nothing, so an ambiguous commit is never billed twice.
CREATE TABLE usage_batches (
    id         uuid PRIMARY KEY,
    written_at timestamptz NOT NULL DEFAULT now()
);

-- Gateways forget ids after a week (UsageFlushService); this keeps that delete an index range scan.
CREATE INDEX usage_batches_written_at ON usage_batches (written_at);
