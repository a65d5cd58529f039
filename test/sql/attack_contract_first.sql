-- Issue 14, contract-first creation seen by an attacker: a member of a
-- domain creates a product from a contract alone, its sources taken from
-- each object's physicalName or from sources => '{...}'.  The names are
-- resolved as the caller resolves them (its search_path, not dmesh's), and
-- the product's owner must be able to read each source: a contract cannot
-- publish a table its owner cannot read, nor find a name on dmesh's own
-- search_path.
\set VERBOSITY terse
CREATE ROLE atk14_team NOLOGIN;
CREATE ROLE atk14_dev LOGIN IN ROLE atk14_team;
CREATE ROLE atk14_victim NOLOGIN;
SELECT dmesh.create_domain('atk14', 'atk14_team') > 0 AS created;
CREATE SCHEMA atk14_vic AUTHORIZATION atk14_victim;
CREATE TABLE atk14_vic.secrets (id int, secret text);
ALTER TABLE atk14_vic.secrets OWNER TO atk14_victim;
INSERT INTO atk14_vic.secrets VALUES (1, 'the victim''s secret');
GRANT USAGE ON SCHEMA atk14_vic TO PUBLIC;  -- the schema is visible, the table is not granted
CREATE SCHEMA atk14_own AUTHORIZATION atk14_team;
CREATE TABLE atk14_own.orders (id int, amount numeric);
ALTER TABLE atk14_own.orders OWNER TO atk14_team;

SET ROLE atk14_dev;
-- 1. physicalName names the victim's table: refused, nothing created.
SELECT dmesh.create_data_product('atk14', 'steal1', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: steal1
version: 1.0.0
status: active
schema:
  - name: secrets
    physicalName: atk14_vic.secrets
    properties:
      - {name: id, logicalType: integer}
      - {name: secret, logicalType: string}
$y$);
-- 2. sources => maps an object to a query over it: refused.
SELECT dmesh.create_data_product('atk14', 'steal2', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: steal2
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer}
  - name: secrets
    properties:
      - {name: id, logicalType: integer}
      - {name: secret, logicalType: string}
$y$, sources => '{"orders": "atk14_own.orders", "secrets": "SELECT id, secret FROM atk14_vic.secrets"}');
-- 3. An unqualified physicalName is looked up on the caller's search_path,
-- never on dmesh's own (where event_log is dmesh.event_log).
SET search_path = public;
SELECT dmesh.create_data_product('atk14', 'steal3', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: steal3
version: 1.0.0
status: active
schema:
  - name: events
    physicalName: event_log
$y$);
-- ... and a system catalog the owner cannot read is refused like any
-- other table (dmesh reads pg_authid itself, as the extension owner).
SELECT dmesh.create_data_product('atk14', 'steal4', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: steal4
version: 1.0.0
status: active
schema:
  - name: roles
    physicalName: pg_catalog.pg_authid
$y$);
RESET search_path;
-- 4. The same contract shapes over the team's own table are accepted.
SELECT dmesh.create_data_product('atk14', 'own', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: own
version: 1.0.0
status: active
schema:
  - name: orders
    physicalName: atk14_own.orders
    properties:
      - {name: id, logicalType: integer}
      - {name: amount, logicalType: number}
$y$) > 0 AS created;
RESET ROLE;

-- Harm: no product reads the victim's table or a catalog, and none
-- of the refused products was left half made.
SELECT p.name, s.object, s.source_relation
FROM dmesh.data_product p JOIN dmesh.product_sources s USING (product_id)
JOIN dmesh.domain d USING (domain_id)
WHERE d.name = 'atk14' ORDER BY 1, 2;
SELECT count(*) AS relations_in_domain_schema
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'dmesh_atk14';

