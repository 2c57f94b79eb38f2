-- The model registry (DESIGN.md §6): models, their immutable versions, validation reports, traffic policies (with
-- their history, so a rollback can return to the policy before) and an append-only audit log.

CREATE TABLE models (
    name       text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by text NOT NULL
);

CREATE TABLE model_versions (
    model          text NOT NULL REFERENCES models (name),
    version        integer NOT NULL CHECK (version > 0),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes     bigint NOT NULL CHECK (size_bytes > 0),
    storage_key    text NOT NULL,
    config         jsonb NOT NULL DEFAULT '{}',   -- the version's config.json fields
    signature      jsonb NULL,                    -- inputs and outputs, once validation has read them
    opset          integer NULL,
    producer       text NULL,
    parent_version integer NULL,                  -- lineage: the version this one was made from, if any
    transform      jsonb NULL,                    -- lineage: how it was made from its parent
    state          text NOT NULL DEFAULT 'validating' CHECK (state IN ('validating', 'ready', 'invalid', 'retired')),
    state_reason   text NOT NULL DEFAULT '',
    validation_lease_until timestamptz NULL,      -- a gateway validating it holds it until then
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by     text NOT NULL,
    PRIMARY KEY (model, version),
    UNIQUE (model, sha256),
    FOREIGN KEY (model, parent_version) REFERENCES model_versions (model, version)
);

CREATE INDEX model_versions_validating ON model_versions (created_at) WHERE state = 'validating';

-- What a version is never changes once uploaded: only its state, what validation learnt and the lease do.
CREATE FUNCTION model_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.model, NEW.version, NEW.sha256, NEW.size_bytes, NEW.storage_key, NEW.config, NEW.parent_version, NEW.transform, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM
       (OLD.model, OLD.version, OLD.sha256, OLD.size_bytes, OLD.storage_key, OLD.config, OLD.parent_version, OLD.transform, OLD.created_at, OLD.created_by)
    THEN
        RAISE EXCEPTION 'model versions are immutable: % version % cannot be changed', OLD.model, OLD.version;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER model_versions_immutable BEFORE UPDATE ON model_versions
    FOR EACH ROW EXECUTE FUNCTION model_versions_immutable();

CREATE TABLE validation_reports (
    model      text NOT NULL,
    version    integer NOT NULL,
    report     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (model, version),
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

-- Every policy ever in force, newest last. parent_id is the policy a rollback returns to: on a change it is the
-- policy replaced; on a rollback it is the parent of the policy returned to, so repeated rollbacks walk back.
CREATE TABLE traffic_policies (
    id         bigserial PRIMARY KEY,
    model      text NOT NULL REFERENCES models (name),
    weights    jsonb NOT NULL,                    -- {"<version>": percent}, integers summing to 100
    parent_id  bigint NULL REFERENCES traffic_policies (id),
    kind       text NOT NULL CHECK (kind IN ('set', 'rollback', 'auto_rollback', 'seed')),
    reason     text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The policy in force per model. Changing it is one UPDATE (atomic for every reader).
CREATE TABLE model_traffic (
    model     text PRIMARY KEY REFERENCES models (name),
    policy_id bigint NOT NULL REFERENCES traffic_policies (id)
);

-- Who did what, when, and why. Rows are only ever added.
CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    key_id  text NOT NULL,                        -- the API key that acted, or 'system'
    action  text NOT NULL,
    model   text NULL,
    version integer NULL,
    before  jsonb NULL,
    after   jsonb NULL,
    reason  text NULL
);

CREATE INDEX audit_log_model_at ON audit_log (model, at);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
