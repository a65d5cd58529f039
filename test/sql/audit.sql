-- Audit: DDL on a product's source or published relation lands in
-- dmesh.event_log (action 'ddl') with the role, the time, the command tag,
-- the relation and the objects changed; DDL on other relations does not;
-- a rolled-back command leaves nothing; dmesh's own DDL is not doubled.
CREATE ROLE aud_team NOLOGIN;
CREATE ROLE aud_dev NOLOGIN IN ROLE aud_team;
SELECT dmesh.create_domain('audit', 'aud_team') > 0 AS created;
CREATE SCHEMA aud_src AUTHORIZATION aud_team;
SET ROLE aud_team;
CREATE TABLE aud_src.orders (id int PRIMARY KEY, amount numeric);
CREATE TABLE aud_src.draft_src (id int);
CREATE TABLE aud_src.other (id int);
SELECT dmesh.create_data_product('audit', 'ledger', 'aud_src.orders', 'Ledger') > 0 AS created;
SELECT dmesh.create_data_product('audit', 'draft', 'aud_src.draft_src') > 0 AS created;
SELECT dmesh.publish_data_product('audit.ledger');
RESET ROLE;
SELECT count(*) AS ddl_events_so_far FROM dmesh.event_log WHERE action = 'ddl' AND object_identity LIKE 'audit.%';

SET ROLE aud_dev;
CREATE INDEX orders_amount_idx ON aud_src.orders (amount);
ALTER TABLE aud_src.orders ALTER COLUMN amount SET STATISTICS 500;
COMMENT ON COLUMN aud_src.orders.amount IS 'Amount in euros';
CREATE TRIGGER orders_noop BEFORE UPDATE ON aud_src.orders FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
ALTER INDEX aud_src.orders_amount_idx SET (fillfactor = 80);
GRANT SELECT ON aud_src.orders TO aud_dev;
COMMENT ON VIEW dmesh_audit.ledger_v1 IS 'Orders, published';
-- Not a product's: not audited.
CREATE INDEX ON aud_src.other (id);
COMMENT ON TABLE aud_src.other IS 'nothing to do with products';
-- Rolled back: nothing stays.
BEGIN;
ALTER TABLE aud_src.orders ALTER COLUMN id SET STATISTICS 50;
ROLLBACK;
-- A draft's source dropped.
DROP TABLE aud_src.draft_src;
RESET ROLE;

SELECT role_name, object_type, object_identity, details->>'command_tag' AS tag,
       details->>'relation' AS relation, details->>'relation_is' AS relation_is,
       (SELECT string_agg(o->>'object_type' || ' ' || (o->>'object_identity'), ', ')
          FROM jsonb_array_elements(details->'objects') o) AS objects,
       details->>'dropped' AS dropped
  FROM dmesh.event_log WHERE action = 'ddl' AND object_identity LIKE 'audit.%' ORDER BY event_id;
SELECT details->>'statement' AS statement FROM dmesh.event_log
 WHERE action = 'ddl' AND details->>'command_tag' = 'CREATE TRIGGER';
-- Publishing again (dmesh's own DDL) adds no ddl event.
SET ROLE aud_team;
SELECT dmesh.set_contract('audit.ledger',
         jsonb_set(dmesh.derive_contract('audit.ledger'), '{version}', '"1.1.0"')) > 0 AS set;
RESET ROLE;
SELECT action, count(*) FROM dmesh.event_log
 WHERE object_identity = 'audit.ledger' AND event_id > (SELECT max(event_id) FROM dmesh.event_log WHERE action = 'ddl')
 GROUP BY action ORDER BY action;
