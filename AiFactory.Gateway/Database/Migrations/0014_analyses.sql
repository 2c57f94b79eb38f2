-- The model analyzer's runs (issue 12): what was asked, the table measured and the recommendation, kept so that
-- applying one (POST /api/admin/analyses/{id}/apply) uses exactly what was measured, and so that a derived version's
-- lineage ({"name": "analyzer", "analysis": id, ...}) can be read back to its measurements.
CREATE TABLE model_analyses (
    id         bigserial PRIMARY KEY,
    model      text NOT NULL,
    version    integer NOT NULL,
    objective  jsonb NOT NULL,
    result     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by text NOT NULL,
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);
