/*-------------------------------------------------------------------------
 *
 * files.c
 *		Reading documents, and finding them below a directory.
 *
 * A document is a data product (*.odps.yaml, .yml, .json) or a data
 * contract (*.odcs.yaml, .yml, .json).  Below a directory every such file
 * is found, at any depth, and the paths are sorted byte by byte, so that
 * plan and apply see the same documents in the same order on every
 * machine.  Symbolic links to files are followed, links to directories
 * are not (no cycles).  A document is read whole, up to the server's limit
 * of 10 MB, and must not contain a NUL byte (it goes to the server as
 * text).
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		n = strlen(s);
	size_t		m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

DocKind
document_kind(const char *path)
{
	static const char *const ext[] = {".yaml", ".yml", ".json"};
	int			i;

	for (i = 0; i < 3; i++)
	{
		char		suffix[16];

		snprintf(suffix, sizeof(suffix), ".odps%s", ext[i]);
		if (ends_with(path, suffix))
			return DOC_PRODUCT;
		snprintf(suffix, sizeof(suffix), ".odcs%s", ext[i]);
		if (ends_with(path, suffix))
			return DOC_CONTRACT;
	}
	return DOC_OTHER;
}

bool
is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads a whole file ("-": standard input) into doc; false after a message. */
bool
read_document(const char *path, Document *doc)
{
	FILE	   *f;
	StrBuf		sb;
	char		buf[65536];
	size_t		n;
	bool		is_stdin = strcmp(path, "-") == 0;

	memset(doc, 0, sizeof(*doc));
	if (!is_stdin && is_directory(path))
	{
		error_msg("could not read \"%s\": it is a directory", path);
		return false;
	}
	f = is_stdin ? stdin : fopen(path, "rb");
	if (f == NULL)
	{
		error_msg("could not read \"%s\": %s", path, strerror(errno));
		return false;
	}
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
	{
		if (sb.len + n > MAX_DOCUMENT_BYTES)
		{
			error_msg("could not read \"%s\": larger than %d MB, the largest document the server reads",
					  path, MAX_DOCUMENT_BYTES / (1024 * 1024));
			goto fail;
		}
		if (memchr(buf, '\0', n) != NULL)
		{
			error_msg("could not read \"%s\": it contains a NUL byte (not a text document)", path);
			goto fail;
		}
		sb_appendn(&sb, buf, n);
	}
	if (ferror(f))
	{
		error_msg("could not read \"%s\": %s", path, strerror(errno));
		goto fail;
	}
	if (!is_stdin)
		fclose(f);
	doc->path = xstrdup(is_stdin ? "(standard input)" : path);
	doc->text = sb.data;
	doc->len = sb.len;
	return true;

fail:
	if (!is_stdin)
		fclose(f);
	sb_free(&sb);
	return false;
}

typedef struct PathList
{
	char	  **items;
	int			n;
	int			cap;
} PathList;

static void
add_path(PathList *list, char *path)
{
	if (list->n == list->cap)
	{
		list->cap = list->cap ? list->cap * 2 : 16;
		list->items = xrealloc(list->items, sizeof(char *) * list->cap);
	}
	list->items[list->n++] = path;
}

static bool
walk(const char *dir, PathList *list)
{
	DIR		   *d;
	struct dirent *e;
	bool		ok = true;

	d = opendir(dir);
	if (d == NULL)
	{
		error_msg("could not open directory \"%s\": %s", dir, strerror(errno));
		return false;
	}
	while (ok && (errno = 0, e = readdir(d)) != NULL)
	{
		StrBuf		path;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sb_init(&path);
		sb_append(&path, dir);
		if (path.len == 0 || path.data[path.len - 1] != '/')
			sb_append(&path, "/");
		sb_append(&path, e->d_name);
		if (lstat(path.data, &st) != 0)
		{
			error_msg("could not read \"%s\": %s", path.data, strerror(errno));
			ok = false;
		}
		else if (S_ISDIR(st.st_mode))
			ok = walk(path.data, list);
		else if (document_kind(path.data) != DOC_OTHER &&
				 (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && !is_directory(path.data))))
		{
			add_path(list, path.data);
			continue;			/* the list keeps it */
		}
		sb_free(&path);
	}
	if (ok && errno != 0)
	{
		error_msg("could not read directory \"%s\": %s", dir, strerror(errno));
		ok = false;
	}
	closedir(d);
	return ok;
}

static int
cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Every document below dir, sorted; false after a message.  The caller
 * frees the list with free_paths.
 */
bool
find_documents(const char *dir, char ***paths, int *npaths)
{
	PathList	list = {NULL, 0, 0};

	if (!is_directory(dir))
	{
		error_msg("\"%s\" is not a directory", dir);
		return false;
	}
	if (!walk(dir, &list))
	{
		free_paths(list.items, list.n);
		return false;
	}
	if (list.n > 1)
		qsort(list.items, list.n, sizeof(char *), cmp_paths);
	*paths = list.items;
	*npaths = list.n;
	return true;
}

void
free_paths(char **paths, int npaths)
{
	int			i;

	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
}
