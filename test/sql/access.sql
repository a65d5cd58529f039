-- Access: default deny, grants and revokes, group roles, drafts, and the
-- visibility of dmesh.access_grant.
CREATE ROLE acc_team NOLOGIN;
CREATE ROLE acc_dev LOGIN IN ROLE acc_team;
CREATE ROLE acc_analyst LOGIN;
CREATE ROLE acc_bi NOLOGIN;
CREATE ROLE acc_bi_user LOGIN IN ROLE acc_bi;
CREATE ROLE acc_stranger LOGIN;
SELECT dmesh.create_domain('acc', 'acc_team') > 0 AS created;
CREATE SCHEMA acc_src AUTHORIZATION acc_team;
GRANT USAGE ON SCHEMA acc_src TO PUBLIC;
SET ROLE acc_team;
CREATE TABLE acc_src.payments (id int, amount numeric, card text);
INSERT INTO acc_src.payments VALUES (1, 10, '4111'), (2, 20, '4222');
RESET ROLE;

SET ROLE acc_dev;
SELECT dmesh.create_data_product('acc', 'payments', 'acc_src.payments') > 0 AS created;
SELECT dmesh.create_data_product('acc', 'totals',
    'SELECT sum(amount) AS total FROM acc_src.payments') > 0 AS created;
SELECT dmesh.publish_data_product('acc.payments');
SELECT dmesh.publish_data_product('acc.totals');
RESET ROLE;

-- Default deny: nobody but the owner reads a published product.
SET ROLE acc_analyst;
SELECT * FROM dmesh_acc.payments_v1;
SELECT * FROM dmesh_acc.totals_v1;
RESET ROLE;
SET ROLE acc_dev;
SELECT count(*) AS owner_reads FROM dmesh_acc.payments_v1;
RESET ROLE;

-- A grant opens the published relation, and only it.
SET ROLE acc_dev;
SELECT dmesh.grant_access('acc.payments', 'acc_analyst') > 0 AS granted;
SELECT dmesh.grant_access('acc.payments', 'acc_analyst') > 0 AS granted_again;
RESET ROLE;
SET ROLE acc_analyst;
SELECT * FROM dmesh_acc.payments_v1 ORDER BY id;
SELECT * FROM acc_src.payments;
SELECT * FROM dmesh_acc.totals_v1;
RESET ROLE;

-- A grant to a group role lets its members read.
SET ROLE acc_dev;
SELECT dmesh.grant_access('acc.totals', 'acc_bi') > 0 AS granted;
RESET ROLE;
SET ROLE acc_bi_user;
SELECT * FROM dmesh_acc.totals_v1;
SELECT * FROM dmesh_acc.payments_v1;
RESET ROLE;

-- A grant on a draft takes effect when the product is published.
SET ROLE acc_dev;
SELECT dmesh.create_data_product('acc', 'cards', 'SELECT id, card FROM acc_src.payments') > 0 AS created;
SELECT dmesh.grant_access('acc.cards', 'acc_analyst') > 0 AS granted;
RESET ROLE;
SET ROLE acc_analyst;
SELECT dmesh.product_relation('acc.cards');
RESET ROLE;
SET ROLE acc_dev;
SELECT dmesh.publish_data_product('acc.cards');
RESET ROLE;
SET ROLE acc_analyst;
SELECT * FROM dmesh_acc.cards_v1 ORDER BY id;
RESET ROLE;

-- Grants survive republication.
SET ROLE acc_dev;
SELECT dmesh.publish_data_product('acc.payments');
RESET ROLE;
SET ROLE acc_analyst;
SELECT count(*) FROM dmesh_acc.payments_v1;
RESET ROLE;

-- The catalog shows grants to the roles concerned only.
SELECT p.name, a.consumer, a.granted_by
  FROM dmesh.access_grant a JOIN dmesh.data_product p USING (product_id)
  JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'acc' ORDER BY 1, 2;
SET ROLE acc_analyst;
SELECT p.name, a.consumer FROM dmesh.access_grant a JOIN dmesh.data_product p USING (product_id) ORDER BY 1;
RESET ROLE;
SET ROLE acc_bi_user;
SELECT p.name, a.consumer FROM dmesh.access_grant a JOIN dmesh.data_product p USING (product_id) ORDER BY 1;
RESET ROLE;
SET ROLE acc_stranger;
SELECT count(*) AS grants_seen FROM dmesh.access_grant;
SELECT count(*) AS events_seen FROM dmesh.event_log;
RESET ROLE;
SET ROLE acc_dev;
SELECT count(*) AS grants_seen FROM dmesh.access_grant;
RESET ROLE;

-- Revoking closes access at once; revoking again is a no-op.
SET ROLE acc_dev;
SELECT dmesh.revoke_access('acc.payments', 'acc_analyst');
SELECT dmesh.revoke_access('acc.payments', 'acc_analyst');
RESET ROLE;
SET ROLE acc_analyst;
SELECT * FROM dmesh_acc.payments_v1;
SELECT * FROM dmesh_acc.cards_v1 ORDER BY id;
RESET ROLE;

-- Retired products take no new grants; their history stays.
SET ROLE acc_dev;
SELECT dmesh.retire_data_product('acc.cards');
SELECT dmesh.grant_access('acc.cards', 'acc_bi');
RESET ROLE;

SELECT action, object_identity, details->>'consumer' AS consumer
  FROM dmesh.event_log WHERE action IN ('grant_access', 'revoke_access')
   AND object_identity LIKE 'acc.%' ORDER BY event_id;

-- Null and unknown consumers.
SELECT dmesh.grant_access('acc.payments', NULL);
SELECT dmesh.grant_access('acc.payments', 'acc_nobody');
