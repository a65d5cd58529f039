-- dmesh.create_domain(): schema, ownership, privileges, events.
CREATE ROLE dom_team NOLOGIN;
CREATE ROLE dom_lead LOGIN IN ROLE dom_team;
CREATE ROLE dom_outsider LOGIN;
SELECT current_database() AS db \gset
GRANT CREATE ON DATABASE :"db" TO dom_lead;

-- A member of the owner role with CREATE on the database creates a domain.
SET ROLE dom_lead;
SELECT dmesh.create_domain('dom_sales', 'dom_team', 'Sales and orders') > 0 AS created;
-- The owner defaults to the caller.
SELECT dmesh.create_domain(name => 'dom_own') > 0 AS created;
RESET ROLE;

SELECT name, owner, description, schema_name FROM dmesh.domain
 WHERE name LIKE 'dom\_%' ORDER BY name;

-- The schema exists, belongs to the extension owner, is usable by every
-- role, and says what it is for.
SELECT n.nspname, n.nspowner = (SELECT extowner FROM pg_extension WHERE extname = 'dmesh') AS owned_by_dmesh,
       has_schema_privilege('dom_outsider', n.oid, 'USAGE') AS public_usage,
       has_schema_privilege('dom_lead', n.oid, 'CREATE') AS owner_can_create,
       obj_description(n.oid, 'pg_namespace')
  FROM pg_namespace n WHERE n.nspname IN ('dmesh_dom_sales', 'dmesh_dom_own') ORDER BY 1;

-- Each creation is in the event log.
SELECT role_name, action, object_type, object_identity, details
  FROM dmesh.event_log WHERE object_identity LIKE 'dom\_%' ORDER BY event_id;

-- Duplicates and schema collisions.
SELECT dmesh.create_domain('dom_sales', 'dom_team');
CREATE SCHEMA dmesh_dom_taken;
SELECT dmesh.create_domain('dom_taken', 'dom_team');
DROP SCHEMA dmesh_dom_taken;

-- A role that may not create schemas cannot create a domain.
SET ROLE dom_outsider;
SELECT dmesh.create_domain('dom_nope');
-- Nor give a domain to a role it is not a member of.
RESET ROLE;
GRANT CREATE ON DATABASE :"db" TO dom_outsider;
SET ROLE dom_outsider;
SELECT dmesh.create_domain('dom_nope', 'dom_team');
RESET ROLE;
REVOKE CREATE ON DATABASE :"db" FROM dom_outsider;

-- Bad names and missing values.
SELECT dmesh.create_domain('dom.dotted');
SELECT dmesh.create_domain('');
SELECT dmesh.create_domain('dom_trailing ');
SELECT dmesh.create_domain(E'dom_\ttab');
SELECT dmesh.create_domain(repeat('d', 51));
SELECT dmesh.create_domain(NULL);
SELECT dmesh.create_domain('dom_nullowner', NULL);
SELECT dmesh.create_domain('dom_x', 'no_such_role');

-- Nothing was left behind by the failures.
SELECT count(*) AS domains FROM dmesh.domain WHERE name LIKE 'dom\_%';
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'dmesh\_dom\_%' ORDER BY 1;

-- A 50-byte name is accepted (its schema name still fits).
SELECT dmesh.create_domain(repeat('d', 50), 'dom_team') > 0 AS created;
SELECT length(schema_name) FROM dmesh.domain WHERE name = repeat('d', 50);

-- Inside a transaction that rolls back, nothing remains.
BEGIN;
SELECT dmesh.create_domain('dom_rolled_back', 'dom_team') > 0 AS created;
ROLLBACK;
SELECT count(*) FROM dmesh.domain WHERE name = 'dom_rolled_back';
SELECT count(*) FROM pg_namespace WHERE nspname = 'dmesh_dom_rolled_back';

REVOKE CREATE ON DATABASE :"db" FROM dom_lead;
