-- Masking by classification: masking policies map a classification to a
-- mask (hash, redact, partial, null) for the mesh, a domain or a product,
-- the narrowest scope winning.  Consumers see masks unless their agreement
-- unmasks the column; the owner sees clear values; masked columns keep
-- their type; a hash is the same for the same value (joins work).
CREATE ROLE gmask_team NOLOGIN;
CREATE ROLE gmask_reader NOLOGIN;
CREATE ROLE gmask_auditor NOLOGIN;
SELECT dmesh.create_domain('gmask', 'gmask_team') > 0 AS created;
CREATE SCHEMA gmask_src AUTHORIZATION gmask_team;
SET ROLE gmask_team;
CREATE TABLE gmask_src.people (
    id     int PRIMARY KEY,
    email  varchar(40) NOT NULL,
    phone  text,
    salary numeric(10,2),
    badge  bigint,
    note   char(6));
INSERT INTO gmask_src.people VALUES
  (1, 'ann@example.org', '+31 6 1234 5678', 5000, 900001, 'vip'),
  (2, 'bob@example.org', '+31 6 8765 4321', 4000, 900002, NULL),
  (3, 'ann@example.org', NULL, 4500, 900001, 'x');
SELECT dmesh.create_data_product('gmask', 'people', 'gmask_src.people', 'People', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: gmask-people
version: 1.0.0
status: active
schema:
  - name: people
    properties:
      - {name: id, logicalType: integer}
      - {name: email, logicalType: string, classification: pii}
      - {name: phone, logicalType: string, classification: phone}
      - {name: salary, logicalType: number, classification: confidential}
      - {name: badge, logicalType: integer, classification: pii}
      - {name: note, logicalType: string, classification: internal}
$y$) > 0 AS created;
SELECT dmesh.publish_data_product('gmask.people');
SELECT dmesh.grant_access('gmask.people', 'gmask_reader') > 0 AS granted;
SELECT dmesh.grant_access('gmask.people', 'gmask_auditor', unmask => ARRAY['email', 'salary']) > 0 AS granted;
RESET ROLE;

-- Policies: only superusers govern the whole mesh; rules are checked.
SELECT dmesh.create_policy('gmask pii', 'masking', '{"classification": "pii", "mask": "hash"}') > 0 AS created;
SELECT dmesh.create_policy('gmask conf', 'masking', '{"classification": "confidential", "mask": "redact"}') > 0 AS created;
SET ROLE gmask_team;
SELECT dmesh.create_policy('gmask mine', 'masking', '{"classification": "internal", "mask": "null"}');
SELECT dmesh.create_policy('gmask phone', 'masking', '{"classification": "phone", "mask": "partial", "keep": 4}',
                           'domain:gmask') > 0 AS created;
SELECT dmesh.create_policy('gmask note', 'masking', '{"classification": "internal", "mask": "null"}',
                           'product:gmask.people') > 0 AS created;
SELECT dmesh.create_policy('gmask bad1', 'masking', '{"classification": "pii", "mask": "scramble"}', 'domain:gmask');
SELECT dmesh.create_policy('gmask bad2', 'masking', '{"classification": "pii", "mask": "hash", "salt": "x"}', 'domain:gmask');
SELECT dmesh.create_policy('gmask bad3', 'masking', '{"classification": "pii", "mask": "partial"}', 'domain:gmask');
SELECT dmesh.create_policy('gmask bad4', 'masking', '{"mask": "hash"}', 'domain:gmask');
SELECT dmesh.create_policy('gmask bad5', 'colour', '{}', 'domain:gmask');
SELECT dmesh.create_policy('gmask bad6', 'masking', '{"classification": "pii", "mask": "hash"}', 'galaxy');
SELECT dmesh.create_policy('gmask phone', 'masking', '{"classification": "x", "mask": "null"}', 'domain:gmask');
RESET ROLE;
SELECT domain, product, property, classification, policy, mask FROM dmesh.masking
 WHERE domain = 'gmask' ORDER BY property;

-- The owner sees clear values.
SET ROLE gmask_team;
SELECT * FROM dmesh_gmask.people_v1 ORDER BY id;
RESET ROLE;
-- A consumer sees masks: same type, same hash for the same value.
SET ROLE gmask_reader;
SELECT id, length(email) AS email_len, email = (SELECT email FROM dmesh_gmask.people_v1 WHERE id = 3) AS same_as_3,
       email LIKE '%@%' AS looks_clear, phone, salary, badge <> 900001 AS badge_masked, note
  FROM dmesh_gmask.people_v1 ORDER BY id;
SELECT count(DISTINCT badge) AS badges FROM dmesh_gmask.people_v1;
RESET ROLE;
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'dmesh_gmask.people_v1'::regclass AND attnum > 0 ORDER BY attnum;
-- An agreement that unmasks columns sees those in clear, the others masked.
SET ROLE gmask_auditor;
SELECT id, email, salary, phone FROM dmesh_gmask.people_v1 ORDER BY id;
RESET ROLE;

-- Dropping a policy unmasks at once; the narrowest scope wins.
SET ROLE gmask_team;
SELECT dmesh.drop_policy('gmask note');
RESET ROLE;
SET ROLE gmask_reader;
SELECT id, note, phone FROM dmesh_gmask.people_v1 ORDER BY id;
RESET ROLE;
SELECT dmesh.create_policy('gmask mesh phone', 'masking', '{"classification": "phone", "mask": "null"}') > 0 AS created;
SET ROLE gmask_reader;
SELECT id, phone FROM dmesh_gmask.people_v1 ORDER BY id;
RESET ROLE;
SELECT action, object_identity FROM dmesh.event_log WHERE object_type = 'policy'
   AND object_identity LIKE 'gmask%' ORDER BY event_id;
-- The key behind hashes is not readable by consumers.
SET ROLE gmask_reader;
SELECT * FROM dmesh.mesh_secret;
RESET ROLE;
SELECT dmesh.drop_policy('gmask mesh phone');
SELECT dmesh.drop_policy('gmask pii');
SELECT dmesh.drop_policy('gmask conf');
-- Partial masks count characters, not bytes.
SELECT dmesh._mask('héllo wörld'::text, 3, 4, 0, '{}', '{}', '{}', '{}') AS multibyte,
       dmesh._mask('hello world'::text, 3, 4, 0, '{}', '{}', '{}', '{}') AS ascii,
       dmesh._mask('abc'::text, 3, 4, 0, '{}', '{}', '{}', '{}') AS short;
