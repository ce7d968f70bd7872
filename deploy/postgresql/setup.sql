-- Masthead's role and database. Run once as the postgres superuser:
--   sudo -u postgres psql -v password="'a-long-random-password'" -f deploy/postgresql/setup.sql
-- Masthead needs no extension: search uses PostgreSQL's built-in full-text search (tsvector,
-- GIN index), created by `masthead migrate`. pg_stat_statements is recommended for operators.
CREATE ROLE masthead LOGIN PASSWORD :password;
CREATE DATABASE masthead OWNER masthead ENCODING 'UTF8' TEMPLATE template0;
\connect masthead
-- Only the owner may create objects in the public schema (PostgreSQL >= 15 does this already).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO masthead;
-- Statement statistics for tuning (needs shared_preload_libraries, see masthead.conf).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
