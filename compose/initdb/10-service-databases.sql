-- Run by the postgres image's entrypoint (as POSTGRES_USER = $PG_SUPERUSER) the first time the
-- data volume is initialised: one database per service, owned by that superuser. Each service
-- applies its own migrations at start. Idempotent: databases that exist are left alone.
SELECT format('CREATE DATABASE %I', db)
FROM unnest(ARRAY['auth', 'users', 'products', 'cart', 'orders', 'stock', 'shipping', 'notification']) AS db
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = db)
\gexec
