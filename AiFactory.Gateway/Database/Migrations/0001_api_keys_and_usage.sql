-- API keys: only a SHA-256 hash of each key is stored; the plaintext is shown once, at creation.
CREATE TABLE api_keys (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    key_hash            bytea NOT NULL,
    scopes              text[] NOT NULL,
    models              text[] NULL,             -- NULL: every model
    requests_per_second double precision NULL,   -- NULL: the gateway's default rate
    burst               integer NULL,
    max_concurrency     integer NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    revoked_at          timestamptz NULL
);

-- Gateways poll for recent revocations; this keeps that poll an index lookup.
CREATE INDEX api_keys_revoked_at ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;

-- Usage per minute, key, model, version and status. Gateways add their in-memory totals in batches.
CREATE TABLE usage (
    minute         timestamptz NOT NULL,
    key_id         text NOT NULL,
    model          text NOT NULL,
    version        text NOT NULL,
    status         integer NOT NULL,
    requests       bigint NOT NULL,
    PRIMARY KEY (minute, key_id, model, version, status)
);
