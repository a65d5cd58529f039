/*-------------------------------------------------------------------------
 *
 * fed_sub_worker.c
 *		The worker's check of subscriptions to peers' products: each round,
 *		when this database has any, dmesh.check_subscriptions() reads each
 *		peer (as each subscriber) and opens or resolves upstream_change
 *		incidents.  A database whose dmesh predates subscriptions, or that
 *		subscribes to nothing, makes no connection.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"

#include "dmesh.h"
#include "fed_sub.h"

/* Called inside a worker job (a transaction, SPI connected). */
void
dmesh_fed_sub_check(void)
{
	char	   *known;

	(void) dmesh_spi_exec("SELECT pg_catalog.to_regprocedure('dmesh.check_subscriptions()') IS NOT NULL",
						  NULL, SPI_OK_SELECT);
	known = dmesh_spi_text(0, 1);
	if (known == NULL || strcmp(known, "t") != 0)
		return;
	(void) dmesh_spi_exec("SELECT 1 FROM dmesh.subscription LIMIT 1", NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return;
	(void) dmesh_spi_exec("SELECT dmesh.check_subscriptions()", NULL, SPI_OK_SELECT);
}
