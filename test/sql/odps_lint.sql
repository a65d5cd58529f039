-- lint_document: every problem of an ODCS contract or an ODPS data product
-- document, with its path and hint, touching nothing; no rows when the
-- document is valid.  The kind of document is told by kind, else by
-- apiVersion.

-- Documents in the shape of the ODPS repository's examples (written here,
-- not copied): a complete one, declared as v0.9.0 as the examples are (the
-- v1.0.0 schema, which the standard checks them with, accepts it), and a
-- minimal one whose version carries a "v".
SELECT count(*) AS problems FROM dmesh.lint_document($$
apiVersion: v0.9.0
kind: DataProduct
name: Parcel tracking
id: 0b6e7c1a-3f54-4d0e-9a51-6c2d8e4f7a90
domain: logistics
status: draft
tenant: ParcelCo
description:
  purpose: Where every parcel is.
  limitations: Scans arrive up to an hour late.
  usage: Delivery estimates and customer notices.
tags: ['parcels']
inputPorts:
- name: scans
  version: 2.1.0
  contractId: 5e0f1d2c-aaaa-4bbb-8ccc-000000000001
- name: routes
  version: 1.0.0
  contractId: 5e0f1d2c-aaaa-4bbb-8ccc-000000000002
  tags: ["routing"]
  customProperties:
    - property: "routes_version"
      value: "1.0.0"
  authoritativeDefinitions:
    - type: "data_dictionary"
      url: "https://dictionary.example.com/routes"
outputPorts:
- name: parcel_positions
  description: "Last known position of each parcel"
  type: tables
  version: 1.0.0
  contractId: 5e0f1d2c-aaaa-4bbb-8ccc-000000000010
- name: parcel_positions
  description: "Last known position of each parcel"
  type: tables
  version: 2.0.0
  contractId: 5e0f1d2c-aaaa-4bbb-8ccc-000000000011
  tags: ["positions"]
  customProperties:
    - property: "positions_version"
      value: "2.0.0"
  sbom:
  - type: "external"
    url: "https://sbom.example.com/parcels"
  inputContracts:
  - id: 5e0f1d2c-aaaa-4bbb-8ccc-000000000001
    version: 2.1.0
managementPorts:
- content: observability
  type: topic
  name: parcel-events
  description: Events of the product's pipeline
  tags: ["kafka"]
  customProperties:
    - property: "kafka_topic"
      value: "true"
support:
- channel: "Parcels on chat"
  url: "https://chat.example.com/parcels"
  tool: "slack"
  scope: "interactive"
- channel: "Parcels by mail"
  url: "mailto:parcels@example.com"
  tool: "email"
  scope: "issues"
team:
  name: "Parcel team"
  description: "Owns the parcel data."
  tags: ["logistics"]
  members:
  - username: "kim@example.com"
    name: "Kim"
    role: "owner"
    dateIn: "2024-03-01"
productCreatedTs: "2024-03-01T08:00:00Z"
$$);
SELECT count(*) AS problems FROM dmesh.lint_document($$
apiVersion: v1.0.0
kind: DataProduct
id: 9d1b2c3d-0000-4000-8000-00000000abcd
status: active
name: Tiny product
version: v1.0.0
outputPorts:
- name: out
  type: tables
  version: 1.0.0
  contractId: 9d1b2c3d-0000-4000-8000-00000000abce
$$);

-- Every problem at once, each with its path: unknown keys (with the key
-- meant), types, required keys, dmesh's properties.
SELECT kind, path, severity, message, hint FROM dmesh.lint_document($$
apiVersion: v1.0.0
kind: DataProduct
id: 42
status: actve
descripton: {purpose: x}
outputPort: []
inputPorts:
- {name: scans, version: 1.0.0}
outputPorts:
- {name: out, version: 1.0.0, contractID: abc}
support:
- {channel: chat}
team: {name: t, members: [{name: Kim}]}
$$);
SELECT kind, path, severity, message, hint FROM dmesh.lint_document($$
apiVersion: v1.0.0
kind: DataProduct
id: p1
status: actve
customProperties:
- {property: dmeshAgrements, value: []}
- {property: meshOwner, value: sales}
- {property: dmeshSchedule, value: {refresh: 1 hour, chek: 1 day, freshness: soon}}
- {property: dmeshEnforcement, value: rejekt}
- property: dmeshAgreements
  value:
  - {consumer: ana, rowfilter: "x > 1", expiresAt: never}
  - {purpose: no consumer}
  - {consumer: ana}
- property: dmeshPolicies
  value:
  - {name: p, kind: masking}
  - {name: q, kind: masks, rule: {}}
- {property: dmeshDeprecation, value: {sunset: 2030-02-30}}
- {property: dmeshOwner, value: a}
- {property: dmeshOwner, value: b}
$$);

-- A contract: the schema's problems, all of them; then, when the schema
-- finds none, the first of what dmesh requires on top.
SELECT kind, path, severity, message, hint FROM dmesh.lint_document($$
apiVersion: v3.1.0
kind: DataContract
id: c
version: 1.0.0
status: active
schema:
  - name: t
    properties:
      - {name: a, logicalType: strng, requird: true}
      - {name: b, logicalType: integer, quality: [{metric: nullValues, mustBe: 0, sevrity: error}]}
$$);
SELECT kind, path, severity, message, hint FROM dmesh.lint_document($$
apiVersion: v3.1.0
kind: DataContract
id: c
version: "1.0"
status: active
schema: [{name: t, properties: [{name: a, logicalType: string}]}]
$$);
SELECT count(*) AS problems FROM dmesh.lint_document($$
apiVersion: v3.1.0
kind: DataContract
id: c
version: 1.0.0
status: active
schema: [{name: t, physicalName: nowhere.t, properties: [{name: a, logicalType: string}]}]
$$);
-- A warning only: a key of one's own close to one the standard knows.
SELECT kind, path, severity, message, hint FROM dmesh.lint_document($$
apiVersion: v3.0.2
kind: DataContract
id: c
version: 1.0.0
status: active
slaProperties: [{property: latency, value: 4, unti: h}]
$$);

-- Telling the kind.
SELECT kind, path, severity, message, hint FROM dmesh.lint_document('{"apiVersion": "v1.0.0", "kind": "DataProdcut"}');
SELECT kind, path, severity, message, hint FROM dmesh.lint_document('{"apiVersion": "v1.0.0", "id": "x", "status": "draft"}');
SELECT kind, path, severity, message, hint FROM dmesh.lint_document('{"apiVersion": "v3.0.2"}');
SELECT kind, path, severity, message, hint FROM dmesh.lint_document('{"kind": "Something"}');
SELECT kind, path, severity, message, hint FROM dmesh.lint_document('[1, 2]');
SELECT kind, path, severity, message, hint FROM dmesh.lint_document('{"apiVersion": "v9.9.9", "kind": "DataProduct"}');
-- Text that is no YAML, or too deep.
SELECT kind, path, severity, message, hint FROM dmesh.lint_document(E'kind: DataProduct\n  id: [');
SELECT kind, severity, message FROM dmesh.lint_document(repeat('[', 100));
SELECT count(*) FROM dmesh.lint_document(NULL);
SELECT count(*) FROM dmesh.lint_document('');

-- lint touches nothing: it runs in a read-only transaction.
BEGIN TRANSACTION READ ONLY;
SELECT count(*) AS problems FROM dmesh.lint_document(
  '{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "c", "version": "1", "status": "active"}');
COMMIT;
