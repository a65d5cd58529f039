-- Part A, dmesh variant: bench_src.w_dmesh is the source of the product
-- bench.w_dmesh, whose contract holds the 4 rules, enforced on writes.
-- Run in one transaction; the domain bench is created by run.sh.
SELECT dmesh.create_data_product('bench', 'w_dmesh', 'bench_src.w_dmesh',
    description => 'write-path bench: 4 rules enforced on insert',
    contract => $yaml$
apiVersion: v3.1.0
kind: DataContract
id: bench-w
version: 1.0.0
status: active
schema:
  - name: w_dmesh
    properties:
      - name: id
        logicalType: integer
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
$yaml$);
SELECT dmesh.enforce_contract('bench.w_dmesh', 'reject');
