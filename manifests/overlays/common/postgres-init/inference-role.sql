-- The inference replicas' own login role, aifactory_inference: it may read the three registry tables that say what
-- to load (model_traffic, traffic_policies, model_versions) and nothing else. It owns nothing, writes nothing, and
-- cannot read API keys, usage, validation reports or the audit log.
-- Run by the superuser, connected to the application database, with the role's password in the environment variable
-- INFERENCE_DB_PASSWORD (never on a command line). Safe to run again: it sets the password each time.
-- Where it runs: as gateway-role.sql (scripts/run-postgres.sh at every start; the postgres image's entrypoint at the
-- first start of its data volume; by hand for a database made before this role existed). The registry tables are
-- the gateway's and may not exist yet: the gateway's migration 0011_inference_reads_registry.sql grants them to this
-- role when it makes them, and this script grants them when they already exist.
\set ON_ERROR_STOP on
\getenv inference_password INFERENCE_DB_PASSWORD
\if :{?inference_password}
\else
DO $$ BEGIN RAISE EXCEPTION 'INFERENCE_DB_PASSWORD must hold the password of the role aifactory_inference'; END $$;
\endif

SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'aifactory_inference') AS create_role \gset
\if :create_role
CREATE ROLE aifactory_inference;
\endif
ALTER ROLE aifactory_inference WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'inference_password';
-- Read-only even where a session forgets to say so.
ALTER ROLE aifactory_inference SET default_transaction_read_only = on;

SELECT format('GRANT CONNECT ON DATABASE %I TO aifactory_inference', current_database()) \gexec
GRANT USAGE ON SCHEMA public TO aifactory_inference;
SELECT format('GRANT SELECT ON public.%I TO aifactory_inference', tablename)
FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('model_traffic', 'traffic_policies', 'model_versions') \gexec
