/*-------------------------------------------------------------------------
 *
 * product_odps_tables.c
 *		The keys, types and conditionals of each ODPS version, as
 *		contract_validate.c walks them.
 *
 * GENERATED FILE: do not edit.  Made by scripts/odcs_schema_tables.py from
 * the JSON Schemas of the Open Data Product Standard (schema/ in the
 * standard's repository):
 *
 *	python3 scripts/odcs_schema_tables.py --standard ODPS \
 *		--document "data product" --alias v0.9.0=v1.0.0 \
 *		odps-json-schema-v1.0.0.json \
 *		> src/product_odps_tables.c
 *
 * Versions: v1.0.0.
 * Documents that declare v0.9.0 are checked as v1.0.0.
 *
 * Not checked (accepted as written), by schema location:
 *	v1.0.0 #/properties/productCreatedTs: format not checked
 *	v1.0.0 #/$defs/AuthoritativeDefinition/properties/url: format not checked
 *	v1.0.0 #/$defs/ManagementPort/properties/url: format not checked
 *	v1.0.0 #/$defs/Support/properties/url: format not checked
 *	v1.0.0 #/$defs/Support/properties/invitationUrl: format not checked
 *	v1.0.0 #/$defs/SBOM/properties/url: format not checked
 *	v1.0.0 #/$defs/TeamMember/properties/dateIn: format not checked
 *	v1.0.0 #/$defs/TeamMember/properties/dateOut: format not checked
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "product.h"

static const char *const strings[] = {
	/*    0 */ "v0.9.0",
	/*    1 */ "v1.0.0",
	/*    2 */ "DataProduct",
	/*    3 */ "apiVersion",
	/*    4 */ "kind",
	/*    5 */ "id",
	/*    6 */ "status",
	/*    7 */ "type",
	/*    8 */ "url",
	/*    9 */ "property",
	/*   10 */ "value",
	/*   11 */ "name",
	/*   12 */ "version",
	/*   13 */ "contractId",
	/*   14 */ "name",
	/*   15 */ "content",
	/*   16 */ "name",
	/*   17 */ "version",
	/*   18 */ "channel",
	/*   19 */ "url",
	/*   20 */ "id",
	/*   21 */ "version",
	/*   22 */ "url",
	/*   23 */ "username",
};

static const StdDef defs[] = {
	/* types, flags, enum first, enum count, kind, items */
	/*    0 */ {STD_T_STRING, 0, 0, 2, -1, -1},
	/*    1 */ {STD_T_OBJECT, 0, 0, 0, 1, -1},
	/*    2 */ {STD_T_ARRAY, 0, 0, 0, -1, 1},
	/*    3 */ {STD_T_OBJECT, 0, 0, 0, 2, -1},
	/*    4 */ {STD_T_ARRAY, 0, 0, 0, -1, 3},
	/*    5 */ {STD_T_OBJECT, 0, 0, 0, 3, -1},
	/*    6 */ {STD_T_STRING, 0, 0, 0, -1, -1},
	/*    7 */ {STD_T_OBJECT, 0, 0, 0, 4, -1},
	/*    8 */ {STD_T_ARRAY, 0, 0, 0, -1, 7},
	/*    9 */ {STD_T_STRING, 0, 2, 1, -1, -1},
	/*   10 */ {STD_T_OBJECT, 0, 0, 0, 5, -1},
	/*   11 */ {STD_T_ARRAY, 0, 0, 0, -1, 10},
	/*   12 */ {STD_T_OBJECT, 0, 0, 0, 6, -1},
	/*   13 */ {STD_T_ARRAY, 0, 0, 0, -1, 12},
	/*   14 */ {STD_T_OBJECT, 0, 0, 0, 7, -1},
	/*   15 */ {STD_T_ARRAY, 0, 0, 0, -1, 14},
	/*   16 */ {STD_T_ARRAY, 0, 0, 0, -1, 6},
	/*   17 */ {STD_T_OBJECT, 0, 0, 0, 8, -1},
	/*   18 */ {STD_T_OBJECT, 0, 0, 0, 9, -1},
	/*   19 */ {STD_T_ARRAY, 0, 0, 0, -1, 18},
	/*   20 */ {STD_T_OBJECT, 0, 0, 0, 10, -1},
	/*   21 */ {STD_T_ARRAY, 0, 0, 0, -1, 20},
	/*   22 */ {STD_T_OBJECT, 0, 0, 0, 11, -1},
	/*   23 */ {STD_T_ARRAY, 0, 0, 0, -1, 22},
};

static const StdKey keys[] = {
	/*    0 */ {"apiVersion", 0},
	/*    1 */ {"authoritativeDefinitions", 2},
	/*    2 */ {"customProperties", 4},
	/*    3 */ {"description", 5},
	/*    4 */ {"domain", 6},
	/*    5 */ {"id", 6},
	/*    6 */ {"inputPorts", 8},
	/*    7 */ {"kind", 9},
	/*    8 */ {"managementPorts", 11},
	/*    9 */ {"name", 6},
	/*   10 */ {"outputPorts", 13},
	/*   11 */ {"productCreatedTs", 6},
	/*   12 */ {"status", 6},
	/*   13 */ {"support", 15},
	/*   14 */ {"tags", 16},
	/*   15 */ {"team", 17},
	/*   16 */ {"tenant", 6},
	/*   17 */ {"version", 6},
	/*   18 */ {"description", 6},
	/*   19 */ {"type", 6},
	/*   20 */ {"url", 6},
	/*   21 */ {"description", 6},
	/*   22 */ {"property", 6},
	/*   23 */ {"value", -1},
	/*   24 */ {"authoritativeDefinitions", 2},
	/*   25 */ {"customProperties", 4},
	/*   26 */ {"limitations", 6},
	/*   27 */ {"purpose", 6},
	/*   28 */ {"usage", 6},
	/*   29 */ {"authoritativeDefinitions", 2},
	/*   30 */ {"contractId", 6},
	/*   31 */ {"customProperties", 4},
	/*   32 */ {"name", 6},
	/*   33 */ {"tags", 16},
	/*   34 */ {"version", 6},
	/*   35 */ {"authoritativeDefinitions", 2},
	/*   36 */ {"channel", 6},
	/*   37 */ {"content", 6},
	/*   38 */ {"customProperties", 4},
	/*   39 */ {"description", 6},
	/*   40 */ {"name", 6},
	/*   41 */ {"tags", 16},
	/*   42 */ {"type", 6},
	/*   43 */ {"url", 6},
	/*   44 */ {"authoritativeDefinitions", 2},
	/*   45 */ {"contractId", 6},
	/*   46 */ {"customProperties", 4},
	/*   47 */ {"description", 6},
	/*   48 */ {"inputContracts", 19},
	/*   49 */ {"name", 6},
	/*   50 */ {"sbom", 21},
	/*   51 */ {"tags", 16},
	/*   52 */ {"type", 6},
	/*   53 */ {"version", 6},
	/*   54 */ {"authoritativeDefinitions", 2},
	/*   55 */ {"channel", 6},
	/*   56 */ {"customProperties", 4},
	/*   57 */ {"description", 6},
	/*   58 */ {"invitationUrl", 6},
	/*   59 */ {"scope", 6},
	/*   60 */ {"tags", 16},
	/*   61 */ {"tool", 6},
	/*   62 */ {"url", 6},
	/*   63 */ {"authoritativeDefinitions", 2},
	/*   64 */ {"customProperties", 4},
	/*   65 */ {"description", 6},
	/*   66 */ {"members", 23},
	/*   67 */ {"name", 6},
	/*   68 */ {"tags", 16},
	/*   69 */ {"id", 6},
	/*   70 */ {"version", 6},
	/*   71 */ {"type", 6},
	/*   72 */ {"url", 6},
	/*   73 */ {"authoritativeDefinitions", 2},
	/*   74 */ {"customProperties", 4},
	/*   75 */ {"dateIn", 6},
	/*   76 */ {"dateOut", 6},
	/*   77 */ {"description", 6},
	/*   78 */ {"name", 6},
	/*   79 */ {"replacedByUsername", 6},
	/*   80 */ {"role", 6},
	/*   81 */ {"tags", 16},
	/*   82 */ {"username", 6},
};

static const StdKind kinds[] = {
	/* where, closed, keys, required, forbidden, one of, conds, same kind in each version */
	/*    0 v1.0.0 (data product) */
	{"(data product)", true, 0, 18, 3, 4, 0, 0, 0, 0, 0, 0, {-1}},
	/*    1 v1.0.0 authoritativeDefinitions[] */
	{"authoritativeDefinitions[]", true, 18, 3, 7, 2, 0, 0, 0, 0, 0, 0, {-1}},
	/*    2 v1.0.0 customProperties[] */
	{"customProperties[]", true, 21, 3, 9, 2, 0, 0, 0, 0, 0, 0, {-1}},
	/*    3 v1.0.0 description */
	{"description", true, 24, 5, 0, 0, 0, 0, 0, 0, 0, 0, {-1}},
	/*    4 v1.0.0 inputPorts[] */
	{"inputPorts[]", true, 29, 6, 11, 3, 0, 0, 0, 0, 0, 0, {-1}},
	/*    5 v1.0.0 managementPorts[] */
	{"managementPorts[]", true, 35, 9, 14, 2, 0, 0, 0, 0, 0, 0, {-1}},
	/*    6 v1.0.0 outputPorts[] */
	{"outputPorts[]", true, 44, 10, 16, 2, 0, 0, 0, 0, 0, 0, {-1}},
	/*    7 v1.0.0 support[] */
	{"support[]", true, 54, 9, 18, 2, 0, 0, 0, 0, 0, 0, {-1}},
	/*    8 v1.0.0 team */
	{"team", true, 63, 6, 0, 0, 0, 0, 0, 0, 0, 0, {-1}},
	/*    9 v1.0.0 outputPorts[].inputContracts[] */
	{"outputPorts[].inputContracts[]", true, 69, 2, 20, 2, 0, 0, 0, 0, 0, 0, {-1}},
	/*   10 v1.0.0 outputPorts[].sbom[] */
	{"outputPorts[].sbom[]", true, 71, 2, 22, 1, 0, 0, 0, 0, 0, 0, {-1}},
	/*   11 v1.0.0 team.members[] */
	{"team.members[]", true, 73, 10, 23, 1, 0, 0, 0, 0, 0, 0, {-1}},
};

static const StdVersion versions[] = {
	{"v1.0.0", 0},
};

static const StdAlias aliases[] = {
	{"v0.9.0", 0},
};

const DmeshStandard odps_standard = {
	"ODPS", "data product",
	strings, defs, keys, NULL, kinds, lengthof(kinds),
	versions, lengthof(versions),
	aliases, lengthof(aliases)
};
