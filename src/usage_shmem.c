/*-------------------------------------------------------------------------
 *
 * usage_shmem.c
 *		The shared-memory table of usage and runtime-lineage counters.
 *
 * With shared_preload_libraries = 'dmesh', one hash table in shared memory
 * holds, per database:
 *   reads: (published relation, reading role) -> queries, rows returned,
 *          first and last read, the relation's columns referenced;
 *   writes: (written relation, relation read, writing role, kind of
 *          statement) -> statements, rows written, first and last time.
 * Its size is fixed at start (dmesh.usage_max_entries).  When it is full,
 * counts for pairs not yet in it are not kept: they are counted in
 * "dropped" (dmesh.usage_status()) and a warning is logged once until
 * the next flush frees entries.  Writes between relations outside every
 * data product are "bounded": each role may hold at most
 * dmesh.usage_max_entries_per_role of them (a second table counts them),
 * so no role can fill the table with writes of its own and starve the
 * counts of products' reads and writes.  dmesh.flush_usage() (usage_hook.c) moves a
 * database's counters into its catalog; entries leave the table only once
 * that transaction commits.
 *
 * On a clean shutdown the postmaster writes the table to
 * pg_stat/dmesh_usage.stat and reads it back at the next start, so a
 * restart loses nothing; a crash loses what was not flushed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "dmesh.h"
#include "usage.h"

#define USAGE_DUMP_FILE		"pg_stat/dmesh_usage.stat"
#define USAGE_FILE_HEADER_V1	0x444d5531	/* "DMU1": entries without "bounded" */
#define USAGE_FILE_HEADER	0x444d5532	/* "DMU2" */

typedef struct UsageShared
{
	LWLock	   *lock;			/* shared: update entries; exclusive: add or remove */
	slock_t		mutex;			/* protects dropped and warned */
	int64		dropped;		/* counts not kept because the table was full */
	bool		warned;			/* full-table warning logged since the last flush */
} UsageShared;

typedef struct UsageEntry
{
	DmeshUsageKey key;
	bool		bounded;		/* counts against its role's share */
	slock_t		mutex;
	DmeshUsageCounts counts;
} UsageEntry;

/* How many bounded entries a role holds. */
typedef struct RoleShareKey
{
	Oid			dbid;
	Oid			roleid;
} RoleShareKey;

typedef struct RoleShare
{
	RoleShareKey key;
	int			entries;
} RoleShare;

bool		dmesh_usage_available = false;

static UsageShared *usage_shared = NULL;
static HTAB *usage_hash = NULL;
static HTAB *role_hash = NULL;	/* under the same lock */
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
usage_memsize(void)
{
	return add_size(add_size(MAXALIGN(sizeof(UsageShared)),
							 hash_estimate_size(dmesh_usage_max_entries, sizeof(UsageEntry))),
					hash_estimate_size(dmesh_usage_max_entries, sizeof(RoleShare)));
}

static void
usage_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(usage_memsize());
	RequestNamedLWLockTranche("dmesh usage", 1);
}

/* Write the table to disk at shutdown (postmaster only). */
static void
usage_shmem_shutdown(int code, Datum arg)
{
	FILE	   *file;
	HASH_SEQ_STATUS status;
	UsageEntry *entry;
	uint32		header = USAGE_FILE_HEADER;
	int64		count;

	/* Not after a crash: the table may be inconsistent. */
	if (code != 0 || usage_shared == NULL)
		return;
	file = AllocateFile(USAGE_DUMP_FILE ".tmp", PG_BINARY_W);
	if (file == NULL)
		goto error;
	count = hash_get_num_entries(usage_hash);
	if (fwrite(&header, sizeof(header), 1, file) != 1 ||
		fwrite(&count, sizeof(count), 1, file) != 1)
		goto error;
	hash_seq_init(&status, usage_hash);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (fwrite(&entry->key, sizeof(entry->key), 1, file) != 1 ||
			fwrite(&entry->bounded, sizeof(entry->bounded), 1, file) != 1 ||
			fwrite(&entry->counts, sizeof(entry->counts), 1, file) != 1)
		{
			hash_seq_term(&status);
			goto error;
		}
	}
	if (FreeFile(file))
	{
		file = NULL;
		goto error;
	}
	(void) durable_rename(USAGE_DUMP_FILE ".tmp", USAGE_DUMP_FILE, LOG);
	return;

error:
	ereport(LOG,
			(errcode_for_file_access(),
			 errmsg("could not write file \"%s\": %m", USAGE_DUMP_FILE ".tmp")));
	if (file)
		FreeFile(file);
	unlink(USAGE_DUMP_FILE ".tmp");
}

/* One more (or one less) bounded entry of a role; false if it holds its share. */
static bool
role_share_add(const DmeshUsageKey *key, int delta)
{
	RoleShareKey rkey;
	RoleShare  *share;
	bool		found;

	memset(&rkey, 0, sizeof(rkey));
	rkey.dbid = key->dbid;
	rkey.roleid = key->roleid;
	if (delta > 0)
	{
		share = hash_search(role_hash, &rkey, HASH_ENTER_NULL, &found);
		if (share == NULL)
			return false;
		if (!found)
			share->entries = 0;
		if (share->entries >= dmesh_usage_max_entries_per_role)
		{
			if (share->entries == 0)
				(void) hash_search(role_hash, &rkey, HASH_REMOVE, NULL);
			return false;
		}
		share->entries++;
		return true;
	}
	share = hash_search(role_hash, &rkey, HASH_FIND, NULL);
	if (share != NULL && --share->entries <= 0)
		(void) hash_search(role_hash, &rkey, HASH_REMOVE, NULL);
	return true;
}

/* Read the table written at the last shutdown, then remove the file. */
static void
usage_load_file(void)
{
	FILE	   *file = AllocateFile(USAGE_DUMP_FILE, PG_BINARY_R);
	uint32		header;
	int64		count;

	if (file == NULL)
	{
		if (errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", USAGE_DUMP_FILE)));
		return;
	}
	if (fread(&header, sizeof(header), 1, file) != 1 ||
		(header != USAGE_FILE_HEADER && header != USAGE_FILE_HEADER_V1) ||
		fread(&count, sizeof(count), 1, file) != 1)
	{
		ereport(LOG, (errmsg("ignoring file \"%s\": not a dmesh usage file", USAGE_DUMP_FILE)));
		count = 0;
	}
	for (int64 i = 0; i < count; i++)
	{
		DmeshUsageKey key;
		DmeshUsageCounts counts;
		bool		bounded = false;
		UsageEntry *entry;
		bool		found;

		if (fread(&key, sizeof(key), 1, file) != 1 ||
			(header == USAGE_FILE_HEADER && fread(&bounded, sizeof(bounded), 1, file) != 1) ||
			fread(&counts, sizeof(counts), 1, file) != 1)
		{
			ereport(LOG, (errmsg("file \"%s\" is truncated", USAGE_DUMP_FILE)));
			break;
		}
		if (hash_get_num_entries(usage_hash) >= dmesh_usage_max_entries)
			break;
		if (bounded && !role_share_add(&key, 1))
			continue;
		entry = hash_search(usage_hash, &key, HASH_ENTER_NULL, &found);
		if (entry == NULL)
			break;
		if (!found)
			SpinLockInit(&entry->mutex);
		entry->bounded = bounded;
		entry->counts = counts;
	}
	FreeFile(file);
	unlink(USAGE_DUMP_FILE);
}

static void
usage_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	usage_shared = ShmemInitStruct("dmesh usage", sizeof(UsageShared), &found);
	if (!found)
	{
		usage_shared->lock = &(GetNamedLWLockTranche("dmesh usage"))->lock;
		SpinLockInit(&usage_shared->mutex);
		usage_shared->dropped = 0;
		usage_shared->warned = false;
	}
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(DmeshUsageKey);
	info.entrysize = sizeof(UsageEntry);
	usage_hash = ShmemInitHash("dmesh usage counters", dmesh_usage_max_entries,
							   dmesh_usage_max_entries, &info, HASH_ELEM | HASH_BLOBS);
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(RoleShareKey);
	info.entrysize = sizeof(RoleShare);
	role_hash = ShmemInitHash("dmesh usage role shares", dmesh_usage_max_entries,
							  dmesh_usage_max_entries, &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);

	if (!IsUnderPostmaster)
	{
		on_shmem_exit(usage_shmem_shutdown, (Datum) 0);
		if (!found)
			usage_load_file();
	}
}

/* Called from _PG_init while shared_preload_libraries are loaded. */
void
dmesh_usage_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = usage_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = usage_shmem_startup;
	dmesh_usage_available = true;
}

static void
merge_counts(DmeshUsageCounts *into, const DmeshUsageCounts *add)
{
	into->count += add->count;
	into->rows += add->rows;
	if (into->first == 0 || (add->first != 0 && add->first < into->first))
		into->first = add->first;
	if (add->last > into->last)
		into->last = add->last;
	for (int i = 0; i < DMESH_USAGE_COLUMN_WORDS; i++)
		into->columns[i] |= add->columns[i];
}

/*
 * Add counts under a key; false if the table is full, or the key is
 * "bounded" (a write between relations outside every product) and its
 * role already holds dmesh.usage_max_entries_per_role such keys: one role
 * cannot fill the table with its own writes.  Counts not kept are counted
 * as dropped.
 */
bool
dmesh_usage_add(const DmeshUsageKey *key, const DmeshUsageCounts *counts, bool bounded)
{
	UsageEntry *entry;
	bool		found;

	if (usage_hash == NULL)
		return false;
	LWLockAcquire(usage_shared->lock, LW_SHARED);
	entry = hash_search(usage_hash, key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		bool		full;

		/* a new key: take the lock exclusively to add it */
		LWLockRelease(usage_shared->lock);
		LWLockAcquire(usage_shared->lock, LW_EXCLUSIVE);
		/* the table may not grow past its size (shared hash tables could) */
		entry = hash_search(usage_hash, key, HASH_FIND, &found);
		full = hash_get_num_entries(usage_hash) >= dmesh_usage_max_entries;
		if (entry == NULL && !full && (!bounded || role_share_add(key, 1)))
		{
			entry = hash_search(usage_hash, key, HASH_ENTER_NULL, &found);
			if (entry == NULL && bounded)
				(void) role_share_add(key, -1);
		}
		if (entry == NULL)
		{
			bool		warn;

			SpinLockAcquire(&usage_shared->mutex);
			usage_shared->dropped += counts->count;
			warn = full && !usage_shared->warned;
			if (warn)
				usage_shared->warned = true;
			SpinLockRelease(&usage_shared->mutex);
			LWLockRelease(usage_shared->lock);
			if (warn)
				ereport(LOG,
						(errmsg("dmesh usage table is full (%d entries): new counts are dropped until the next flush",
								dmesh_usage_max_entries),
						 errhint("Run dmesh.flush_usage() more often, or raise dmesh.usage_max_entries.")));
			return false;
		}
		if (!found)
		{
			SpinLockInit(&entry->mutex);
			entry->bounded = bounded;
			memset(&entry->counts, 0, sizeof(entry->counts));
		}
	}
	SpinLockAcquire(&entry->mutex);
	merge_counts(&entry->counts, counts);
	SpinLockRelease(&entry->mutex);
	LWLockRelease(usage_shared->lock);
	return true;
}

/*
 * A copy of the entries of one database, in CurrentMemoryContext: *n
 * entries of keys and counts.
 */
void
dmesh_usage_snapshot(Oid dbid, DmeshUsageKey **keys, DmeshUsageCounts **counts, int *n)
{
	HASH_SEQ_STATUS status;
	UsageEntry *entry;
	int			max;

	*n = 0;
	*keys = NULL;
	*counts = NULL;
	if (usage_hash == NULL)
		return;
	LWLockAcquire(usage_shared->lock, LW_SHARED);
	max = Max(hash_get_num_entries(usage_hash), 1);
	*keys = palloc(sizeof(DmeshUsageKey) * max);
	*counts = palloc(sizeof(DmeshUsageCounts) * max);
	hash_seq_init(&status, usage_hash);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid != dbid)
			continue;
		(*keys)[*n] = entry->key;
		SpinLockAcquire(&entry->mutex);
		(*counts)[*n] = entry->counts;
		SpinLockRelease(&entry->mutex);
		(*n)++;
	}
	LWLockRelease(usage_shared->lock);
}

/*
 * Take flushed counts away (after the flush committed): entries left with
 * nothing are removed.  Must not fail: called at commit.
 */
void
dmesh_usage_subtract(const DmeshUsageKey *keys, const DmeshUsageCounts *counts, int n)
{
	if (usage_hash == NULL || n == 0)
		return;
	LWLockAcquire(usage_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
	{
		UsageEntry *entry = hash_search(usage_hash, &keys[i], HASH_FIND, NULL);

		if (entry == NULL)
			continue;
		entry->counts.count -= counts[i].count;
		entry->counts.rows -= counts[i].rows;
		if (entry->counts.count <= 0)
		{
			if (entry->bounded)
				(void) role_share_add(&keys[i], -1);
			(void) hash_search(usage_hash, &keys[i], HASH_REMOVE, NULL);
		}
		else
		{
			/* later counts: what they read is kept; times start after the flush */
			entry->counts.first = counts[i].last;
		}
	}
	SpinLockAcquire(&usage_shared->mutex);
	usage_shared->warned = false;
	SpinLockRelease(&usage_shared->mutex);
	LWLockRelease(usage_shared->lock);
}

/* Entries in use, the table's size, and counts dropped because it was full. */
void
dmesh_usage_status(int64 *entries, int64 *max_entries, int64 *dropped)
{
	*entries = 0;
	*max_entries = dmesh_usage_max_entries;
	*dropped = 0;
	if (usage_hash == NULL)
		return;
	LWLockAcquire(usage_shared->lock, LW_SHARED);
	*entries = hash_get_num_entries(usage_hash);
	SpinLockAcquire(&usage_shared->mutex);
	*dropped = usage_shared->dropped;
	SpinLockRelease(&usage_shared->mutex);
	LWLockRelease(usage_shared->lock);
}
