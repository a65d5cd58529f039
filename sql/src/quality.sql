-- dmesh quality: quality runs and results, rules enforced on write (reject,
-- quarantine or warn) with their triggers, the quarantine and its release,
-- violation counts, check_product() and the single-pass scan aggregate
-- behind it, and the latest score of each product.

-------------------------------------------------------------------------------
-- Catalog
-------------------------------------------------------------------------------

CREATE TABLE @extschema@.quality_run (
    run_id           bigserial PRIMARY KEY,
    product_id       bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    contract_version text NOT NULL,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz NOT NULL,
    rows_checked     bigint NOT NULL,
    rules            integer NOT NULL,
    passed           integer NOT NULL,
    failed           integer NOT NULL,
    score            numeric(4,1),
    checked_by       text NOT NULL,
    not_run          integer NOT NULL DEFAULT 0
);
CREATE INDEX ON @extschema@.quality_run (product_id, run_id);
COMMENT ON TABLE @extschema@.quality_run IS
  'Quality checks: one row per run of dmesh.check_product, with its score.';
COMMENT ON COLUMN @extschema@.quality_run.run_id IS 'Identifier of the run.';
COMMENT ON COLUMN @extschema@.quality_run.product_id IS 'Data product checked.';
COMMENT ON COLUMN @extschema@.quality_run.contract_version IS 'Version of the contract whose rules were checked (the active one).';
COMMENT ON COLUMN @extschema@.quality_run.started_at IS 'When the run started.';
COMMENT ON COLUMN @extschema@.quality_run.finished_at IS 'When the run finished.';
COMMENT ON COLUMN @extschema@.quality_run.rows_checked IS 'Rows of the product read by the run.';
COMMENT ON COLUMN @extschema@.quality_run.rules IS 'Rules run: passed and failed (rules not run here are in not_run).';
COMMENT ON COLUMN @extschema@.quality_run.passed IS 'Rules that passed.';
COMMENT ON COLUMN @extschema@.quality_run.failed IS 'Rules that failed or could not be evaluated.';
COMMENT ON COLUMN @extschema@.quality_run.score IS
  'Share of passed rules among the rules run, in percent, weighted by severity (error 3, warning 2, info 1); NULL when no rule was run.';
COMMENT ON COLUMN @extschema@.quality_run.checked_by IS 'Role that ran the check.';
COMMENT ON COLUMN @extschema@.quality_run.not_run IS
  'Rules of the contract not run here (custom rules, formats dmesh does not check, ODCS v3.0 rules without what they need): neither passed nor failed.';

CREATE TABLE @extschema@.quality_result (
    run_id       bigint NOT NULL REFERENCES @extschema@.quality_run (run_id) ON DELETE CASCADE,
    position     integer NOT NULL,
    rule         text NOT NULL,
    property     text,
    metric       text NOT NULL,
    dimension    text,
    severity     text NOT NULL,
    passed       boolean,
    observed     numeric,
    expected     text NOT NULL,
    unit         text,
    rows_checked bigint,
    detail       text,
    object       text,
    PRIMARY KEY (run_id, position)
);
COMMENT ON TABLE @extschema@.quality_result IS
  'Outcome of every rule of every quality run.';
COMMENT ON COLUMN @extschema@.quality_result.run_id IS 'The run.';
COMMENT ON COLUMN @extschema@.quality_result.position IS 'Order of the rule in the contract.';
COMMENT ON COLUMN @extschema@.quality_result.rule IS 'Name of the rule: its ODCS name, else the constraint or metric.';
COMMENT ON COLUMN @extschema@.quality_result.property IS 'Property the rule is on; NULL for object-level rules.';
COMMENT ON COLUMN @extschema@.quality_result.metric IS 'nullValues, missingValues, invalidValues, duplicateValues, rowCount, sql or custom (or, for an ODCS v3.0 library rule dmesh does not know, its name).';
COMMENT ON COLUMN @extschema@.quality_result.dimension IS 'ODCS quality dimension of the rule, if given.';
COMMENT ON COLUMN @extschema@.quality_result.severity IS 'error, warning or info.';
COMMENT ON COLUMN @extschema@.quality_result.passed IS 'Whether the rule passed. A rule that could not be evaluated did not; a rule not run here is NULL (expected says why).';
COMMENT ON COLUMN @extschema@.quality_result.observed IS 'Value of the metric (a count, a percentage, or the result of the sql rule); NULL if not evaluated.';
COMMENT ON COLUMN @extschema@.quality_result.expected IS 'The rule''s operators and thresholds, e.g. "= 0" or "< 5%"; for a rule not run here, "not run here: " and why.';
COMMENT ON COLUMN @extschema@.quality_result.unit IS 'rows or percent for counts of values.';
COMMENT ON COLUMN @extschema@.quality_result.rows_checked IS 'Rows the metric was computed over.';
COMMENT ON COLUMN @extschema@.quality_result.detail IS
  'Why a rule could not be evaluated: the error as the code writes it, values left out, and its SQLSTATE. Readable by the product''s managers and consumers only (row-level security).';
COMMENT ON COLUMN @extschema@.quality_result.object IS 'The contract object the rule is on, for a product with several objects; NULL for a product with one.';

CREATE TABLE @extschema@.quarantined_row (
    quarantine_id    bigserial PRIMARY KEY,
    product_id       bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    relation         text NOT NULL,
    operation        text NOT NULL
                     CONSTRAINT quarantined_row_operation_valid
                     CHECK (operation OPERATOR(pg_catalog.=) ANY (ARRAY['INSERT', 'UPDATE'])),
    row_data         jsonb NOT NULL,
    old_row          jsonb,
    broken_rules     jsonb NOT NULL,
    contract_version text NOT NULL,
    written_by       text NOT NULL,
    written_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON @extschema@.quarantined_row (product_id, quarantine_id);
COMMENT ON TABLE @extschema@.quarantined_row IS
  'Rows held back by quarantine mode: written to a product''s source, they broke its contract. Read it through dmesh.quarantine.';
COMMENT ON COLUMN @extschema@.quarantined_row.quarantine_id IS 'Identifier of the quarantined row.';
COMMENT ON COLUMN @extschema@.quarantined_row.product_id IS 'Data product whose contract the row broke.';
COMMENT ON COLUMN @extschema@.quarantined_row.relation IS 'Source table the row was written to.';
COMMENT ON COLUMN @extschema@.quarantined_row.operation IS 'INSERT (also COPY and MERGE inserts) or UPDATE.';
COMMENT ON COLUMN @extschema@.quarantined_row.row_data IS 'The row as written, as jsonb.';
COMMENT ON COLUMN @extschema@.quarantined_row.old_row IS 'For an UPDATE, the row it would have replaced.';
COMMENT ON COLUMN @extschema@.quarantined_row.broken_rules IS 'The rules the row broke: rule, property and what the rule asks.';
COMMENT ON COLUMN @extschema@.quarantined_row.contract_version IS 'Version of the contract the row was checked against.';
COMMENT ON COLUMN @extschema@.quarantined_row.written_by IS 'Role that wrote the row.';
COMMENT ON COLUMN @extschema@.quarantined_row.written_at IS 'Start of the transaction that wrote the row.';

CREATE TABLE @extschema@.rule_violation_log (
    violation_id     bigserial PRIMARY KEY,
    product_id       bigint NOT NULL REFERENCES @extschema@.data_product (product_id),
    contract_version text NOT NULL,
    rule             text NOT NULL,
    property         text NOT NULL DEFAULT '',
    mode             text NOT NULL
                     CONSTRAINT rule_violation_log_mode_valid
                     CHECK (mode OPERATOR(pg_catalog.=) ANY (ARRAY['warn', 'quarantine'])),
    violations       bigint NOT NULL,
    written_by       text NOT NULL,
    written_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON @extschema@.rule_violation_log (product_id, rule);
COMMENT ON TABLE @extschema@.rule_violation_log IS
  'One row per statement and broken rule, for rows let through (warn mode) or quarantined. Append-only, so that concurrent writers never wait on each other; dmesh.rule_violation sums it up.';
COMMENT ON COLUMN @extschema@.rule_violation_log.violation_id IS 'Order of the entry.';
COMMENT ON COLUMN @extschema@.rule_violation_log.product_id IS 'Data product whose contract was broken.';
COMMENT ON COLUMN @extschema@.rule_violation_log.contract_version IS 'Version of the contract.';
COMMENT ON COLUMN @extschema@.rule_violation_log.rule IS 'Rule broken.';
COMMENT ON COLUMN @extschema@.rule_violation_log.property IS 'Property of the rule; empty for object-level rules.';
COMMENT ON COLUMN @extschema@.rule_violation_log.mode IS 'warn (the rows were written) or quarantine (they were held back).';
COMMENT ON COLUMN @extschema@.rule_violation_log.violations IS 'Rows of the statement that broke the rule.';
COMMENT ON COLUMN @extschema@.rule_violation_log.written_by IS 'Role that wrote them.';
COMMENT ON COLUMN @extschema@.rule_violation_log.written_at IS 'Start of the writing transaction.';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.quality_run', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.quality_run_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.quality_result', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.quarantined_row', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.quarantined_row_quarantine_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rule_violation_log', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rule_violation_log_violation_id_seq', '');
REVOKE ALL ON @extschema@.quality_run, @extschema@.quality_result,
              @extschema@.quarantined_row, @extschema@.rule_violation_log FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.quality_run_run_id_seq,
                       @extschema@.quarantined_row_quarantine_id_seq,
                       @extschema@.rule_violation_log_violation_id_seq FROM PUBLIC;
-- Results and counts are metadata, readable by all; quarantined rows are
-- data, readable only through dmesh.quarantine by those who manage them.
GRANT SELECT ON @extschema@.quality_run, @extschema@.quality_result,
                @extschema@.rule_violation_log TO PUBLIC;

ALTER TABLE @extschema@.quality_result ENABLE ROW LEVEL SECURITY;
CREATE POLICY quality_result_visible ON @extschema@.quality_result FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.quality_run r
                    WHERE r.run_id OPERATOR(pg_catalog.=) quality_result.run_id
                      AND @extschema@._insider(r.product_id)));

-------------------------------------------------------------------------------
-- The single-pass quality scan (an aggregate; see src/scan.c)
-------------------------------------------------------------------------------

-- A list of the tested properties comes first; past FUNC_MAX_ARGS the
-- columns come as one row.
CREATE FUNCTION @extschema@._quality_scan_step(internal, jsonb, integer[], VARIADIC "any")
RETURNS internal
AS 'MODULE_PATHNAME', 'dmesh_quality_scan_step'
LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._quality_scan_step(internal, jsonb, integer[], VARIADIC "any") IS
  'Internal: transition function of dmesh._quality_scan.';
CREATE FUNCTION @extschema@._quality_scan_final(internal)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'dmesh_quality_scan_final'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@._quality_scan_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dmesh_quality_scan_combine'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@._quality_scan_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'dmesh_quality_scan_serialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._quality_scan_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'dmesh_quality_scan_deserialize'
LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._quality_scan_final(internal) IS
  'Internal: final function of dmesh._quality_scan (row count, then one count per rule).';
COMMENT ON FUNCTION @extschema@._quality_scan_combine(internal, internal) IS
  'Internal: combines the partial states of a parallel dmesh._quality_scan.';
COMMENT ON FUNCTION @extschema@._quality_scan_serialize(internal) IS
  'Internal: serializes a partial state of dmesh._quality_scan for the leader.';
COMMENT ON FUNCTION @extschema@._quality_scan_deserialize(bytea, internal) IS
  'Internal: reads a partial state of dmesh._quality_scan from a worker.';
CREATE AGGREGATE @extschema@._quality_scan(contract jsonb, columns integer[], VARIADIC "any") (
    SFUNC = @extschema@._quality_scan_step,
    STYPE = internal,
    FINALFUNC = @extschema@._quality_scan_final,
    COMBINEFUNC = @extschema@._quality_scan_combine,
    SERIALFUNC = @extschema@._quality_scan_serialize,
    DESERIALFUNC = @extschema@._quality_scan_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@._quality_scan(jsonb, integer[], VARIADIC "any") IS
  'Internal to dmesh.check_product: tests every row against every rule of a contract in one pass; "columns" lists the tested properties (0-based, ascending) and the arguments after it are their columns, or one row of them when there are more than a function takes.';

-------------------------------------------------------------------------------
-- Functions
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.check_product(product text)
RETURNS TABLE (rule text, property text, metric text, passed boolean, observed numeric,
               expected text, rows_checked bigint, severity text, object text)
AS 'MODULE_PATHNAME', 'dmesh_check_product'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.check_product(text) IS
  'Evaluate every rule of the product''s active contract over its data, in one scan per object (sql rules run as their own queries); store and return the results. A rule not run here has passed NULL and says why in expected; object names the contract object of a product with several.';

CREATE FUNCTION @extschema@.enforce_contract(product text, mode text DEFAULT 'reject')
RETURNS TABLE (rule text, property text, checked text, object text)
AS 'MODULE_PATHNAME', 'dmesh_enforce_contract'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.enforce_contract(text, text) IS
  'Hold writes to the product''s source tables to its contract: reject, quarantine or warn; off removes the triggers. Returns each rule and how a write is checked against it, or why it is not run here; object names the contract object of a product with several.';

CREATE FUNCTION @extschema@.release_quarantine(product text, ids bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_release_quarantine'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.release_quarantine(text, bigint[]) IS
  'Write quarantined rows (all, or the given ids) back to the product''s source, as the caller; they are checked again. Returns the number of rows written.';

CREATE FUNCTION @extschema@.discard_quarantine(product text, ids bigint[])
RETURNS bigint
AS 'MODULE_PATHNAME', 'dmesh_discard_quarantine'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.discard_quarantine(text, bigint[]) IS
  'Delete quarantined rows of the product for good. Returns the number of rows deleted.';

CREATE FUNCTION @extschema@._contract_row()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dmesh_contract_row'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._contract_row() IS
  'Row trigger of dmesh.enforce_contract: tests each written row against the contract.';

CREATE FUNCTION @extschema@._contract_statement()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dmesh_contract_statement'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@._contract_statement() IS
  'Statement trigger of dmesh.enforce_contract: records the statement''s violations.';

-------------------------------------------------------------------------------
-- Views
-------------------------------------------------------------------------------

CREATE VIEW @extschema@.quality_score AS
SELECT d.name AS domain,
       p.name AS product,
       r.score,
       r.rules,
       r.passed,
       r.failed,
       r.rows_checked,
       r.contract_version,
       r.finished_at AS checked_at,
       r.run_id,
       r.not_run
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN LATERAL (SELECT q.* FROM @extschema@.quality_run q
                 WHERE q.product_id OPERATOR(pg_catalog.=) p.product_id
                 ORDER BY q.run_id DESC LIMIT 1) r ON true;
COMMENT ON VIEW @extschema@.quality_score IS
  'Latest quality check of each product: score (passed rules in percent, weighted by severity), counts and time.';
COMMENT ON COLUMN @extschema@.quality_score.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.quality_score.product IS 'Name of the product.';
COMMENT ON COLUMN @extschema@.quality_score.score IS 'Passed rules among the rules run, in percent, weighted by severity (error 3, warning 2, info 1).';
COMMENT ON COLUMN @extschema@.quality_score.rules IS 'Rules run: passed and failed.';
COMMENT ON COLUMN @extschema@.quality_score.passed IS 'Rules that passed.';
COMMENT ON COLUMN @extschema@.quality_score.failed IS 'Rules that failed or could not be evaluated.';
COMMENT ON COLUMN @extschema@.quality_score.rows_checked IS 'Rows read.';
COMMENT ON COLUMN @extschema@.quality_score.contract_version IS 'Contract version checked.';
COMMENT ON COLUMN @extschema@.quality_score.checked_at IS 'When the check finished.';
COMMENT ON COLUMN @extschema@.quality_score.run_id IS 'The run, in dmesh.quality_run and dmesh.quality_result.';
COMMENT ON COLUMN @extschema@.quality_score.not_run IS 'Rules not run here: neither passed nor failed.';

CREATE VIEW @extschema@.rule_violation AS
SELECT product_id,
       contract_version,
       rule,
       property,
       mode,
       pg_catalog.sum(violations)::bigint AS violations,
       pg_catalog.min(written_at) AS first_seen,
       pg_catalog.max(written_at) AS last_seen
  FROM @extschema@.rule_violation_log
 GROUP BY product_id, contract_version, rule, property, mode;
COMMENT ON VIEW @extschema@.rule_violation IS
  'Rows written against a product''s contract that were let through (warn mode) or quarantined, counted per contract version, rule and mode. Rows refused in reject mode are not written, so not counted.';
COMMENT ON COLUMN @extschema@.rule_violation.product_id IS 'Data product whose contract was broken.';
COMMENT ON COLUMN @extschema@.rule_violation.contract_version IS 'Version of the contract.';
COMMENT ON COLUMN @extschema@.rule_violation.rule IS 'Rule broken.';
COMMENT ON COLUMN @extschema@.rule_violation.property IS 'Property of the rule; empty for object-level rules.';
COMMENT ON COLUMN @extschema@.rule_violation.mode IS 'warn or quarantine.';
COMMENT ON COLUMN @extschema@.rule_violation.violations IS 'Rows that broke the rule.';
COMMENT ON COLUMN @extschema@.rule_violation.first_seen IS 'First statement that broke it.';
COMMENT ON COLUMN @extschema@.rule_violation.last_seen IS 'Latest statement that broke it.';

CREATE VIEW @extschema@.quarantine WITH (security_barrier) AS
SELECT q.quarantine_id,
       d.name AS domain,
       p.name AS product,
       q.relation,
       q.operation,
       q.row_data,
       q.old_row,
       q.broken_rules,
       q.contract_version,
       q.written_by,
       q.written_at
  FROM @extschema@.quarantined_row q
  JOIN @extschema@.data_product p ON p.product_id OPERATOR(pg_catalog.=) q.product_id
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
 WHERE @extschema@.manages(p.domain_id, p.product_id);
COMMENT ON VIEW @extschema@.quarantine IS
  'Quarantined rows of the products the current role manages; release them with dmesh.release_quarantine.';
COMMENT ON COLUMN @extschema@.quarantine.quarantine_id IS 'Identifier of the quarantined row, for release_quarantine and discard_quarantine.';
COMMENT ON COLUMN @extschema@.quarantine.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.quarantine.product IS 'Name of the product.';
COMMENT ON COLUMN @extschema@.quarantine.relation IS 'Source table the row was written to.';
COMMENT ON COLUMN @extschema@.quarantine.operation IS 'INSERT or UPDATE.';
COMMENT ON COLUMN @extschema@.quarantine.row_data IS 'The row as written.';
COMMENT ON COLUMN @extschema@.quarantine.old_row IS 'For an UPDATE, the row it would have replaced.';
COMMENT ON COLUMN @extschema@.quarantine.broken_rules IS 'Rules the row broke.';
COMMENT ON COLUMN @extschema@.quarantine.contract_version IS 'Contract version the row was checked against.';
COMMENT ON COLUMN @extschema@.quarantine.written_by IS 'Role that wrote the row.';
COMMENT ON COLUMN @extschema@.quarantine.written_at IS 'When it was written.';
GRANT SELECT ON @extschema@.quality_score, @extschema@.quarantine, @extschema@.rule_violation TO PUBLIC;

CREATE VIEW @extschema@.enforcement AS
SELECT d.name AS domain,
       p.name AS product,
       t.tgrelid::pg_catalog.regclass AS relation,
       pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), '\000', 2) AS mode
  FROM @extschema@.data_product p
  JOIN @extschema@.domain d ON d.domain_id OPERATOR(pg_catalog.=) p.domain_id
  JOIN @extschema@.product_sources s ON s.product_id OPERATOR(pg_catalog.=) p.product_id
  JOIN pg_catalog.pg_trigger t
    ON t.tgrelid OPERATOR(pg_catalog.=) s.source_relation::pg_catalog.oid
   AND t.tgname OPERATOR(pg_catalog.=) ('zz_dmesh_contract_' OPERATOR(pg_catalog.||) p.product_id);
COMMENT ON VIEW @extschema@.enforcement IS
  'Products whose source table holds writes to the contract, and the mode: reject, quarantine or warn. Read from the triggers themselves.';
COMMENT ON COLUMN @extschema@.enforcement.domain IS 'Domain of the product.';
COMMENT ON COLUMN @extschema@.enforcement.product IS 'Name of the product.';
COMMENT ON COLUMN @extschema@.enforcement.relation IS 'Source table carrying the triggers.';
COMMENT ON COLUMN @extschema@.enforcement.mode IS 'reject, quarantine or warn.';
GRANT SELECT ON @extschema@.enforcement TO PUBLIC;

-- What dmesh.product_metadata (discovery.sql) counts as a product's quality rules.
CREATE FUNCTION @extschema@._rule_count(product_id bigint)
RETURNS integer
AS 'MODULE_PATHNAME', 'dmesh_rule_count'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@._rule_count(bigint) IS
  'Internal: the number of quality rules dmesh compiles from a product''s active contract.';
