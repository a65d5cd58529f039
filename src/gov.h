/*-------------------------------------------------------------------------
 *
 * gov.h
 *		Governance: access agreements and requests, conditions users write,
 *		masks, publish policies, and the published views they shape.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DMESH_GOV_H
#define DMESH_GOV_H

#include "contract.h"

#include "utils/array.h"

/* Limit on the names of policies, in bytes (gov_policy.c). */
#define DMESH_MAX_POLICY_NAME_BYTES	200

/* ---------- gov_access.c ---------- */

extern int64 dmesh_make_agreement(const DmeshProduct *product, Oid consumer, const char *filter,
								  Oid filter_author, const char *purpose, Datum expires_at, bool expires_null,
								  ArrayType *unmask, int64 request_id, Oid caller);

/* ---------- gov_views.c ---------- */

extern char *dmesh_port_select(const DmeshProduct *product, const DmeshContract *contract);
extern char *dmesh_port_source(const DmeshProduct *product, const DmeshContract *contract);
extern char *dmesh_port_query(const DmeshProduct *product, const DmeshContract *contract);
extern int	dmesh_mask_code(const char *mask);
extern List *dmesh_masked_columns(const DmeshProduct *product, const DmeshContract *contract,
								  ArrayType *unmask);

/* ---------- gov_condition.c ---------- */

extern char *dmesh_check_row_filter(const DmeshProduct *product, const DmeshContract *contract,
									const char *filter, Oid author);
extern void dmesh_check_policy_expression(const char *expr, Oid author);
extern bool dmesh_row_filter_fits(const char *filter, const DmeshContract *object);

/* ---------- gov_agreement.c, gov_mask.c: the masks' codes in published views ---------- */

#define DMESH_MASK_HASH		1
#define DMESH_MASK_REDACT	2
#define DMESH_MASK_PARTIAL	3
#define DMESH_MASK_NULL		4
extern bool dmesh_sees_clear(FunctionCallInfo fcinfo, int first, int unmasked_by);

/* ---------- gov_policy.c ---------- */

extern void dmesh_require_publish_policies(const DmeshProduct *product, Oid caller);

#endif							/* DMESH_GOV_H */
