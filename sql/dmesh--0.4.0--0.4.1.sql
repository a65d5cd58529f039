-- dmesh 0.4.0 -> 0.4.1: agreements answered at plan time.
--
-- dmesh._agreement and dmesh._mask get planner support functions: when
-- the answer for the role being planned for cannot change with time, the
-- view's agreement test becomes a constant (leaving only that agreement's
-- row filter) and each masked column becomes either the column itself or
-- dmesh._mask_value.  Such plans are made for that role only.

\echo Use "ALTER EXTENSION dmesh UPDATE TO '0.4.1'" to load this file. \quit

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

ALTER FUNCTION @extschema@._agreement(bigint, oid[], oid[], bigint[])
  SUPPORT @extschema@._agreement_support;
ALTER FUNCTION @extschema@._mask(anyelement, integer, integer, bigint, oid[], oid[], bigint[], integer[])
  SUPPORT @extschema@._mask_support;
