-- dmesh discovery: the marketplace (every live output port with its
-- contract status, quality, usage, incidents and the reader's access),
-- its full-text search, and product_metadata, what publish policies test.

-------------------------------------------------------------------------------
-- The marketplace and its search
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.marketplace AS
SELECT d.name                AS domain,
       p.name                AS product,
       p.description,
       p.owner,
       CASE WHEN port.status OPERATOR(pg_catalog.=) 'deprecated' THEN 'deprecated'
            ELSE p.status END AS status,
       p.tags,
       port.version,
       c.oid::pg_catalog.regclass AS relation,
       p.deprecation_reason,
       p.sunset,
       p.created_at,
       p.updated_at,
       p.published_at,
       port.major,
       k.status              AS contract_status,
       qr.score              AS quality_score,
       qr.finished_at        AS quality_checked_at,
       COALESCE(u.consumers, 0) AS consumers_30d,
       COALESCE(u.reads, 0)     AS reads_30d,
       (SELECT pg_catalog.count(*) FROM @extschema@.incident i
         WHERE i.product_id OPERATOR(pg_catalog.=) p.product_id AND i.resolved_at IS NULL) AS open_incidents,
       port.object,
       a.access,
       p.product_id
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@._access a ON a.product_id OPERATOR(pg_catalog.=) p.product_id
  JOIN @extschema@.output_port port
    ON port.product_id OPERATOR(pg_catalog.=) p.product_id
   AND port.status OPERATOR(pg_catalog.<>) 'retired'
  LEFT JOIN @extschema@.contract k
    ON k.product_id OPERATOR(pg_catalog.=) p.product_id
   AND k.version OPERATOR(pg_catalog.=) port.version
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) d.schema_name
  LEFT JOIN pg_catalog.pg_class c
    ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
   AND c.relname OPERATOR(pg_catalog.=) port.relation_name
  LEFT JOIN LATERAL (
        SELECT q.score, q.finished_at FROM @extschema@.quality_run q
         WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
         ORDER BY q.run_id DESC LIMIT 1) qr ON true
  LEFT JOIN LATERAL (
        SELECT pg_catalog.count(DISTINCT ud.consumer) AS consumers, pg_catalog.sum(ud.queries)::bigint AS reads
          FROM @extschema@.usage_daily ud
         WHERE ud.product_id OPERATOR(pg_catalog.=) p.product_id
           AND ud.day OPERATOR(pg_catalog.>) (CURRENT_DATE OPERATOR(pg_catalog.-) 30)) u ON true
 WHERE p.status OPERATOR(pg_catalog.=) ANY (ARRAY['published', 'deprecated']);
COMMENT ON VIEW @extschema@.marketplace IS
  'Published and deprecated data products, one row per live published relation (major version, and object for a product with several), with what the reading role may read of it (access; dmesh.access_status says how to ask for more). Readable by every role: metadata is discoverable, data is not. No column holds more than a line: the contract of the relation is one join away (JOIN dmesh.contract k ON k.product_id = m.product_id AND k.version = m.version; k.document is the ODCS document), and so are its columns (JOIN pg_catalog.pg_attribute a ON a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped; pg_catalog.col_description(a.attrelid, a.attnum) describes each).';
COMMENT ON COLUMN @extschema@.marketplace.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.marketplace.product IS 'Name of the product within its domain.';
COMMENT ON COLUMN @extschema@.marketplace.description IS 'Description of the product.';
COMMENT ON COLUMN @extschema@.marketplace.owner IS 'Owner role of the product.';
COMMENT ON COLUMN @extschema@.marketplace.status IS
  'published or deprecated; an older major version superseded by a newer one is deprecated.';
COMMENT ON COLUMN @extschema@.marketplace.tags IS 'Tags of the product.';
COMMENT ON COLUMN @extschema@.marketplace.version IS 'Contract version published through this relation.';
COMMENT ON COLUMN @extschema@.marketplace.relation IS 'The relation consumers query.';
COMMENT ON COLUMN @extschema@.marketplace.deprecation_reason IS 'Why the product is deprecated, if it is.';
COMMENT ON COLUMN @extschema@.marketplace.sunset IS 'Planned retirement date of a deprecated product.';
COMMENT ON COLUMN @extschema@.marketplace.created_at IS 'When the product was created.';
COMMENT ON COLUMN @extschema@.marketplace.updated_at IS 'When the product last changed.';
COMMENT ON COLUMN @extschema@.marketplace.published_at IS 'When the product was first published.';
COMMENT ON COLUMN @extschema@.marketplace.major IS 'Major version served by this relation.';
COMMENT ON COLUMN @extschema@.marketplace.contract_status IS 'ODCS status of that contract version.';
COMMENT ON COLUMN @extschema@.marketplace.quality_score IS
  'Score of the latest quality check (dmesh.check_product), in percent; NULL if never checked.';
COMMENT ON COLUMN @extschema@.marketplace.quality_checked_at IS 'When the latest quality check finished.';
COMMENT ON COLUMN @extschema@.marketplace.consumers_30d IS 'Roles that read the product in the last 30 days (as flushed; 0 without usage tracking).';
COMMENT ON COLUMN @extschema@.marketplace.reads_30d IS 'Statements that read the product in the last 30 days.';
COMMENT ON COLUMN @extschema@.marketplace.open_incidents IS 'Open incidents of the product (dmesh.incident).';
COMMENT ON COLUMN @extschema@.marketplace.object IS 'The contract object the relation publishes, for a product with several objects (one row per object and major version); NULL for a product with one.';
COMMENT ON COLUMN @extschema@.marketplace.access IS
  'What the reading role may read of the product: owner (every row, in clear), manager (of the domain: every row in clear, once it holds SELECT, which it may grant itself), granted (the rows and masks of its agreement), pending (a request of its waits), expired, denied or none (no rows). dmesh.access_status(''domain.product'') gives the details and the next step.';
COMMENT ON COLUMN @extschema@.marketplace.product_id IS 'Identifier of the product: the key of its contract (dmesh.contract), incidents, quality runs, usage and agreements.';
GRANT SELECT ON @extschema@.marketplace TO PUBLIC;

-- The text search document of a marketplace row: names weigh most, then
-- tags, then descriptions (the contract's purpose, usage and limitations
-- too), then columns, their comments and the contract's property
-- descriptions.
CREATE FUNCTION @extschema@.search_document(m @extschema@.marketplace)
RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.concat_ws(' ', m.domain, m.product)), 'A')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.array_to_string(m.tags, ' ')), 'B')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               pg_catalog.concat_ws(' ', m.description, m.deprecation_reason,
                   k.contract OPERATOR(pg_catalog.#>>) '{description,purpose}',
                   k.contract OPERATOR(pg_catalog.#>>) '{description,usage}',
                   k.contract OPERATOR(pg_catalog.#>>) '{description,limitations}',
                   (SELECT pg_catalog.string_agg(o OPERATOR(pg_catalog.->>) 'description', ' ')
                      FROM pg_catalog.jsonb_array_elements(COALESCE(k.contract OPERATOR(pg_catalog.->) 'schema', '[]')) o))), 'C')
        OPERATOR(pg_catalog.||) pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
               COALESCE((SELECT pg_catalog.string_agg(
                                    pg_catalog.concat_ws(' ', a.attname,
                                                              pg_catalog.col_description(a.attrelid, a.attnum)), ' '
                                    ORDER BY a.attnum)
                           FROM pg_catalog.pg_attribute a
                          WHERE a.attrelid OPERATOR(pg_catalog.=) m.relation::pg_catalog.oid
                            AND a.attnum OPERATOR(pg_catalog.>) 0
                            AND NOT a.attisdropped), '')
               OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
               COALESCE((SELECT pg_catalog.string_agg(
                                    pg_catalog.concat_ws(' ', prop OPERATOR(pg_catalog.->>) 'businessName',
                                                              prop OPERATOR(pg_catalog.->>) 'description'), ' ')
                           FROM pg_catalog.jsonb_path_query(
                                    k.contract, '$.schema[*].properties[*]') AS prop), '')), 'D')
      FROM (SELECT (SELECT c.document FROM @extschema@.contract c
                     WHERE c.product_id OPERATOR(pg_catalog.=) m.product_id
                       AND c.version OPERATOR(pg_catalog.=) m.version) AS contract) k;
END;
COMMENT ON FUNCTION @extschema@.search_document(@extschema@.marketplace) IS
  'Full-text document of a marketplace row, weighted: names A, tags B, descriptions and the contract''s purpose, usage and limitations C, columns, column comments and contract property descriptions D.';

CREATE FUNCTION @extschema@.search(query text)
RETURNS TABLE (
    rank               real,
    domain             text,
    product            text,
    description        text,
    owner              regrole,
    status             text,
    tags               text[],
    version            text,
    relation           regclass,
    deprecation_reason text,
    sunset             date,
    created_at         timestamptz,
    updated_at         timestamptz,
    published_at       timestamptz,
    major              integer,
    contract_status    text,
    quality_score      numeric,
    quality_checked_at timestamptz,
    consumers_30d      bigint,
    reads_30d          bigint,
    open_incidents     bigint,
    object             text,
    access             text,
    product_id         bigint)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET client_min_messages = warning
BEGIN ATOMIC
    SELECT (pg_catalog.ts_rank(@extschema@.search_document(m), q.q, 1)
            OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.lower(pg_catalog.btrim(search.query))
                                  OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.lower(m.product),
                                      pg_catalog.lower(m.domain OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) m.product)])
                        THEN 1 ELSE 0 END)::real AS rank,
           m.domain, m.product, m.description, m.owner, m.status, m.tags, m.version,
           m.relation, m.deprecation_reason, m.sunset, m.created_at,
           m.updated_at, m.published_at, m.major, m.contract_status,
           m.quality_score, m.quality_checked_at, m.consumers_30d, m.reads_30d,
           m.open_incidents, m.object, m.access, m.product_id
      FROM @extschema@.marketplace m,
           pg_catalog.websearch_to_tsquery('pg_catalog.english'::pg_catalog.regconfig, search.query) AS q(q)
     WHERE @extschema@.search_document(m) OPERATOR(pg_catalog.@@) q.q
     ORDER BY 1 DESC, m.domain, m.product, m.major, m.object;
END;
COMMENT ON FUNCTION @extschema@.search(text) IS
  'Marketplace rows matching a web-search style query (words, "phrases", OR, -word), best match first: an exact product name, then weighted full-text relevance.';

-------------------------------------------------------------------------------
-- Metadata
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.product_metadata AS
SELECT p.product_id,
       d.name AS domain,
       p.name AS product,
       p.description,
       p.owner,
       p.status,
       p.tags,
       p.version,
       k.document OPERATOR(pg_catalog.#>>) '{description,purpose}' AS purpose,
       k.document OPERATOR(pg_catalog.#>>) '{description,usage}' AS usage,
       (SELECT pg_catalog.count(*)::integer
          FROM pg_catalog.jsonb_path_query(COALESCE(k.held_schema, k.document OPERATOR(pg_catalog.->) 'schema'), '$[*].properties[*]')) AS properties,
       (SELECT pg_catalog.array_agg(DISTINCT e OPERATOR(pg_catalog.->>) 'classification')
          FROM pg_catalog.jsonb_path_query(COALESCE(k.held_schema, k.document OPERATOR(pg_catalog.->) 'schema'), '$[*].properties[*]') e
         WHERE e OPERATOR(pg_catalog.?) 'classification') AS classifications,
       EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(
                   COALESCE(k.document OPERATOR(pg_catalog.->) 'slaProperties', '[]'::jsonb)) s
                WHERE s OPERATOR(pg_catalog.->>) 'property' OPERATOR(pg_catalog.=) 'freshness') AS has_freshness_sla,
       @extschema@._rule_count(p.product_id) AS quality_rules,
       k.document AS contract
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  LEFT JOIN @extschema@.contract k ON k.product_id OPERATOR(pg_catalog.=) p.product_id
                                  AND k.version OPERATOR(pg_catalog.=) p.version;
COMMENT ON VIEW @extschema@.product_metadata IS
  'What publish policies can test, one row per product: the columns an "sql" policy rule may use.';
COMMENT ON COLUMN @extschema@.product_metadata.product_id IS 'Identifier of the product.';
COMMENT ON COLUMN @extschema@.product_metadata.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.product_metadata.product IS 'Name of the product.';
COMMENT ON COLUMN @extschema@.product_metadata.description IS 'Its description.';
COMMENT ON COLUMN @extschema@.product_metadata.owner IS 'Its owner role.';
COMMENT ON COLUMN @extschema@.product_metadata.status IS 'draft, published, deprecated or retired.';
COMMENT ON COLUMN @extschema@.product_metadata.tags IS 'Its tags.';
COMMENT ON COLUMN @extschema@.product_metadata.version IS 'Version of the active contract.';
COMMENT ON COLUMN @extschema@.product_metadata.purpose IS 'description.purpose of the active contract.';
COMMENT ON COLUMN @extschema@.product_metadata.usage IS 'description.usage of the active contract.';
COMMENT ON COLUMN @extschema@.product_metadata.properties IS 'Number of published columns.';
COMMENT ON COLUMN @extschema@.product_metadata.classifications IS 'Distinct classifications of its properties.';
COMMENT ON COLUMN @extschema@.product_metadata.has_freshness_sla IS 'Whether the contract has a freshness SLA.';
COMMENT ON COLUMN @extschema@.product_metadata.quality_rules IS 'Number of quality rules of the active contract.';
COMMENT ON COLUMN @extschema@.product_metadata.contract IS 'The active contract.';
GRANT SELECT ON @extschema@.product_metadata TO PUBLIC;
