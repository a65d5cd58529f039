-- dmesh's contract assistant (issue 17): a draft ODCS v3.1.0 contract for a
-- relation, from the catalog, pg_stats and a sample of the data read as the
-- caller, each suggestion with its evidence (customProperties
-- dmesh.evidence).  See docs/contracts.md, "The contract assistant".

CREATE FUNCTION @extschema@.suggest_contract(source text, sample_rows integer DEFAULT 100000)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dmesh_suggest_contract'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.suggest_contract(text, integer) IS
  'A draft ODCS v3.1.0 contract for a relation (a name, resolved on the caller''s search_path; not a query): types, required, keys, valid values, bounds rounded outward, patterns and formats, classification of personal data, CHECK constraints as rules, a freshness SLA and a row-count floor, each with its evidence in customProperties (dmesh.evidence). Reads the catalog, pg_stats and a sample of at most about sample_rows rows (TABLESAMPLE ... REPEATABLE, every row of a smaller relation; 0: no row) as the caller, who must be able to SELECT the relation. Never runs ANALYZE. The same data and statistics give the same document.';
