-- Quality checks, text constraints from logicalTypeOptions: minLength and
-- maxLength counted in characters (multibyte text, char padding), pattern
-- (a PostgreSQL regular expression, unanchored like ~), format email, uuid
-- and uri (none needed on a uuid column); the rules of a new contract
-- version replace the old ones.
CREATE ROLE qtext_team NOLOGIN;
SELECT dmesh.create_domain('qtext', 'qtext_team') > 0 AS created;
CREATE SCHEMA qtext_src AUTHORIZATION qtext_team;
SET ROLE qtext_team;
CREATE TABLE qtext_src.users (
    id      integer,
    login   text,
    code    char(4),
    sku     text,
    tri     text,
    email   text,
    ref     text,
    ref_id  uuid,
    site    text);
INSERT INTO qtext_src.users VALUES
    (1, 'ann',       'AB',   'AB-123',    '日本語', 'ann@example.org',  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', gen_random_uuid(), 'https://example.org/x'),
    (2, 'bo',        'ABC',  'X12',       'abc',   'not-an-email',     'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', gen_random_uuid(), 'mailto:ann@example.org'),
    (3, 'Zoë',       'ABCD', '1234',      'ab',    'a b@example.org',  'a0eebc99',                             gen_random_uuid(), 'urn:isbn:0451450523'),
    (4, 'Jürgen',    NULL,   NULL,        'äöüß',  'two@@example.org', 'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL,              'example.org'),
    (5, 'ÉÉÉÉÉÉÉÉ',  'A',    'no digits', NULL,    'x@y.z',            NULL,                                   gen_random_uuid(), 'http://exa mple.org'),
    (6, '日本語',    'AB',   '987',       'xyz',   NULL,               'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', gen_random_uuid(), NULL),
    (7, 'abcdefghi', 'ABC',  '555',       'a c',   'ann@example.org',  NULL,                                   NULL,              'ftp://files.example.org'),
    (8, '',          NULL,   NULL,        NULL,    NULL,               NULL,                                   NULL,              NULL),
    (9, NULL,        NULL,   NULL,        NULL,    NULL,               NULL,                                   NULL,              NULL);

CREATE TEMP TABLE base AS SELECT dmesh.yaml_to_jsonb($y$
apiVersion: v3.1.0
kind: DataContract
id: qtext-users
version: 1.0.0
status: active
schema:
  - name: users
    properties:
      - {name: id, logicalType: integer}
      - {name: login, logicalType: string, logicalTypeOptions: {minLength: 3, maxLength: 8}}
      - {name: code, logicalType: string, logicalTypeOptions: {minLength: 2, maxLength: 3}}
      - {name: sku, logicalType: string, logicalTypeOptions: {pattern: '[0-9]{3}'}}
      - {name: tri, logicalType: string, logicalTypeOptions: {pattern: '^.{3}$'}}
      - {name: email, logicalType: string, logicalTypeOptions: {format: email}}
      - {name: ref, logicalType: string, logicalTypeOptions: {format: uuid}}
      - {name: ref_id, logicalType: string, logicalTypeOptions: {format: uuid}}
      - {name: site, logicalType: string, logicalTypeOptions: {format: uri}}
$y$) AS doc;
SELECT dmesh.create_data_product('qtext', 'users', 'qtext_src.users',
       contract => (SELECT doc::text FROM base)) > 0 AS created;

-- login: 'bo' and '' are shorter than 3 characters; only 'abcdefghi' is
-- longer than 8 ('ÉÉÉÉÉÉÉÉ' is 8 characters in 16 bytes, '日本語' 3 in 9).
-- code (char(4), lengths without the padding, like char_length): 'A' is
-- too short, 'ABCD' too long.  sku: 'X12' and 'no digits' have no run of
-- 3 digits ('1234' has one).  tri: exactly 3 characters, so 'ab' and
-- 'äöüß' break it, '日本語' and 'a c' do not.  email: 'not-an-email',
-- 'a b@example.org', 'two@@example.org'.  ref: 'a0eebc99' and the one
-- with a g (upper case is fine).  ref_id is a uuid column: no format rule.
-- site: 'example.org' (no scheme) and 'http://exa mple.org' (a space).
-- NULL breaks none of these rules.
SELECT * FROM dmesh.check_product('qtext.users');

-- The rules follow the active contract: version 1.1.0 allows logins of 2
-- to 9 characters and drops the format of site.
SELECT dmesh.set_contract('qtext.users', jsonb_set(jsonb_set(jsonb_set(doc, '{version}', '"1.1.0"'),
       '{schema,0,properties,1,logicalTypeOptions}', '{"minLength": 2, "maxLength": 9}'),
       '{schema,0,properties,8,logicalTypeOptions}', '{}')) > 0 AS set
  FROM base;
SELECT rule, property, passed, observed FROM dmesh.check_product('qtext.users')
 WHERE property IN ('login', 'site');
SELECT contract_version, rules, passed, failed FROM dmesh.quality_score
 WHERE domain = 'qtext';
RESET ROLE;
