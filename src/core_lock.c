/*-------------------------------------------------------------------------
 *
 * core_lock.c
 *		Waiting for a lock on a relation, for at most dmesh.lock_timeout.
 *
 * dmesh's own DDL (rewriting a published view, renaming a refreshed
 * table, adding enforcement triggers) needs strong locks on relations
 * that any role may hold a weak lock on: a session that merely prepares
 * a statement naming a published view holds AccessShareLock on it until
 * its transaction ends, with no privilege at all.  So dmesh never waits
 * for such a lock longer than dmesh.lock_timeout: it takes the lock
 * before running the DDL, first without waiting, then in the lock queue
 * with lock_timeout set.  When it gives up, the error (SQLSTATE 55P03)
 * names the relation and the sessions that held it (process and role),
 * as they were when dmesh began to wait.  The background worker records
 * such an error with the job and tries again at its next round.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/sinvaladt.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "dmesh.h"

typedef struct LockWait
{
	const char *relation;
	const char *holders;
} LockWait;

static void
lock_wait_context(void *arg)
{
	LockWait   *w = arg;

	if (w->holders[0] != '\0')
		errcontext("dmesh waited at most dmesh.lock_timeout (%d ms) for a lock on %s, held by %s",
				   dmesh_lock_timeout, w->relation, w->holders);
	else
		errcontext("dmesh waited at most dmesh.lock_timeout (%d ms) for a lock on %s",
				   dmesh_lock_timeout, w->relation);
}

/*
 * The sessions holding locks on the relation that conflict with "mode",
 * as "process 123 (role "x")", comma-separated.
 */
static char *
describe_holders(Oid relid, LOCKMODE mode)
{
	LOCKTAG		tag;
	VirtualTransactionId *vxids;
	StringInfoData buf;
	int			n = 0;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	vxids = GetLockConflicts(&tag, mode, NULL);
	initStringInfo(&buf);
	for (; VirtualTransactionIdIsValid(vxids[n]); n++)
	{
		PGPROC	   *proc = BackendIdGetProc(vxids[n].backendId);

		if (proc == NULL)
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		if (buf.len > 200)
		{
			appendStringInfoString(&buf, "...");
			break;
		}
		appendStringInfo(&buf, "process %d (role \"%s\")", proc->pid,
						 dmesh_role_name(proc->roleId));
	}
	return buf.data;
}

/*
 * Lock a relation in "mode" for the rest of the transaction, waiting at
 * most dmesh.lock_timeout (and never longer than lock_timeout, if that is
 * shorter).
 */
void
dmesh_lock_relation(Oid relid, LOCKMODE mode)
{
	LockWait	wait;
	ErrorContextCallback callback;
	int			nestlevel;

	if (ConditionalLockRelationOid(relid, mode))
		return;

	wait.relation = dmesh_qualified_relname(relid);
	wait.holders = describe_holders(relid, mode);
	callback.callback = lock_wait_context;
	callback.arg = &wait;
	callback.previous = error_context_stack;
	error_context_stack = &callback;

	nestlevel = NewGUCNestLevel();
	if (dmesh_lock_timeout > 0 && (LockTimeout == 0 || LockTimeout > dmesh_lock_timeout))
		(void) set_config_option("lock_timeout", psprintf("%d", dmesh_lock_timeout),
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	LockRelationOid(relid, mode);
	AtEOXact_GUC(true, nestlevel);

	error_context_stack = callback.previous;
}
