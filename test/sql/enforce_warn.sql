-- Enforcement on write, warn mode: rows go through, each statement that
-- breaks rules warns once and its violations are counted per rule; a
-- statement that fails counts nothing.  Also: a contract change is seen
-- by the next statement (the compiled rules are invalidated), and
-- enforcement is kept across a new major version.
CREATE ROLE ewarn_team NOLOGIN;
SELECT dmesh.create_domain('ewarn', 'ewarn_team') > 0 AS created;
CREATE SCHEMA ewarn_src AUTHORIZATION ewarn_team;
SET ROLE ewarn_team;
CREATE TABLE ewarn_src.events (kind text, payload text, size integer);
SELECT dmesh.create_data_product('ewarn', 'events', 'ewarn_src.events', 'Events',
    contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: ewarn-events
version: 1.0.0
status: active
schema:
  - name: events
    properties:
      - name: kind
        logicalType: string
        quality:
          - {metric: missingValues, arguments: {missingValues: [null, '', 'n/a']}, mustBe: 0}
      - name: payload
        logicalType: string
        logicalTypeOptions: {minLength: 2}
      - name: size
        logicalType: integer
        logicalTypeOptions: {exclusiveMaximum: 1000}
$y$) > 0 AS created;
SELECT * FROM dmesh.enforce_contract('ewarn.events', 'warn');

INSERT INTO ewarn_src.events VALUES ('click', 'ab', 10), ('', 'a', 1000), ('n/a', 'ok', 5), (NULL, 'x', 2000);
INSERT INTO ewarn_src.events VALUES ('click', 'abc', 999);
SELECT count(*) AS written FROM ewarn_src.events;
SELECT rule, property, mode, violations FROM dmesh.rule_violation v
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'events' ORDER BY property, rule;

-- A failing statement counts nothing, even where rows broke rules first.
INSERT INTO ewarn_src.events SELECT 'k', 'p', g FROM generate_series(1, 3) g UNION ALL SELECT 'k', 'pp', 1 / 0;
BEGIN;
SAVEPOINT s;
INSERT INTO ewarn_src.events SELECT '', 'pp', 1 / (g - 3) FROM generate_series(1, 3) g;
ROLLBACK TO s;
INSERT INTO ewarn_src.events VALUES ('', 'pp', 1);
COMMIT;
SELECT rule, property, violations FROM dmesh.rule_violation v
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'events' ORDER BY property, rule;

-- A new contract version is enforced from the next statement on.
SELECT dmesh.set_contract('ewarn.events', $y$
apiVersion: v3.1.0
kind: DataContract
id: ewarn-events
version: 1.1.0
status: active
schema:
  - name: events
    properties:
      - name: kind
        logicalType: string
        quality:
          - {metric: missingValues, arguments: {missingValues: [null, '', 'n/a']}, mustBe: 0}
      - name: payload
        logicalType: string
        logicalTypeOptions: {minLength: 1}
      - name: size
        logicalType: integer
        logicalTypeOptions: {exclusiveMaximum: 1000}
$y$) > 0 AS set;
INSERT INTO ewarn_src.events VALUES ('click', 'a', 1);
SELECT contract_version, rule, violations FROM dmesh.rule_violation v
  JOIN dmesh.data_product p USING (product_id) WHERE p.name = 'events' AND rule = 'minLength';
-- Within one transaction too: the change is seen by the next statement.
BEGIN;
SELECT dmesh.set_contract('ewarn.events', jsonb_set(document, '{version}', '"1.2.0"')
           #- '{schema,0,properties,2,logicalTypeOptions}') > 0 AS set
  FROM dmesh.contract k JOIN dmesh.data_product p USING (product_id)
 WHERE p.name = 'events' AND k.version = '1.1.0';
INSERT INTO ewarn_src.events VALUES ('click', 'ab', 5000);
COMMIT;
SELECT count(*) AS big_rows FROM ewarn_src.events WHERE size = 5000;
RESET ROLE;
