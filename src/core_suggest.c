/*-------------------------------------------------------------------------
 *
 * core_suggest.c
 *		"Did you mean ...?": the one known name close to a name that is not
 *		known.
 *
 * A caller starts with the word it could not find (dmesh_suggest_init),
 * offers every name it knows (dmesh_suggest_try), and gets the one name
 * within reach, or NULL when there is none or more than one
 * (dmesh_suggest_result): a hint that could point two ways is no hint.
 * Within reach is a few edits away, more for longer words: one for a word
 * of up to 4 bytes, two up to 10, three beyond.  Edits are insertions,
 * deletions, substitutions and transpositions of neighbours (optimal
 * string alignment distance), counted in bytes: a typo in a character of
 * several bytes may count twice.  Words and names longer than
 * DMESH_SUGGEST_MAX_LEN bytes are never compared, so the cost of a name
 * is bounded.
 *
 * Used for the keys and values of contracts (contract_validate.c) and for
 * the names of domains and data products (core_catalog.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dmesh.h"

void
dmesh_suggest_init(DmeshSuggest *s, const char *word, int len)
{
	s->word = word;
	s->len = len;
	s->max = len <= 4 ? 1 : (len <= 10 ? 2 : 3);
	s->best = NULL;
	s->count = 0;
}

/*
 * Optimal string alignment distance (Levenshtein with transpositions of
 * neighbours), bytewise, of two names of at most DMESH_SUGGEST_MAX_LEN
 * bytes.
 */
static int
edit_distance(const char *a, int alen, const char *b, int blen)
{
	int			rows[3][DMESH_SUGGEST_MAX_LEN + 1];
	int		   *back = rows[0],
			   *prev = rows[1],
			   *cur = rows[2];

	for (int j = 0; j <= blen; j++)
		prev[j] = j;
	for (int i = 1; i <= alen; i++)
	{
		int		   *t;

		cur[0] = i;
		for (int j = 1; j <= blen; j++)
		{
			int			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int			d = Min(prev[j] + 1, cur[j - 1] + 1);

			d = Min(d, prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				d = Min(d, back[j - 2] + 1);
			cur[j] = d;
		}
		t = back;
		back = prev;
		prev = cur;
		cur = t;
	}
	return prev[blen];
}

/* Offer a known name (kept by reference: it must outlive the result). */
void
dmesh_suggest_try(DmeshSuggest *s, const char *name)
{
	int			len = strlen(name);
	int			d;

	if (s->len > DMESH_SUGGEST_MAX_LEN || len > DMESH_SUGGEST_MAX_LEN ||
		abs(len - s->len) > s->max)
		return;
	if (s->best != NULL && strcmp(s->best, name) == 0)
		return;
	d = edit_distance(s->word, s->len, name, len);
	if (d == 0 || d > s->max)
		return;
	s->best = name;
	s->count++;
}

/* The one name within reach, or NULL (none, or more than one). */
const char *
dmesh_suggest_result(const DmeshSuggest *s)
{
	return s->count == 1 ? s->best : NULL;
}
