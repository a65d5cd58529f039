-- Part B: product bench.six over :src with six rules (no pattern, no
-- uniqueness).  Run in one transaction.
SELECT dmesh.create_data_product('bench', 'six', :'src',
    description => 'batch-check bench: six rules',
    contract => $yaml$
apiVersion: v3.1.0
kind: DataContract
id: bench-six
version: 1.0.0
status: active
schema:
  - name: six
    properties:
      - name: email
        logicalType: string
        required: true
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
