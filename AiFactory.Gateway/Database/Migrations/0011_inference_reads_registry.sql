-- The inference replicas read what to load with a role of their own, aifactory_inference (made by the superuser:
-- manifests/overlays/common/postgres-init/inference-role.sql). Where it exists, it may read these three tables and
-- nothing else. Where it is made later, its script grants the same.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'aifactory_inference') THEN
        GRANT SELECT ON model_traffic, traffic_policies, model_versions TO aifactory_inference;
    END IF;
END $$;
