-- Lifecycle: draft -> published -> deprecated -> retired, republishing,
-- illegal transitions, and what each step leaves in the catalog.
CREATE ROLE life_team NOLOGIN;
CREATE ROLE life_dev LOGIN IN ROLE life_team;
SELECT dmesh.create_domain('life', 'life_team') > 0 AS created;
CREATE SCHEMA life_src AUTHORIZATION life_team;
SET ROLE life_team;
CREATE TABLE life_src.trips (id int PRIMARY KEY, city text, km numeric);
COMMENT ON COLUMN life_src.trips.city IS 'City where the trip started';
INSERT INTO life_src.trips VALUES (1, 'Lyon', 12.5), (2, 'Oslo', 3);
RESET ROLE;

SET ROLE life_dev;
SELECT dmesh.create_data_product('life', 'trips', 'life_src.trips', 'Trips taken') > 0 AS created;

-- Publish: the view exists, is owned by the product owner, carries the
-- version in its comment and the source's column comments.
SELECT dmesh.publish_data_product('life.trips');
SELECT dmesh.product_relation('life.trips');
SELECT * FROM dmesh_life.trips_v1 ORDER BY id;
RESET ROLE;
SELECT c.relkind, c.relowner::regrole, obj_description(c.oid, 'pg_class') AS comment,
       col_description(c.oid, 2) AS city_comment
  FROM pg_class c WHERE c.oid = 'dmesh_life.trips_v1'::regclass;
SELECT o.major, o.version, o.relation_name, o.status, o.retired_at IS NULL AS live
  FROM dmesh.output_port o JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'trips';
SELECT status, published_at IS NOT NULL AS has_published_at FROM dmesh.data_product WHERE name = 'trips';

-- The published relation follows the contract, not the source: a new
-- source column appears once a contract version includes it.
ALTER TABLE life_src.trips ADD COLUMN driver text;
SET ROLE life_dev;
SELECT dmesh.publish_data_product('life.trips');
SELECT * FROM dmesh_life.trips_v1 ORDER BY id;
SELECT dmesh.set_contract('life.trips',
       jsonb_set(dmesh.derive_contract('life.trips'), '{version}', '"1.1.0"')) > 0 AS contract_set;
SELECT * FROM dmesh_life.trips_v1 ORDER BY id;
RESET ROLE;

-- A change that would break the contract is refused (the DDL gate).
ALTER TABLE life_src.trips RENAME COLUMN driver TO chauffeur;

-- Deprecation: still queryable, reason and sunset recorded, comment says so.
SET ROLE life_dev;
SELECT dmesh.deprecate_data_product('life.trips', '   ');
SELECT dmesh.deprecate_data_product('life.trips', 'Use life.journeys', '2000-01-01');
SELECT dmesh.deprecate_data_product('life.trips', 'Use life.journeys', 'infinity');
SELECT dmesh.deprecate_data_product('life.trips', 'Use life.journeys', '2999-12-31');
SELECT count(*) FROM dmesh_life.trips_v1;
SELECT dmesh.product_relation('life.trips');
SELECT dmesh.deprecate_data_product('life.trips', 'again');
RESET ROLE;
SELECT status, deprecation_reason, sunset, deprecated_at IS NOT NULL AS has_deprecated_at
  FROM dmesh.data_product WHERE name = 'trips';
SELECT o.status FROM dmesh.output_port o JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'trips';
SELECT obj_description('dmesh_life.trips_v1'::regclass, 'pg_class');

-- Publishing a deprecated product undoes the deprecation.
SET ROLE life_dev;
SELECT dmesh.publish_data_product('life.trips');
RESET ROLE;
SELECT status, deprecation_reason, sunset FROM dmesh.data_product WHERE name = 'trips';
SELECT o.status FROM dmesh.output_port o JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'trips';

-- Retirement is refused while other objects depend on the published view.
CREATE VIEW public.life_report AS SELECT count(*) FROM dmesh_life.trips_v1;
SET ROLE life_dev;
SELECT dmesh.retire_data_product('life.trips');
RESET ROLE;
SELECT count(*) AS still_there FROM pg_class WHERE oid = 'dmesh_life.trips_v1'::regclass;
DROP VIEW public.life_report;

-- Retirement drops the view and keeps the history.
SET ROLE life_dev;
SELECT dmesh.retire_data_product('life.trips');
RESET ROLE;
SELECT to_regclass('dmesh_life.trips_v1') AS relation;
SELECT status, retired_at IS NOT NULL AS has_retired_at FROM dmesh.data_product WHERE name = 'trips';
SELECT o.status, o.relation_name, o.retired_at IS NOT NULL AS has_retired_at
  FROM dmesh.output_port o JOIN dmesh.data_product USING (product_id) WHERE name = 'trips';
SELECT count(*) AS source_rows FROM life_src.trips;

-- Retired is final.
SET ROLE life_dev;
SELECT dmesh.publish_data_product('life.trips');
SELECT dmesh.deprecate_data_product('life.trips', 'too late');
SELECT dmesh.retire_data_product('life.trips');
SELECT dmesh.product_relation('life.trips');
RESET ROLE;

-- A draft can be retired directly, but not deprecated.
SET ROLE life_dev;
SELECT dmesh.create_data_product('life', 'sketch', 'SELECT id FROM life_src.trips') > 0 AS created;
SELECT dmesh.deprecate_data_product('life.sketch', 'never used');
SELECT dmesh.retire_data_product('life.sketch');
RESET ROLE;
SELECT status FROM dmesh.data_product WHERE name = 'sketch';

-- The event log tells the whole story, in order.
SELECT role_name, session_role = session_user AS session_recorded, action, object_type,
       object_identity, details - 'relation' AS details, details->>'relation' AS relation
  FROM dmesh.event_log WHERE object_identity LIKE 'life.%' ORDER BY event_id;

-- A publication that fails leaves nothing behind: the relation,
-- the port and the status stay as they were.
SET ROLE life_dev;
SELECT dmesh.create_data_product('life', 'partial', 'life_src.trips') > 0 AS created;
RESET ROLE;
REVOKE SELECT ON life_src.trips FROM life_team;
SET ROLE life_dev;
SELECT dmesh.publish_data_product('life.partial');
RESET ROLE;
GRANT SELECT ON life_src.trips TO life_team;
SELECT status FROM dmesh.data_product WHERE name = 'partial';
SELECT count(*) AS ports FROM dmesh.output_port JOIN dmesh.data_product USING (product_id) WHERE name = 'partial';
SELECT to_regclass('dmesh_life.partial_v1') AS relation;
SELECT count(*) AS events FROM dmesh.event_log WHERE object_identity = 'life.partial' AND action NOT IN ('create_data_product', 'ddl');

-- A source dropped while the product was a draft is reported at publication.
CREATE TABLE life_src.scratch (x int);
ALTER TABLE life_src.scratch OWNER TO life_team;
SET ROLE life_dev;
SELECT dmesh.create_data_product('life', 'scratch', 'life_src.scratch') > 0 AS created;
DROP TABLE life_src.scratch;
SELECT dmesh.publish_data_product('life.scratch');
RESET ROLE;
