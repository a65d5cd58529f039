-- dmesh governance: access agreements (row filters, purposes, expiry,
-- unmasked columns) and requests for them, what each role may read of a
-- product and how to ask for more (access_status), masking and publish
-- policies, the functions published views call to apply agreements and
-- masks (with their planner support), the masking and compliance views,
-- and the rewrite of published views.

-------------------------------------------------------------------------------
-- Catalog
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.access_request (
    request_id   bigserial PRIMARY KEY,
    product_id   bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    requester    regrole NOT NULL,
    purpose      text NOT NULL
                 CONSTRAINT access_request_purpose_given CHECK (pg_catalog.btrim(purpose) OPERATOR(pg_catalog.<>) ''),
    row_filter   text,
    status       text NOT NULL DEFAULT 'pending'
                 CONSTRAINT access_request_status_valid
                 CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['pending', 'approved', 'denied'])),
    requested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by   text,
    decided_at   timestamptz,
    reason       text,
    grant_id     bigint
);
CREATE INDEX ON @extschema@.access_request (product_id, status);
-- One pending request per role and product, even from concurrent sessions.
CREATE UNIQUE INDEX access_request_one_pending_idx ON @extschema@.access_request (product_id, requester)
    WHERE status OPERATOR(pg_catalog.=) 'pending';
COMMENT ON TABLE @extschema@.access_request IS
  'Requests for access to data products: made by any role, approved or denied by the product''s managers. A role sees its own requests and those on the products it manages.';
COMMENT ON COLUMN @extschema@.access_request.request_id IS 'Identifier of the request.';
COMMENT ON COLUMN @extschema@.access_request.product_id IS 'Data product asked for.';
COMMENT ON COLUMN @extschema@.access_request.requester IS 'Role asking (the role that will read).';
COMMENT ON COLUMN @extschema@.access_request.purpose IS 'Why the requester needs the product.';
COMMENT ON COLUMN @extschema@.access_request.row_filter IS 'Rows the requester asks for, as a row filter; NULL for all.';
COMMENT ON COLUMN @extschema@.access_request.status IS 'pending, approved or denied.';
COMMENT ON COLUMN @extschema@.access_request.requested_at IS 'When the request was made.';
COMMENT ON COLUMN @extschema@.access_request.decided_by IS 'Role that approved or denied it.';
COMMENT ON COLUMN @extschema@.access_request.decided_at IS 'When it was decided.';
COMMENT ON COLUMN @extschema@.access_request.reason IS 'Why it was denied.';
COMMENT ON COLUMN @extschema@.access_request.grant_id IS 'The agreement made by its approval.';

CREATE TABLE @extschema@.policy (
    policy_id    bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE
                 CONSTRAINT policy_name_valid CHECK (pg_catalog.btrim(name) OPERATOR(pg_catalog.<>) ''),
    kind         text NOT NULL
                 CONSTRAINT policy_kind_valid CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['masking', 'publish'])),
    rule         jsonb NOT NULL,
    scope        text NOT NULL,
    enforcement  text NOT NULL DEFAULT 'enforce'
                 CONSTRAINT policy_enforcement_valid
                 CHECK (enforcement OPERATOR(pg_catalog.=) ANY (ARRAY['enforce', 'warn'])),
    domain_id    bigint REFERENCES @extschema@.domain (domain_id),
    product_id   bigint REFERENCES @extschema@.data_product (product_id),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.policy IS
  'Governance policies as code: masking policies (a mask per classification) and publish policies (checks a product must pass to be published), each for the whole mesh, a domain or a product.';
COMMENT ON COLUMN @extschema@.policy.policy_id IS 'Identifier of the policy.';
COMMENT ON COLUMN @extschema@.policy.name IS 'Name of the policy, unique in the mesh.';
COMMENT ON COLUMN @extschema@.policy.kind IS 'masking or publish.';
COMMENT ON COLUMN @extschema@.policy.rule IS 'The rule, validated when the policy was created (see README).';
COMMENT ON COLUMN @extschema@.policy.scope IS 'mesh, domain:<name> or product:<domain.product>; for masking the narrowest scope wins.';
COMMENT ON COLUMN @extschema@.policy.enforcement IS 'enforce or warn.';
COMMENT ON COLUMN @extschema@.policy.domain_id IS 'Domain of a domain or product scope.';
COMMENT ON COLUMN @extschema@.policy.product_id IS 'Product of a product scope.';
COMMENT ON COLUMN @extschema@.policy.created_by IS 'Role that created the policy.';
COMMENT ON COLUMN @extschema@.policy.created_at IS 'When it was created.';

-- The key of hash masks: random, one per mesh, made with the first masking
-- policy, readable by nobody but the extension owner (dmesh reads it
-- directly).  Dumped with the mesh, so hashes stay the same after a restore.
CREATE TABLE @extschema@.mesh_secret (
    secret_id  integer PRIMARY KEY CONSTRAINT mesh_secret_one_row CHECK (secret_id OPERATOR(pg_catalog.=) 1),
    hash_key   bytea NOT NULL CONSTRAINT mesh_secret_key_size CHECK (pg_catalog.length(hash_key) OPERATOR(pg_catalog.=) 16)
);
COMMENT ON TABLE @extschema@.mesh_secret IS
  'The mesh''s key for hash masks (16 random bytes). Not readable by consumers: with it, hashes of small value sets could be reversed.';
COMMENT ON COLUMN @extschema@.mesh_secret.secret_id IS 'Always 1.';
COMMENT ON COLUMN @extschema@.mesh_secret.hash_key IS 'Key of the keyed hash (SipHash-2-4) behind the hash mask.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_request', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_request_request_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policy', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policy_policy_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.mesh_secret', '');
REVOKE ALL ON @extschema@.access_request, @extschema@.policy, @extschema@.mesh_secret FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.access_request_request_id_seq, @extschema@.policy_policy_id_seq FROM PUBLIC;
GRANT SELECT ON @extschema@.access_request, @extschema@.policy TO PUBLIC;

ALTER TABLE @extschema@.access_request ENABLE ROW LEVEL SECURITY;
CREATE POLICY access_request_visible ON @extschema@.access_request FOR SELECT TO PUBLIC
    USING (pg_catalog.pg_has_role(requester::pg_catalog.oid, 'USAGE')
           OR @extschema@.manages(
                  (SELECT p.domain_id FROM @extschema@.data_product p
                    WHERE p.product_id OPERATOR(pg_catalog.=) access_request.product_id),
                  product_id));

-------------------------------------------------------------------------------
-- Functions
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.grant_access(
    product text,
    consumer regrole,
    row_filter text DEFAULT NULL,
    purpose text DEFAULT NULL,
    expires_at timestamptz DEFAULT NULL,
    unmask text[] DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_grant_access'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.grant_access(text, regrole, text, text, timestamptz, text[]) IS
  'Make (or change) the access agreement of a consumer role: the rows it sees (row_filter over the published columns), its purpose, its expiry, the masked columns it sees in clear. Returns the grant_id.';

CREATE FUNCTION @extschema@.revoke_access(product text, consumer regrole)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dmesh_revoke_access'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.revoke_access(text, regrole) IS
  'Withdraw a role''s access to a data product. Returns false when the role held no grant.';

CREATE FUNCTION @extschema@.request_access(product text, purpose text, row_filter text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_request_access'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.request_access(text, text, text) IS
  'Ask for access to a product, as the current role, with a purpose and optionally the rows wanted. Returns the request_id.';

CREATE FUNCTION @extschema@.approve_access(request_id bigint, row_filter text DEFAULT NULL,
                                           expires_at timestamptz DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_approve_access'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.approve_access(bigint, text, timestamptz) IS
  'Approve a pending request (product managers only): makes the agreement, with the row filter given, else the one requested. Returns the grant_id.';

CREATE FUNCTION @extschema@.deny_access(request_id bigint, reason text)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_deny_access'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.deny_access(bigint, text) IS
  'Deny a pending request, with a reason (product managers only).';

-- What the calling role may read of each product, in one word.  A view,
-- not a function: it reads agreements and requests as its owner, with no
-- row-level security to evaluate for each of them, so the marketplace
-- stays cheap; pg_has_role() asks about the role reading it, and only its
-- own agreements and requests decide.
CREATE VIEW @extschema@._access AS
SELECT p.product_id,
       CASE
           WHEN pg_catalog.pg_has_role(p.owner::pg_catalog.oid, 'USAGE') THEN 'owner'
           WHEN pg_catalog.pg_has_role(d.owner::pg_catalog.oid, 'USAGE') THEN 'manager'
           WHEN EXISTS (SELECT FROM @extschema@.access_grant g
                         WHERE g.product_id OPERATOR(pg_catalog.=) p.product_id
                           AND pg_catalog.pg_has_role(g.consumer::pg_catalog.oid, 'USAGE')
                           AND (g.expires_at IS NULL
                                OR g.expires_at OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp()))
                THEN 'granted'
           WHEN EXISTS (SELECT FROM @extschema@.access_request r
                         WHERE r.product_id OPERATOR(pg_catalog.=) p.product_id
                           AND r.status OPERATOR(pg_catalog.=) 'pending'
                           AND pg_catalog.pg_has_role(r.requester::pg_catalog.oid, 'USAGE'))
                THEN 'pending'
           ELSE COALESCE(
               -- no live agreement: one that expired, or a denial, whichever is later
               (SELECT CASE WHEN e.expired_at OPERATOR(pg_catalog.>=)
                                 COALESCE(r.decided_at, '-infinity'::pg_catalog.timestamptz) THEN 'expired'
                            WHEN r.status OPERATOR(pg_catalog.=) 'denied' THEN 'denied' END
                  FROM (SELECT pg_catalog.max(g.expires_at) AS expired_at
                          FROM @extschema@.access_grant g
                         WHERE g.product_id OPERATOR(pg_catalog.=) p.product_id
                           AND pg_catalog.pg_has_role(g.consumer::pg_catalog.oid, 'USAGE')) e
                  LEFT JOIN LATERAL (
                       SELECT r.status, r.decided_at FROM @extschema@.access_request r
                        WHERE r.product_id OPERATOR(pg_catalog.=) p.product_id
                          AND r.status OPERATOR(pg_catalog.<>) 'pending'
                          AND pg_catalog.pg_has_role(r.requester::pg_catalog.oid, 'USAGE')
                        ORDER BY r.decided_at DESC NULLS LAST, r.request_id DESC
                        LIMIT 1) r ON true),
               'none') END AS access
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id;
COMMENT ON VIEW @extschema@._access IS
  'Internal: what the role reading it may read of each data product, in one word: the access column of dmesh.marketplace and dmesh.access_status. Decided by the agreements and requests of the roles whose privileges the reader has, and by no other.';
COMMENT ON COLUMN @extschema@._access.product_id IS 'The data product.';
COMMENT ON COLUMN @extschema@._access.access IS
  'owner (the reader has the privileges of the product''s owner; superusers too), manager (of the domain''s owner: it manages the product, and reads every row once it holds SELECT), granted (an agreement, not expired), pending (no agreement; a request waits), expired (its agreement expired), denied (its latest request was denied, after any expiry), none.';
GRANT SELECT ON @extschema@._access TO PUBLIC;

CREATE FUNCTION @extschema@.access_status(product text)
RETURNS TABLE (relation regclass, object text, major integer, access text, row_filter text,
               masked text[], expires_at timestamptz, next_step text)
AS 'MODULE_PATHNAME', 'dmesh_access_status'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.access_status(text) IS
  'What the calling role may read of a data product, and how to ask for the rest: one row per live published relation (relation, its object for a product with several, its major version; one row with these NULL when none is published), with access (owner, manager, granted, pending, expired, denied or none; as in dmesh.marketplace), row_filter (the rows the caller''s own agreement lets it see there; NULL for all, or without an agreement), masked (the columns it sees masked there; empty for owners and managers, NULL when it reads nothing there), expires_at (of its agreement, live or expired) and next_step (a statement to run: SELECT dmesh.request_access(...), dmesh.publish_data_product(...) for a draft''s managers, dmesh.grant_access(...) for a manager without SELECT; or what a request waits for, or why nothing can be done; NULL when nothing is needed). Reads only the caller''s own agreements and requests.';

CREATE FUNCTION @extschema@.create_policy(name text, kind text, rule jsonb, scope text DEFAULT 'mesh',
                                          enforcement text DEFAULT 'enforce')
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_create_policy'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.create_policy(text, text, jsonb, text, text) IS
  'Create a masking or publish policy for the mesh (superusers), a domain (its owner) or a product (its managers). Returns the policy_id.';

CREATE FUNCTION @extschema@.drop_policy(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_drop_policy'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.drop_policy(text) IS
  'Drop a policy (whoever could create it).';

-- Used inside published views: which agreement applies to the current
-- role, and whether a masked column is shown in clear.  Planner support
-- functions answer both at plan time when the answer for the role being
-- planned for cannot change with time: the view's agreement test becomes a
-- constant (leaving only that agreement's row filter) and each masked
-- column becomes either the column itself or dmesh._mask_value.  Such plans
-- are made for that role only.
CREATE FUNCTION @extschema@._agreement_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dmesh_agreement_support'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@._agreement_support(internal) IS
  'Internal, planner support of dmesh._agreement: the agreement of the role being planned for, as a constant, when no expiry can change it.';

CREATE FUNCTION @extschema@._mask_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dmesh_mask_support'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@._mask_support(internal) IS
  'Internal, planner support of dmesh._mask: the column itself, or dmesh._mask_value, for the role being planned for, when no expiry can change it.';

CREATE FUNCTION @extschema@._mask_value(value anyelement, mask integer, keep integer)
RETURNS anyelement
AS 'MODULE_PATHNAME', 'dmesh_mask_value'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._mask_value(anyelement, integer, integer) IS
  'Internal, used in plans of published views: the mask of a value (1 hash, 2 redact, 3 partial keeping "keep" characters, 4 null), of the same type.';

CREATE FUNCTION @extschema@._agreement(product_id bigint, managers oid[], consumers oid[],
                                       expires bigint[])
RETURNS integer
AS 'MODULE_PATHNAME', 'dmesh_agreement'
LANGUAGE C STABLE PARALLEL SAFE
SUPPORT @extschema@._agreement_support;
COMMENT ON FUNCTION @extschema@._agreement(bigint, oid[], oid[], bigint[]) IS
  'Internal, used by published views: 0 for a manager, the position of the current role''s agreement, or -1; an expired agreement is an error. Expiries are timestamptz values as integers (microseconds since 2000-01-01).';

CREATE FUNCTION @extschema@._mask(value anyelement, mask integer, keep integer, product_id bigint,
                                  managers oid[], consumers oid[], expires bigint[],
                                  unmasked_by integer[])
RETURNS anyelement
AS 'MODULE_PATHNAME', 'dmesh_mask'
LANGUAGE C STABLE PARALLEL SAFE
SUPPORT @extschema@._mask_support;
COMMENT ON FUNCTION @extschema@._mask(anyelement, integer, integer, bigint, oid[], oid[], bigint[], integer[]) IS
  'Internal, used by published views: the value for a role that sees the column in clear (a manager, or an agreement listed in unmasked_by), else its mask (1 hash, 2 redact, 3 partial keeping "keep" characters, 4 null), of the same type.';

-------------------------------------------------------------------------------
-- Views
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.masking AS
SELECT d.name AS domain,
       p.name AS product,
       prop OPERATOR(pg_catalog.->>) 'name' AS property,
       prop OPERATOR(pg_catalog.->>) 'classification' AS classification,
       pol.name AS policy,
       pol.rule OPERATOR(pg_catalog.->>) 'mask' AS mask
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.contract k ON k.product_id OPERATOR(pg_catalog.=) p.product_id
                             AND k.version OPERATOR(pg_catalog.=) p.version
  CROSS JOIN LATERAL pg_catalog.jsonb_path_query(COALESCE(k.held_schema, k.document OPERATOR(pg_catalog.->) 'schema'), '$[*].properties[*]') prop
  LEFT JOIN LATERAL (
        SELECT pl.name, pl.rule FROM @extschema@.policy pl
         WHERE pl.kind OPERATOR(pg_catalog.=) 'masking'
           AND pl.rule OPERATOR(pg_catalog.->>) 'classification' OPERATOR(pg_catalog.=) (prop OPERATOR(pg_catalog.->>) 'classification')
           AND (pl.product_id OPERATOR(pg_catalog.=) p.product_id
                OR (pl.product_id IS NULL AND pl.domain_id OPERATOR(pg_catalog.=) p.domain_id)
                OR (pl.product_id IS NULL AND pl.domain_id IS NULL))
         ORDER BY (pl.product_id IS NULL), (pl.domain_id IS NULL)
         LIMIT 1) pol ON true
 WHERE prop OPERATOR(pg_catalog.?) 'classification';
COMMENT ON VIEW @extschema@.masking IS
  'Every classified property of every product''s active contract, with the masking policy that covers it (the narrowest scope) and its mask; NULL when none does.';
COMMENT ON COLUMN @extschema@.masking.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.masking.product IS 'Name of the product.';
COMMENT ON COLUMN @extschema@.masking.property IS 'Published column.';
COMMENT ON COLUMN @extschema@.masking.classification IS 'Its classification in the contract.';
COMMENT ON COLUMN @extschema@.masking.policy IS 'Masking policy that applies, or NULL.';
COMMENT ON COLUMN @extschema@.masking.mask IS 'hash, redact, partial or null; NULL when no policy applies.';
GRANT SELECT ON @extschema@.masking TO PUBLIC;

-------------------------------------------------------------------------------
-- Publish policies and compliance
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._policy_check(policy_id bigint, product_id bigint,
                                          OUT passed boolean, OUT reason text)
RETURNS record
AS 'MODULE_PATHNAME', 'dmesh_policy_check'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@._policy_check(bigint, bigint) IS
  'Internal: whether a product passes a publish policy now, and why not.';

CREATE VIEW @extschema@.compliance AS
SELECT d.name AS domain,
       p.name AS product,
       p.status,
       pol.name AS policy,
       pol.enforcement,
       pol.scope,
       c.passed,
       c.reason
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.policy pol
    ON pol.kind OPERATOR(pg_catalog.=) 'publish'
   AND (pol.product_id OPERATOR(pg_catalog.=) p.product_id
        OR (pol.product_id IS NULL AND pol.domain_id OPERATOR(pg_catalog.=) p.domain_id)
        OR (pol.product_id IS NULL AND pol.domain_id IS NULL))
  CROSS JOIN LATERAL @extschema@._policy_check(pol.policy_id, p.product_id) c
 WHERE p.status OPERATOR(pg_catalog.<>) 'retired';
COMMENT ON VIEW @extschema@.compliance IS
  'Every product (not retired) against every publish policy that applies to it, evaluated now: passed, and the reason when not.';
COMMENT ON COLUMN @extschema@.compliance.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.compliance.product IS 'Name of the product.';
COMMENT ON COLUMN @extschema@.compliance.status IS 'Lifecycle status of the product.';
COMMENT ON COLUMN @extschema@.compliance.policy IS 'The publish policy.';
COMMENT ON COLUMN @extschema@.compliance.enforcement IS 'enforce (publishing is refused) or warn (recorded).';
COMMENT ON COLUMN @extschema@.compliance.scope IS 'Scope of the policy.';
COMMENT ON COLUMN @extschema@.compliance.passed IS 'Whether the product passes the policy now.';
COMMENT ON COLUMN @extschema@.compliance.reason IS 'Why not, when it does not.';
GRANT SELECT ON @extschema@.compliance TO PUBLIC;

-------------------------------------------------------------------------------
-- Published views are security barriers carrying agreements and masks,
-- rewritten with each change of their product's agreements, masking policies
-- or contract.  They are not members of the extension, so no extension
-- script can replace them: _rewrite_views() rewrites them all.
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@._rewrite_views()
RETURNS void
AS 'MODULE_PATHNAME', 'dmesh_rewrite_views'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._rewrite_views() IS
  'Rewrite every live product''s published views with their agreements and masks (superusers).';
REVOKE ALL ON FUNCTION @extschema@._rewrite_views() FROM PUBLIC;

-- Live agreements checked as they would be made now.
CREATE FUNCTION @extschema@._agreement_problems()
RETURNS TABLE (product text, consumer regrole, problem text)
AS 'MODULE_PATHNAME', 'dmesh_agreement_problems'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._agreement_problems() IS
  'Internal: the live agreements whose row filter dmesh would refuse today (it calls code of an untrusted owner, or holds a constant dmesh cannot read safely), each checked as the role that wrote it. Superusers only. Run by the update to 0.7.0, which warns about each.';
REVOKE ALL ON FUNCTION @extschema@._agreement_problems() FROM PUBLIC;
