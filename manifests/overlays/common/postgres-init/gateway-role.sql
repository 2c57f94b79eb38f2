-- The gateway's own login role, aifactory_gateway: it owns the tables its migrations create and nothing else. It is no
-- superuser and cannot create roles or databases; the superuser stays for administration.
-- Run by the superuser, connected to the application database, with the role's password in the environment variable
-- GATEWAY_DB_PASSWORD (never on a command line). Safe to run again: it sets the password each time.
-- Where it runs: scripts/run-postgres.sh at every start (no containers); the postgres image's entrypoint at the first
-- start of its data volume (/docker-entrypoint-initdb.d: the AppHost's container mode and the Kubernetes overlays);
-- by hand for a database made before this role existed (README, "Deploy to Kubernetes").
\set ON_ERROR_STOP on
\getenv gateway_password GATEWAY_DB_PASSWORD
\if :{?gateway_password}
\else
DO $$ BEGIN RAISE EXCEPTION 'GATEWAY_DB_PASSWORD must hold the password of the role aifactory_gateway'; END $$;
\endif

SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'aifactory_gateway') AS create_role \gset
\if :create_role
CREATE ROLE aifactory_gateway;
\endif
ALTER ROLE aifactory_gateway WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'gateway_password';

-- Tables in the public schema, which it may use and create in; the database stays the superuser's.
SELECT format('GRANT CONNECT ON DATABASE %I TO aifactory_gateway', current_database()) \gexec
GRANT USAGE, CREATE ON SCHEMA public TO aifactory_gateway;

-- Tables a gateway made while it still connected as the superuser become the role's.
SELECT format('ALTER TABLE public.%I OWNER TO aifactory_gateway', tablename)
FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'aifactory_gateway' \gexec
