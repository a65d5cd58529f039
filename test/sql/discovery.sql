-- Discovery: the marketplace and dmesh.search().
CREATE ROLE disc_team NOLOGIN;
CREATE ROLE disc_nobody LOGIN;
SELECT dmesh.create_domain('disc_fleet', 'disc_team', 'Vehicles and their trips') > 0 AS created;
SELECT dmesh.create_domain('disc_people', 'disc_team', 'Staff') > 0 AS created;
CREATE SCHEMA disc_src AUTHORIZATION disc_team;
SET ROLE disc_team;
CREATE TABLE disc_src.vehicles (plate text, model text, odometer_km int);
COMMENT ON COLUMN disc_src.vehicles.odometer_km IS 'Total distance on the mileage counter';
CREATE TABLE disc_src.drivers (id int, full_name text);
COMMENT ON COLUMN disc_src.drivers.full_name IS 'Legal name as on the licence';
SELECT dmesh.create_data_product('disc_fleet', 'vehicles', 'disc_src.vehicles',
       'Every vehicle of the fleet', tags => ARRAY['fleet', 'assets']) > 0 AS created;
SELECT dmesh.create_data_product('disc_fleet', 'vehicle_models',
       'SELECT model, count(*) AS vehicles FROM disc_src.vehicles GROUP BY model',
       'How many vehicles of each model') > 0 AS created;
SELECT dmesh.create_data_product('disc_people', 'drivers', 'disc_src.drivers',
       'People allowed to drive', tags => ARRAY['hr']) > 0 AS created;
SELECT dmesh.create_data_product('disc_people', 'draft_only', 'disc_src.drivers',
       'Licence data, never published') > 0 AS created;
SELECT dmesh.create_data_product('disc_people', 'gone', 'disc_src.drivers',
       'Licence data, retired') > 0 AS created;
SELECT dmesh.publish_data_product('disc_fleet.vehicles') IS NOT NULL AS published;
SELECT dmesh.publish_data_product('disc_fleet.vehicle_models') IS NOT NULL AS published;
SELECT dmesh.publish_data_product('disc_people.drivers') IS NOT NULL AS published;
SELECT dmesh.publish_data_product('disc_people.gone') IS NOT NULL AS published;
SELECT dmesh.retire_data_product('disc_people.gone');
SELECT dmesh.deprecate_data_product('disc_fleet.vehicle_models', 'Aggregate it yourself from disc_fleet.vehicles');
RESET ROLE;

-- Published and deprecated products only, with their columns; readable by
-- a role that has no grant at all.
SET ROLE disc_nobody;
SELECT domain, product, description, owner, status, tags, version, relation
  FROM dmesh.marketplace WHERE domain LIKE 'disc\_%' ORDER BY domain, product;
-- Its columns are one join away (the marketplace keeps no wide column).
SELECT jsonb_pretty(jsonb_agg(jsonb_build_object(
           'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
           'description', col_description(a.attrelid, a.attnum)) ORDER BY a.attnum))
  FROM dmesh.marketplace m
  JOIN pg_attribute a ON a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped
 WHERE m.product = 'vehicles';
SELECT deprecation_reason FROM dmesh.marketplace WHERE product = 'vehicle_models';
-- ... but not their data.
SELECT * FROM dmesh_disc_fleet.vehicles_v1;

-- Search finds a product from a word of one of its column comments,
-- whatever the word's form ...
SELECT domain, product FROM dmesh.search('mileage');
SELECT domain, product FROM dmesh.search('licences');
-- ... from its tags, its description, its domain, a column name ...
SELECT domain, product FROM dmesh.search('hr');
SELECT domain, product FROM dmesh.search('allowed');
SELECT domain, product FROM dmesh.search('disc_people');
SELECT domain, product FROM dmesh.search('odometer');
-- ... and never a draft or a retired product.
SELECT domain, product FROM dmesh.search('licence');
SELECT domain, product FROM dmesh.search('never published');
-- Ranking: the product named exactly like the query comes first.
SELECT domain, product, rank > 0 AS ranked FROM dmesh.search('vehicles');
SELECT (SELECT rank FROM dmesh.search('vehicles') WHERE product = 'vehicles')
     > (SELECT rank FROM dmesh.search('vehicles') WHERE product = 'vehicle_models') AS name_ranks_first;
-- Web-search syntax: OR, exclusion, phrases.
SELECT product FROM dmesh.search('mileage or licence') ORDER BY product;
SELECT product FROM dmesh.search('vehicles -counter');
SELECT product FROM dmesh.search('"legal name"');
-- No match, no lexeme, NULL: no rows, no noise.
SELECT count(*) FROM dmesh.search('submarine');
SELECT count(*) FROM dmesh.search('the');
SELECT count(*) FROM dmesh.search(NULL);
RESET ROLE;

-- The marketplace follows the contract: a new source column shows once a
-- contract version publishes it.
ALTER TABLE disc_src.vehicles ADD COLUMN fuel text;
COMMENT ON COLUMN disc_src.vehicles.fuel IS 'Diesel, petrol or electric';
SELECT product FROM dmesh.search('electric');
SET ROLE disc_team;
SELECT dmesh.set_contract('disc_fleet.vehicles',
       jsonb_set(dmesh.derive_contract('disc_fleet.vehicles'), '{version}', '"1.1.0"')) > 0 AS contract_set;
RESET ROLE;
SELECT m.version, a.attname AS name, col_description(a.attrelid, a.attnum) AS description
  FROM dmesh.marketplace m
  JOIN pg_attribute a ON a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped
 WHERE m.product = 'vehicles' ORDER BY a.attnum;
SELECT product FROM dmesh.search('electric');

-- Search reads the contract too: its purpose, usage and limitations, and
-- its properties' descriptions and business names.
SELECT product FROM dmesh.search('maintenance');
SELECT product FROM dmesh.search('reading');
SET ROLE disc_team;
SELECT dmesh.set_contract('disc_fleet.vehicles', jsonb_set(jsonb_set(
       jsonb_set(dmesh.derive_contract('disc_fleet.vehicles'), '{version}', '"1.2.0"'),
       '{description,usage}', '"Plan the maintenance of the fleet"'),
       '{schema,0,properties,2,businessName}', '"Odometer reading"')) > 0 AS contract_set;
RESET ROLE;
SELECT product, version, contract_status FROM dmesh.search('maintenance');
SELECT product FROM dmesh.search('reading');

-- search() returns the marketplace's columns, after its rank.
SELECT (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
         WHERE attrelid = 'dmesh.marketplace'::regclass AND attnum > 0 AND NOT attisdropped)
     = (SELECT (proargnames)[3:] FROM pg_proc WHERE oid = 'dmesh.search(text)'::regprocedure)
       AS same_columns;
