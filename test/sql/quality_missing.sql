-- Quality checks, missing values: the missingValues metric with its
-- default list ([null]) and with lists of null, '' and 'N/A' on text
-- and char columns; numbers on integer and numeric columns (list
-- entries that cannot be values of the column are ignored); a sentinel
-- date; percent units and thresholds.
CREATE ROLE qmiss_team NOLOGIN;
SELECT dmesh.create_domain('qmiss', 'qmiss_team') > 0 AS created;
CREATE SCHEMA qmiss_src AUTHORIZATION qmiss_team;
SET ROLE qmiss_team;
CREATE TABLE qmiss_src.survey (
    id      integer,
    answer  text,
    code    char(5),
    score   integer,
    amount  numeric(8,2),
    born    date);
INSERT INTO qmiss_src.survey VALUES
    (1, 'yes', 'A1',  5,    10.50, '1980-05-01'),
    (2, '',    'N/A', -1,   0,     '1900-01-01'),
    (3, 'N/A', NULL,  NULL, NULL,  NULL),
    (4, NULL,  '',    0,    -1,    '1900-01-01'),
    (5, 'n/a', 'A2',  3,    -1.00, '1975-12-31'),
    (6, ' ',   'A3',  -1,   2,     '1990-07-14');

SELECT dmesh.create_data_product('qmiss', 'survey', 'qmiss_src.survey',
       contract => $y$
apiVersion: v3.1.0
kind: DataContract
id: qmiss-survey
version: 1.0.0
status: active
schema:
  - name: survey
    properties:
      - {name: id, logicalType: integer}
      - name: answer
        logicalType: string
        quality:
          - {name: answer_null, metric: missingValues, mustBe: 0}
          - {name: answer_missing, metric: missingValues, arguments: {missingValues: [null, '', N/A]}, mustBe: 0}
          - {name: answer_blank, metric: missingValues, arguments: {missingValues: ['', N/A]}, mustBeLessThan: 3}
          - {name: answer_share, metric: missingValues, arguments: {missingValues: [null, '', N/A]}, unit: percent, mustBeLessThan: 50}
      - name: code
        logicalType: string
        quality:
          - {name: code_missing, metric: missingValues, arguments: {missingValues: [N/A, '']}, mustBe: 2}
      - name: score
        logicalType: integer
        quality:
          - {name: score_sentinels, metric: missingValues, arguments: {missingValues: [null, -1, 0]}, mustBe: 0}
          - {name: score_mixed_list, metric: missingValues, arguments: {missingValues: [null, '', N/A, -1.0]}, mustBe: 3}
          - {name: score_share, metric: missingValues, arguments: {missingValues: [-1]}, unit: percent, mustBeLessThan: 40}
      - name: amount
        logicalType: number
        quality:
          - {name: amount_sentinel, metric: missingValues, arguments: {missingValues: [-1, 0.0]}, mustBeLessThan: 5}
      - name: born
        logicalType: date
        quality:
          - {name: born_sentinel, metric: missingValues, arguments: {missingValues: [null, '1900-01-01', N/A]}, mustBeLessThan: 2}
$y$) > 0 AS created;

-- answer: NULL once; NULL, '' and 'N/A' 3 times ('n/a' and ' ' are values);
-- '' and 'N/A' twice; 3 of 6 is 50%.
-- code (char(5): compared as PostgreSQL compares char values, trailing
-- blanks ignored): 'N/A' and '' twice, NULL not listed.
-- score: NULL, -1, 0 four times; '' and 'N/A' cannot be integers and are
-- ignored, -1.0 is -1: three; -1 in 2 of 6 rows is 33.3%.
-- amount: -1 and 0.0 match -1.00 and 0 (numeric equality): three.
-- born: NULL and the sentinel date three times ('N/A' cannot be a date).
SELECT rule, property, metric, passed, round(observed, 2) AS observed, expected, rows_checked
  FROM dmesh.check_product('qmiss.survey');

-- Replace the missing answers and the sentinel dates: those rules now
-- pass (one NULL date is left, below the threshold).
UPDATE qmiss_src.survey SET answer = 'no' WHERE answer IN ('', 'N/A') OR answer IS NULL;
UPDATE qmiss_src.survey SET born = '1985-01-01' WHERE born = '1900-01-01';
SELECT rule, passed, observed, expected
  FROM dmesh.check_product('qmiss.survey')
 WHERE property IN ('answer', 'born');
RESET ROLE;
