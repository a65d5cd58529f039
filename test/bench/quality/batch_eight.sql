-- Part B: product bench.eight over :src with all eight rules: the six of
-- bench.six plus the email pattern and uniqueness of id.  Run in one
-- transaction.
SELECT dmesh.create_data_product('bench', 'eight', :'src',
    description => 'batch-check bench: eight rules',
    contract => $yaml$
apiVersion: v3.1.0
kind: DataContract
id: bench-eight
version: 1.0.0
status: active
schema:
  - name: eight
    properties:
      - name: id
        logicalType: integer
        quality:
          - metric: duplicateValues
            mustBe: 0
      - name: email
        logicalType: string
        required: true
        logicalTypeOptions:
          pattern: '^[^@ ]+@[^@ ]+$'
      - name: amount
        logicalType: number
        logicalTypeOptions:
          minimum: 0
          maximum: 1000000
      - name: status
        logicalType: string
        quality:
          - metric: invalidValues
            arguments:
              validValues: [new, paid, shipped, cancelled]
            mustBe: 0
      - name: country
        logicalType: string
        logicalTypeOptions:
          maxLength: 2
      - name: qty
        logicalType: integer
        quality:
          - metric: nullValues
            mustBe: 0
    quality:
      - metric: rowCount
        mustBeGreaterThan: 0
$yaml$);
