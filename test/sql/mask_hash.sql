-- The hash mask is SipHash-2-4 under the mesh's key.  With the reference
-- key (bytes 0 to 15) it gives the algorithm's published test vectors
-- (bytea: the 64-bit hash, little-endian), and the documented forms for
-- text (16 hex digits), integers (the hash of the value as int8,
-- truncated to the type).  The key is read once per session, so
-- this file's session sees the reference key of its own transaction only.
BEGIN;
DELETE FROM dmesh.mesh_secret;
INSERT INTO dmesh.mesh_secret VALUES (1, '\x000102030405060708090a0b0c0d0e0f');
SELECT len, dmesh._mask_value(substring('\x000102030405060708090a0b0c0d0e'::bytea FROM 1 FOR len), 1, 0) AS hash
  FROM (VALUES (0), (1), (7), (8), (15)) v(len) ORDER BY len;
SELECT dmesh._mask_value('abc'::text, 1, 0) AS text_hash,
       dmesh._mask_value('abc'::varchar(5), 1, 0) AS varchar_hash,
       dmesh._mask_value('abc  '::char(5), 1, 0) AS char_hash_no_padding,
       dmesh._mask_value('customer.12@mail12.example.org'::text, 1, 0) AS longer,
       dmesh._mask_value(42, 1, 0) AS int4_hash,
       dmesh._mask_value(42::bigint, 1, 0) AS int8_hash,
       dmesh._mask_value(42::smallint, 1, 0) AS int2_hash;
-- The same through dmesh._mask, which decides per execution.
SELECT dmesh._mask('abc'::text, 1, 0, 0, '{}', '{}', '{}', '{}') AS text_hash;
ROLLBACK;
