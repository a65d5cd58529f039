-- Quality runs and scores: each check_product stores a run and one result
-- per rule; the score weights rules by severity (error 3, warning 2,
-- info 1) and is NULL without rules; dmesh.quality_score shows the latest
-- run of each product, the marketplace and search show its score; only
-- managers of the product (domain owner and members, superusers) check.
CREATE ROLE qscore_team NOLOGIN;
CREATE ROLE qscore_member NOLOGIN;
CREATE ROLE qscore_reader NOLOGIN;
CREATE ROLE qscore_other NOLOGIN;
GRANT qscore_team TO qscore_member;
SELECT dmesh.create_domain('qscore', 'qscore_team') > 0 AS created;
CREATE SCHEMA qscore_src AUTHORIZATION qscore_team;
SET ROLE qscore_team;
CREATE TABLE qscore_src.orders (id integer, status text, amount numeric, note text);
INSERT INTO qscore_src.orders VALUES
    (1, 'new', 10, 'first'), (2, 'paid', 20, NULL), (3, 'lost', 30, 'third');
SELECT dmesh.create_data_product('qscore', 'orders', 'qscore_src.orders', 'Orders of the shop',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qscore-orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer, required: true}
      - name: status
        logicalType: string
        quality:
          - {name: known_status, metric: invalidValues, arguments: {validValues: [new, paid]}, mustBe: 0}
      - name: amount
        logicalType: number
        quality:
          - {name: has_amount, metric: nullValues, severity: warning, mustBe: 0}
      - name: note
        logicalType: string
        quality:
          - {name: has_note, metric: nullValues, severity: info, mustBe: 0}
$y$) > 0 AS created;
CREATE TABLE qscore_src.bare (id integer);
SELECT dmesh.create_data_product('qscore', 'bare', 'qscore_src.bare', contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qscore-bare
version: 1.0.0
status: active
schema:
  - name: bare
    properties:
      - {name: id, logicalType: integer}
$y$) > 0 AS created;
RESET ROLE;

-- Run 1: required (error) and has_amount (warning) pass; known_status
-- (error) and has_note (info) fail: 100 * (3 + 2) / (3 + 3 + 2 + 1) = 55.6.
SET ROLE qscore_team;
SELECT rule, passed, severity FROM dmesh.check_product('qscore.orders');
RESET ROLE;
SELECT q.contract_version, q.rows_checked, q.rules, q.passed, q.failed, q.score, q.checked_by,
       q.finished_at >= q.started_at AS finished_after_start
  FROM dmesh.quality_run q JOIN dmesh.quality_score s USING (run_id)
 WHERE s.domain = 'qscore' AND s.product = 'orders';
SELECT r.position, r.rule, r.property, r.metric, r.severity, r.passed, r.observed, r.expected, r.rows_checked
  FROM dmesh.quality_result r JOIN dmesh.quality_score s USING (run_id)
 WHERE s.domain = 'qscore' AND s.product = 'orders'
 ORDER BY r.position;

-- Run 2 by a member of the team, after fixing the status: only the info
-- rule fails, 100 * 8 / 9 = 88.9.  Run 3 as superuser, all fixed: 100.
UPDATE qscore_src.orders SET status = 'paid' WHERE id = 3;
SET ROLE qscore_member;
SELECT count(*) FILTER (WHERE passed) AS passed, count(*) AS rules FROM dmesh.check_product('qscore.orders');
RESET ROLE;
SELECT score, rules, passed, failed, contract_version FROM dmesh.quality_score WHERE domain = 'qscore';
UPDATE qscore_src.orders SET note = 'second' WHERE id = 2;
SELECT count(*) FILTER (WHERE passed) AS passed, count(*) AS rules FROM dmesh.check_product('qscore.orders');
-- The view shows the latest run only; every run is kept.
SELECT s.product, s.score, s.rules, s.passed, s.failed, s.rows_checked,
       s.run_id = (SELECT max(run_id) FROM dmesh.quality_run q WHERE q.product_id = p.product_id) AS latest,
       s.checked_at = (SELECT finished_at FROM dmesh.quality_run q WHERE q.run_id = s.run_id) AS checked_at
  FROM dmesh.quality_score s
  JOIN dmesh.domain d ON d.name = s.domain
  JOIN dmesh.data_product p ON p.domain_id = d.domain_id AND p.name = s.product
 WHERE s.domain = 'qscore';
SELECT q.score, CASE WHEN q.checked_by = current_user THEN '(superuser)' ELSE q.checked_by END AS checked_by
  FROM dmesh.quality_run q JOIN dmesh.data_product p USING (product_id)
  JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'qscore' AND p.name = 'orders'
 ORDER BY q.run_id;

-- A contract without rules: an empty run, score NULL.
SET ROLE qscore_team;
SELECT count(*) AS results FROM dmesh.check_product('qscore.bare');
RESET ROLE;
SELECT product, score, rules, passed, failed, rows_checked FROM dmesh.quality_score
 WHERE domain = 'qscore' ORDER BY product;

-- Published: the marketplace and search show the latest score.
SET ROLE qscore_team;
SELECT dmesh.publish_data_product('qscore.orders') IS NOT NULL AS published;
SELECT dmesh.grant_access('qscore.orders', 'qscore_reader') > 0 AS granted;
RESET ROLE;
SELECT m.product, m.quality_score,
       m.quality_checked_at = (SELECT checked_at FROM dmesh.quality_score s
                                WHERE s.domain = m.domain AND s.product = m.product) AS checked_at
  FROM dmesh.marketplace m WHERE m.domain = 'qscore';
SELECT domain, product, quality_score, quality_checked_at IS NOT NULL AS checked
  FROM dmesh.search('shop orders') WHERE domain = 'qscore';

-- Others cannot check, consumers included; a refused check stores nothing.
SET ROLE qscore_other;
SELECT * FROM dmesh.check_product('qscore.orders');
RESET ROLE;
SET ROLE qscore_reader;
SELECT * FROM dmesh.check_product('qscore.orders');
SELECT * FROM dmesh.check_product('qscore.nothing');
RESET ROLE;
SELECT count(*) AS runs FROM dmesh.quality_run q JOIN dmesh.data_product p USING (product_id)
  JOIN dmesh.domain d USING (domain_id)
 WHERE d.name = 'qscore';
