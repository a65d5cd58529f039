-- Consumer side of the federation bench (run.sh): postgres_fdw, a server
-- for the provider, the peer (read as the superuser running the bench,
-- whose mapping needs no password on a trust cluster), and for part C an
-- analyst mapped to the provider's remote_reader, with the two foreign
-- tables on the provider's dmesh_live.orders_v1: the subscription's and a
-- plain one made by IMPORT FOREIGN SCHEMA.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION dmesh;
CREATE EXTENSION postgres_fdw;
CREATE SERVER prov_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host :'phost', port :'pport', dbname 'bench', connect_timeout '5');
CREATE USER MAPPING FOR CURRENT_USER SERVER prov_srv;
SELECT dmesh.add_peer('prov', 'prov_srv');

CREATE ROLE analyst LOGIN;
GRANT USAGE ON FOREIGN SERVER prov_srv TO analyst;
CREATE USER MAPPING FOR analyst SERVER prov_srv OPTIONS (user 'remote_reader', password_required 'false');
CREATE SCHEMA sub AUTHORIZATION analyst;
CREATE SCHEMA plain AUTHORIZATION analyst;
SET ROLE analyst;
SELECT dmesh.subscribe('prov', 'live.orders', into_schema => 'sub');
IMPORT FOREIGN SCHEMA dmesh_live LIMIT TO (orders_v1) FROM SERVER prov_srv INTO plain;
RESET ROLE;
