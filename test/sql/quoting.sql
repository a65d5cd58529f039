-- Names that need quoting work end to end: domains, products, roles,
-- schemas, tables and columns with upper case, spaces, quotes and dots in
-- SQL identifiers.
CREATE ROLE "Quote Team" NOLOGIN;
CREATE ROLE "quote ""dev""" LOGIN IN ROLE "Quote Team";
CREATE ROLE "Quote.Reader" LOGIN;
CREATE SCHEMA "Quote Src" AUTHORIZATION "Quote Team";
SET ROLE "Quote Team";
CREATE TABLE "Quote Src"."Order ""Lines""" ("Line Id" int, "unit.price" numeric, "Note;--" text);
COMMENT ON COLUMN "Quote Src"."Order ""Lines"""."unit.price" IS 'Price of one Unit';
INSERT INTO "Quote Src"."Order ""Lines""" VALUES (1, 9.5, 'fragile');
RESET ROLE;

SELECT dmesh.create_domain('Quote "Domain"''s', '"Quote Team"') > 0 AS created;
SET ROLE "quote ""dev""";
SELECT dmesh.create_data_product('Quote "Domain"''s', 'Order Lines',
    '"Quote Src"."Order ""Lines"""', 'Lines of "orders"', tags => ARRAY['It''s', 'UPPER']) > 0 AS created;
SELECT dmesh.create_data_product('Quote "Domain"''s', 'Priced Lines',
    'SELECT "Line Id", "unit.price" * 2 AS "Double Price" FROM "Quote Src"."Order ""Lines"""') > 0 AS created;
SELECT dmesh.publish_data_product('Quote "Domain"''s.Order Lines');
SELECT dmesh.publish_data_product('Quote "Domain"''s.Priced Lines');
SELECT dmesh.grant_access('Quote "Domain"''s.Order Lines', '"Quote.Reader"') > 0 AS granted;
RESET ROLE;

SELECT name, schema_name FROM dmesh.domain WHERE name LIKE 'Quote%';
SELECT product, owner, tags, relation,
       (SELECT jsonb_agg(jsonb_build_object(
                   'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                   'description', col_description(a.attrelid, a.attnum)) ORDER BY a.attnum)
          FROM pg_attribute a
         WHERE a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped) AS columns
  FROM dmesh.marketplace m
 WHERE domain = 'Quote "Domain"''s' ORDER BY product;
SELECT dmesh.product_relation('Quote "Domain"''s.Order Lines');

-- The consumer reads the quoted relation, with its quoted columns.
SET ROLE "Quote.Reader";
SELECT "Line Id", "unit.price", "Note;--" FROM "dmesh_Quote ""Domain""'s"."Order Lines_v1";
SELECT * FROM "dmesh_Quote ""Domain""'s"."Priced Lines_v1";
RESET ROLE;

-- Names are case-sensitive: another case is another (unknown) product.
SELECT dmesh.product_relation('quote "domain"''s.order lines');
SELECT dmesh.product_relation('Quote "Domain"''s.order lines');

-- The event log keeps the names as given.
SELECT role_name, action, object_identity, details->>'consumer' AS consumer
  FROM dmesh.event_log WHERE object_identity LIKE 'Quote%' AND action <> 'create_domain'
 ORDER BY event_id;

SET ROLE "quote ""dev""";
SELECT dmesh.retire_data_product('Quote "Domain"''s.Priced Lines');
RESET ROLE;
SELECT to_regclass('"dmesh_Quote ""Domain""''s"."Priced Lines_v1"') AS dropped;
