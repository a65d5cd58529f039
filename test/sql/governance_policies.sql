-- Publish policies as code: named checks, a minimum number of quality
-- rules, and boolean expressions over dmesh.product_metadata; refused when
-- malformed; an "enforce" policy blocks publication listing every failing
-- policy, a "warn" policy records the failure; dmesh.compliance is always
-- current.
CREATE ROLE gpol_team NOLOGIN;
CREATE ROLE gpol_other NOLOGIN;
SELECT dmesh.create_domain('gpol', 'gpol_team') > 0 AS created;
CREATE SCHEMA gpol_src AUTHORIZATION gpol_team;
SET ROLE gpol_team;
CREATE TABLE gpol_src.clients (id int PRIMARY KEY, email text NOT NULL, city text);
INSERT INTO gpol_src.clients VALUES (1, 'a@example.org', 'Lyon');
SELECT dmesh.create_data_product('gpol', 'clients', 'gpol_src.clients', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: gpol-clients
version: 1.0.0
status: active
schema:
  - name: clients
    properties:
      - {name: id, logicalType: integer}
      - {name: email, logicalType: string, classification: pii}
      - {name: city, logicalType: string}
$y$) > 0 AS created;

-- Malformed rules are refused when the policy is created.
SELECT dmesh.create_policy('gpol x1', 'publish', '{"require": ["has_description", "has_colour"]}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x2', 'publish', '{"require": []}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x3', 'publish', '{"min_quality_rules": -1}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x4', 'publish', '{"max_cost": 3}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x5', 'publish', '{}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x6', 'publish', '{"sql": "properties > (SELECT 1)"}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x7', 'publish', '{"sql": "random() > 0.5"}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x8', 'publish', '{"sql": "nonsense_column"}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x9', 'publish', '{"sql": "true); DROP TABLE gpol_src.clients; SELECT (true"}', 'domain:gpol');
SELECT dmesh.create_policy('gpol x10', 'publish', '{"require": ["has_owner"]}', 'product:gpol.clients', 'maybe');
SELECT count(*) AS policies FROM dmesh.policy WHERE name LIKE 'gpol x%';

-- Good policies for the domain: two enforced, one warning.
SELECT dmesh.create_policy('gpol documented', 'publish',
       '{"require": ["has_description", "has_purpose", "has_owner"]}', 'domain:gpol') > 0 AS created;
SELECT dmesh.create_policy('gpol masked', 'publish', '{"require": ["pii_masked"], "min_quality_rules": 1}',
       'domain:gpol') > 0 AS created;
SELECT dmesh.create_policy('gpol small', 'publish', '{"sql": "m.properties <= 3 AND ''gold'' = ANY (m.tags)"}',
       'domain:gpol', 'warn') > 0 AS created;
SELECT policy, enforcement, passed, reason FROM dmesh.compliance WHERE domain = 'gpol' ORDER BY policy;

-- Publishing is refused, naming every failing policy.
SELECT dmesh.publish_data_product('gpol.clients');
SELECT status FROM dmesh.data_product WHERE name = 'clients';
RESET ROLE;

-- Fix what the policies ask for: a description, a purpose, a rule, a mask.
SET ROLE gpol_team;
SELECT dmesh.create_policy('gpol pii hash', 'masking', '{"classification": "pii", "mask": "hash"}', 'domain:gpol') > 0 AS created;
SELECT dmesh.set_contract('gpol.clients', $y$
apiVersion: v3.1.0
kind: DataContract
id: gpol-clients
version: 1.1.0
status: active
description: {purpose: Clients of the shop}
schema:
  - name: clients
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: email, logicalType: string, classification: pii}
      - {name: city, logicalType: string}
$y$) > 0 AS set;
RESET ROLE;
UPDATE dmesh.data_product SET description = 'Clients' WHERE name = 'clients'
   AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'gpol');
SET ROLE gpol_team;
SELECT policy, passed, reason FROM dmesh.compliance WHERE domain = 'gpol' ORDER BY policy;
-- Now it publishes; the warn policy is reported and recorded.
SELECT dmesh.publish_data_product('gpol.clients') IS NOT NULL AS published;
SELECT details->>'policy' AS policy, details->>'reason' AS reason FROM dmesh.event_log
 WHERE action = 'policy_violation' AND object_identity = 'gpol.clients';
-- Compliance is evaluated at query time: a change shows at once.
SELECT dmesh.drop_policy('gpol pii hash');
SELECT policy, passed, reason FROM dmesh.compliance WHERE domain = 'gpol' AND policy = 'gpol masked';
RESET ROLE;
-- Only what one governs: another role cannot add or drop the domain's policies.
SET ROLE gpol_other;
SELECT dmesh.create_policy('gpol intruder', 'publish', '{"require": ["has_owner"]}', 'domain:gpol');
SELECT dmesh.drop_policy('gpol documented');
RESET ROLE;
SET ROLE gpol_team;
SELECT dmesh.drop_policy('gpol documented');
SELECT dmesh.drop_policy('gpol masked');
SELECT dmesh.drop_policy('gpol small');
RESET ROLE;

-- A new contract version republishes a live product: the policies apply.
SET ROLE gpol_team;
SELECT dmesh.create_policy('gpol purpose', 'publish', '{"require": ["has_purpose"]}', 'product:gpol.clients') > 0 AS created;
SELECT dmesh.set_contract('gpol.clients', $y$
apiVersion: v3.1.0
kind: DataContract
id: gpol-clients
version: 1.2.0
status: active
schema:
  - name: clients
    properties:
      - {name: id, logicalType: integer, required: true}
      - {name: email, logicalType: string, classification: pii}
      - {name: city, logicalType: string}
$y$);
SELECT version FROM dmesh.data_product WHERE name = 'clients'
   AND domain_id = (SELECT domain_id FROM dmesh.domain WHERE name = 'gpol');
SELECT dmesh.drop_policy('gpol purpose');
RESET ROLE;
