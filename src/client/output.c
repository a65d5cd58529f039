/*-------------------------------------------------------------------------
 *
 * output.c
 *		What the client writes: messages and progress on standard error,
 *		tables, JSON and XML; memory and string buffers.
 *
 * Human output goes through put_clean, which turns control characters
 * into spaces: a product's description or a server's value cannot move
 * the cursor or change the colours of the terminal that reads it.  JSON
 * and XML are escaped completely, invalid UTF-8 becoming U+FFFD.
 * Progress lines are shown only when standard error is a terminal, and
 * never with --quiet; each is erased before anything else is written.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client.h"

const char *progname = "dmesh";

static bool progress_enabled = false;
static bool progress_shown = false;

void *
xmalloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(EXIT_USAGE);
	}
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(EXIT_USAGE);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

void
sb_init(StrBuf *sb)
{
	sb->cap = 256;
	sb->len = 0;
	sb->data = xmalloc(sb->cap);
	sb->data[0] = '\0';
}

static void
sb_reserve(StrBuf *sb, size_t more)
{
	if (sb->len + more + 1 > sb->cap)
	{
		while (sb->len + more + 1 > sb->cap)
			sb->cap *= 2;
		sb->data = xrealloc(sb->data, sb->cap);
	}
}

void
sb_appendn(StrBuf *sb, const char *s, size_t n)
{
	sb_reserve(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
sb_append(StrBuf *sb, const char *s)
{
	sb_appendn(sb, s, strlen(s));
}

void
sb_printf(StrBuf *sb, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_reserve(sb, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t) n;
}

void
sb_free(StrBuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

/* Progress only on a terminal, and not with --quiet. */
void
set_output_mode(const Options *opts)
{
	progress_enabled = !opts->quiet && isatty(STDERR_FILENO);
}

/*
 * A progress line, replacing the one before: cut to the terminal's width
 * so that erasing it (carriage return, erase to end of line) erases all.
 */
void
progress(const char *fmt,...)
{
	va_list		ap;
	StrBuf		line;
	struct winsize ws;
	size_t		width = 80;
	size_t		cut;
	size_t		chars = 0;

	if (!progress_enabled)
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col;
	sb_init(&line);
	sb_printf(&line, "%s: ", progname);
	{
		int			n;

		va_start(ap, fmt);
		n = vsnprintf(NULL, 0, fmt, ap);
		va_end(ap);
		if (n > 0)
		{
			char	   *buf = xmalloc((size_t) n + 1);

			va_start(ap, fmt);
			vsnprintf(buf, (size_t) n + 1, fmt, ap);
			va_end(ap);
			sb_append(&line, buf);
			free(buf);
		}
	}
	/* at most width - 1 characters (UTF-8 lead bytes) */
	for (cut = 0; cut < line.len; cut++)
		if (((unsigned char) line.data[cut] & 0xC0) != 0x80 && ++chars >= width)
			break;
	line.data[cut] = '\0';
	fputs("\r\033[K", stderr);
	put_clean(stderr, line.data);
	fflush(stderr);
	sb_free(&line);
	progress_shown = true;
}

void
progress_clear(void)
{
	if (progress_shown)
	{
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_shown = false;
	}
}

/* A message on standard error: control characters but newlines cleaned. */
static void put_message(const char *prefix, const char *fmt, va_list ap)
			__attribute__((format(printf, 2, 0)));

static void
put_message(const char *prefix, const char *fmt, va_list ap)
{
	StrBuf		msg;
	va_list		copy;
	int			n;
	char	   *line;
	char	   *next;

	progress_clear();
	fflush(stdout);
	sb_init(&msg);
	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n > 0)
	{
		char	   *buf = xmalloc((size_t) n + 1);

		vsnprintf(buf, (size_t) n + 1, fmt, ap);
		sb_append(&msg, buf);
		free(buf);
	}
	fprintf(stderr, "%s: %s", progname, prefix);
	for (line = msg.data; line; line = next)
	{
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		put_clean(stderr, line);
		fputc('\n', stderr);
	}
	sb_free(&msg);
}

void
error_msg(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	put_message("", fmt, ap);
	va_end(ap);
}

void
warning_msg(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	put_message("warning: ", fmt, ap);
	va_end(ap);
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it
 * is not one (bad lead or continuation byte, overlong form, surrogate,
 * beyond U+10FFFF, cut short).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		len;
	size_t		i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
	{
		len = 2;
		cp = s[0] & 0x1F;
	}
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
	{
		len = 3;
		cp = s[0] & 0x0F;
	}
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
	{
		len = 4;
		cp = s[0] & 0x07;
	}
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		(cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* A C1 control character (U+0080 to U+009F) in UTF-8. */
static bool
is_c1(const unsigned char *s, size_t len)
{
	return len == 2 && s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F;
}

/* Text for a terminal: control characters become spaces. */
void
put_clean(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		n = strlen(s);

	while (n > 0)
	{
		size_t		len = utf8_len(p, n);

		if (len == 0)
		{
			fputc('?', f);
			len = 1;
		}
		else if ((len == 1 && (*p < 0x20 || *p == 0x7F)) || is_c1(p, len))
			fputc(' ', f);
		else
			fwrite(p, 1, len, f);
		p += len;
		n -= len;
	}
}

/* Characters on a terminal of cleaned text (one per code point). */
static size_t
display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		n = strlen(s);
	size_t		width = 0;

	while (n > 0)
	{
		size_t		len = utf8_len(p, n);

		if (len == 0)
			len = 1;
		width++;
		p += len;
		n -= len;
	}
	return width;
}

/* A JSON string (RFC 8259), quotes included. */
void
json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		n = strlen(s);

	fputc('"', f);
	while (n > 0)
	{
		size_t		len = utf8_len(p, n);

		if (len == 0)
		{
			fputs("\\ufffd", f);
			len = 1;
		}
		else if (*p == '"')
			fputs("\\\"", f);
		else if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else if (*p < 0x20 || *p == 0x7F)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, len, f);
		p += len;
		n -= len;
	}
	fputc('"', f);
}

/*
 * Text for XML 1.0 content or attribute values: markup characters as
 * entities, characters XML does not allow (controls but tab, newline,
 * carriage return) and invalid UTF-8 as U+FFFD.
 */
void
xml_escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		n = strlen(s);

	while (n > 0)
	{
		size_t		len = utf8_len(p, n);

		if (len == 0)
		{
			fputs("\xEF\xBF\xBD", f);
			len = 1;
		}
		else if (*p == '&')
			fputs("&amp;", f);
		else if (*p == '<')
			fputs("&lt;", f);
		else if (*p == '>')
			fputs("&gt;", f);
		else if (*p == '"')
			fputs("&quot;", f);
		else if (*p == '\'')
			fputs("&apos;", f);
		else if (*p == '\n')
			fputs("&#10;", f);
		else if (*p == '\r')
			fputs("&#13;", f);
		else if (*p == '\t')
			fputs("&#9;", f);
		else if (*p < 0x20 || *p == 0x7F ||
				 (len == 3 && p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)))
			fputs("\xEF\xBF\xBD", f);
		else
			fwrite(p, 1, len, f);
		p += len;
		n -= len;
	}
}

static bool
is_numeric_type(Oid type)
{
	/* int8, int2, int4, oid, float4, float8, numeric */
	return type == 20 || type == 21 || type == 23 || type == 26 ||
		type == 700 || type == 701 || type == 1700;
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

void
table_init(Table *t, int ncols, const char *const *headers)
{
	int			i;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->headers = xmalloc(sizeof(char *) * ncols);
	t->right = xmalloc(sizeof(bool) * ncols);
	for (i = 0; i < ncols; i++)
	{
		t->headers[i] = xstrdup(headers[i]);
		t->right[i] = false;
	}
}

/* A row; values are copied, NULL shows as empty. */
void
table_add_row(Table *t, const char *const *values)
{
	int			i;

	if (t->nrows == t->cap)
	{
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, sizeof(char *) * t->cap * t->ncols);
	}
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(values[i] ? values[i] : "");
	t->nrows++;
}

/* The first ncols columns of every row of a result. */
void
table_add_result(Table *t, PGresult *res, int ncols)
{
	const char **values = xmalloc(sizeof(char *) * t->ncols);
	int			r;
	int			i;

	for (r = 0; r < PQntuples(res); r++)
	{
		for (i = 0; i < t->ncols; i++)
			values[i] = (i < ncols && !PQgetisnull(res, r, i)) ? PQgetvalue(res, r, i) : NULL;
		table_add_row(t, values);
	}
	free(values);
}

/*
 * An aligned table with a header, each line after indent; right-aligned
 * columns as marked, no trailing spaces.
 */
void
table_print(FILE *f, const Table *t, const char *indent)
{
	size_t	   *width = xmalloc(sizeof(size_t) * t->ncols);
	int			r;
	int			col;

	for (col = 0; col < t->ncols; col++)
	{
		width[col] = display_width(t->headers[col]);
		for (r = 0; r < t->nrows; r++)
		{
			size_t		w = display_width(t->cells[r * t->ncols + col]);

			if (w > width[col])
				width[col] = w;
		}
	}

	for (r = -2; r < t->nrows; r++)
	{
		size_t		spaces = 0;	/* padding not written yet: none at the end */

		fputs(indent, f);
		for (col = 0; col < t->ncols; col++)
		{
			const char *v = r == -2 ? t->headers[col] : r == -1 ? NULL : t->cells[r * t->ncols + col];

			if (col > 0)
				spaces += 2;
			if (v == NULL)
			{
				size_t		i;

				pad(f, spaces);
				spaces = 0;
				for (i = 0; i < width[col]; i++)
					fputc('-', f);
				continue;
			}
			if (t->right[col])
				spaces += width[col] - display_width(v);
			if (*v != '\0')
			{
				pad(f, spaces);
				spaces = 0;
				put_clean(f, v);
			}
			if (!t->right[col])
				spaces += width[col] - display_width(v);
		}
		fputc('\n', f);
	}
	free(width);
}

void
table_free(Table *t)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->headers);
	free(t->right);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/*
 * The first ncols columns of a result as a table: headers are the column
 * names, numbers right-aligned.
 */
void
print_table(FILE *f, PGresult *res, int ncols)
{
	const char **headers = xmalloc(sizeof(char *) * ncols);
	Table		t;
	int			i;

	for (i = 0; i < ncols; i++)
		headers[i] = PQfname(res, i);
	table_init(&t, ncols, headers);
	for (i = 0; i < ncols; i++)
		t.right[i] = is_numeric_type(PQftype(res, i));
	table_add_result(&t, res, ncols);
	table_print(f, &t, "");
	table_free(&t);
	free(headers);
}

/* A document (YAML, JSON) as it is, ending with a newline. */
void
print_text(FILE *f, const char *text)
{
	size_t		n = strlen(text);

	fputs(text, f);
	if (n == 0 || text[n - 1] != '\n')
		fputc('\n', f);
}

bool
is_true(PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && strcmp(PQgetvalue(res, row, col), "t") == 0;
}

/*
 * The elements of a one-dimensional array in PostgreSQL's text form
 * ({a,"b c","d\"e",NULL}); NULL elements are left out.  The caller frees
 * each item and the list.  False when the text is not such an array.
 */
bool
parse_text_array(const char *s, char ***items, int *nitems)
{
	char	  **list = NULL;
	int			n = 0;
	int			cap = 0;
	const char *p = s;

	*items = NULL;
	*nitems = 0;
	if (*p++ != '{')
		return false;
	while (*p && *p != '}')
	{
		StrBuf		item;
		bool		quoted = false;

		sb_init(&item);
		if (*p == '"')
		{
			quoted = true;
			p++;
			while (*p && *p != '"')
			{
				if (*p == '\\' && p[1])
					p++;
				sb_appendn(&item, p, 1);
				p++;
			}
			if (*p != '"')
			{
				sb_free(&item);
				break;
			}
			p++;
		}
		else
		{
			while (*p && *p != ',' && *p != '}')
				sb_appendn(&item, p++, 1);
		}
		if (!quoted && strcmp(item.data, "NULL") == 0)
			sb_free(&item);
		else
		{
			if (n == cap)
			{
				cap = cap ? cap * 2 : 8;
				list = xrealloc(list, sizeof(char *) * cap);
			}
			list[n++] = item.data;
		}
		if (*p == ',')
			p++;
	}
	if (*p != '}')
	{
		while (n > 0)
			free(list[--n]);
		free(list);
		return false;
	}
	*items = list;
	*nitems = n;
	return true;
}

/* A row's JSON object (from row_to_json) with "file" first. */
void
print_json_with_file(FILE *f, const char *file, const char *row_json)
{
	fputs("{\"file\":", f);
	json_string(f, file);
	if (row_json[0] == '{' && row_json[1] != '}')
		fprintf(f, ",%s", row_json + 1);
	else
		fputc('}', f);
}
