/*-------------------------------------------------------------------------
 *
 * contract_yaml.c
 *		YAML to jsonb and back, with libyaml.
 *
 * Contracts arrive as YAML (or JSON) text and are stored as jsonb.  The
 * reader loads one YAML document and converts it node by node.  Plain
 * (unquoted) scalars are typed with the YAML 1.2 core schema: null, true,
 * false, integers (decimal, 0o octal, 0x hex) and floats become JSON
 * nulls, booleans and numbers; everything else, and every quoted or block
 * scalar, is a string.  Duplicate keys, duplicate anchors, more than one
 * document, and infinite or NaN numbers (which JSON cannot hold) are
 * errors.  Aliases are expanded.
 *
 * The text comes from users, so reading it is bounded and can be
 * cancelled.  The reader takes libyaml's events one at a time, checking
 * for interrupts at each, and builds a light tree of its own (libyaml's
 * loader, yaml_parser_load, cannot be interrupted and looks anchors up in
 * a list); anchors and the keys of a mapping go in hash tables, so the
 * work is linear in the size of the text.  A document may have at most:
 *
 *	 - 10 MB of text (YAML_MAX_SIZE);
 *	 - 64 levels of nested mappings and sequences (YAML_MAX_DEPTH): libyaml
 *	   spends time proportional to the depth on every token, so a deeper
 *	   document is refused as soon as it goes deeper;
 *	 - 100,000 keys in one mapping (YAML_MAX_KEYS);
 *	 - 1,000,000 nodes (YAML_MAX_NODES) and 64 MB of scalar text
 *	   (YAML_MAX_TEXT), aliases expanded, which stops alias bombs;
 *	 - 100 %TAG directives (YAML_MAX_TAG_DIRECTIVES), which libyaml checks
 *	   pairwise before it returns the first event.
 *
 * A real contract stays far below each of these.  Going over one is error
 * 54000 (program_limit_exceeded), bad syntax or a duplicate key is 22P02
 * (invalid_text_representation); either names the path and the line and
 * column.  Contract text that starts with '{' is JSON: PostgreSQL's JSON
 * parser reads it and builds jsonb as jsonb_in does, so values are those
 * of a cast to jsonb, but with the same limits and interrupt checks, and
 * with duplicate keys refused as in YAML (jsonb_in keeps the last one).
 *
 * The writer emits block-style YAML.  A string, key or value, is
 * double-quoted exactly when a YAML 1.2 core schema reader or a YAML 1.1
 * reader (the types of yaml.org/type, as PyYAML reads them) would take it,
 * written plain, for something other than that string: "true", "1.0",
 * "null", "", " x", and for YAML 1.1 "yes", "y", "1_000", "0b1", "1:20",
 * "1.2.3", "2001-12-14 21:59:43.10 -5", "<<" and their like (needs_quotes
 * gives the rules).  Other strings stay plain ("2020-01-01x", "Norway"),
 * unless libyaml quotes them because they cannot be plain at all.  So
 * every string reads back as itself in either kind of reader, and the
 * output parses back to the same jsonb here.  Keys of the Open Data
 * Contract Standard (and of the Open Data Product Standard) come first, in
 * the standard's order.
 *
 * libyaml allocates with malloc: every path out of these functions,
 * including errors, frees its parser, event or emitter.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <yaml.h>

#include "access/detoast.h"
#include "common/hashfn.h"
#include "common/jsonapi.h"
#include "common/pg_prng.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/jsonfuncs.h"
#include "utils/memutils.h"
#include "utils/numeric.h"


PG_FUNCTION_INFO_V1(dmesh_yaml_to_jsonb);
PG_FUNCTION_INFO_V1(dmesh_jsonb_to_yaml);

/* Limits on one document (see above). */
#define YAML_MAX_SIZE			(10 * 1024 * 1024)
#define YAML_MAX_DEPTH			64
#define YAML_MAX_KEYS			100000
#define YAML_MAX_NODES			1000000
#define YAML_MAX_TEXT			(64 * 1024 * 1024)
#define YAML_MAX_TAG_DIRECTIVES 100

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

typedef enum PlainKind
{
	PLAIN_STRING,
	PLAIN_NULL,
	PLAIN_TRUE,
	PLAIN_FALSE,
	PLAIN_INT,
	PLAIN_FLOAT,
	PLAIN_INF_NAN
} PlainKind;

/* ----------------------------------------------------------------
 * Scalar resolution (YAML 1.2 core schema)
 * ----------------------------------------------------------------
 */

static bool
all_chars(const char *s, const char *set)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (strchr(set, *s) == NULL)
			return false;
	return true;
}

static bool
is_float_text(const char *s)
{
	bool		digits = false;

	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char) *s))
		s++, digits = true;
	if (*s == '.')
	{
		s++;
		while (isdigit((unsigned char) *s))
			s++, digits = true;
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E')
	{
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char) *s))
			return false;
		while (isdigit((unsigned char) *s))
			s++;
	}
	return *s == '\0';
}

static PlainKind
resolve_plain(const char *s)
{
	const char *unsigned_part = (*s == '+' || *s == '-') ? s + 1 : s;

	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
		strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return PLAIN_NULL;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
		return PLAIN_TRUE;
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return PLAIN_FALSE;
	if (all_chars(unsigned_part, "0123456789"))
		return PLAIN_INT;
	if (strncmp(s, "0o", 2) == 0 && all_chars(s + 2, "01234567"))
		return PLAIN_INT;
	if (strncmp(s, "0x", 2) == 0 && all_chars(s + 2, "0123456789abcdefABCDEF"))
		return PLAIN_INT;
	if (is_float_text(s))
		return PLAIN_FLOAT;
	if (strcmp(unsigned_part, ".inf") == 0 || strcmp(unsigned_part, ".Inf") == 0 ||
		strcmp(unsigned_part, ".INF") == 0 || strcmp(s, ".nan") == 0 ||
		strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
		return PLAIN_INF_NAN;
	return PLAIN_STRING;
}

/* ----------------------------------------------------------------
 * Sets of strings (keys of a mapping, anchors)
 * ----------------------------------------------------------------
 */

typedef struct YamlString
{
	const char *str;
	int			len;
} YamlString;

typedef struct YamlStringEntry
{
	YamlString	key;
	uint32		hash;
	char		status;
	void	   *data;			/* anchors: the node */
} YamlStringEntry;

/*
 * Seeded per backend, so that no text can be made of keys that collide
 * and turn the hash table quadratic.
 */
static uint64 string_hash_seed = 0;

#define SH_PREFIX		strings
#define SH_ELEMENT_TYPE YamlStringEntry
#define SH_KEY_TYPE		YamlString
#define SH_KEY			key
#define SH_HASH_KEY(tb, k) \
	((uint32) hash_bytes_extended((const unsigned char *) (k).str, (k).len, string_hash_seed))
#define SH_EQUAL(tb, a, b) \
	((a).len == (b).len && memcmp((a).str, (b).str, (a).len) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#include "dmesh.h"
#include "contract.h"

/*
 * The keys of one mapping or object: the first few are compared directly,
 * a hash table holds them once there are more.
 */
#define KEYSET_SMALL 8

typedef struct KeySet
{
	int			n;
	YamlString	small[KEYSET_SMALL];
	strings_hash *hash;
} KeySet;

static strings_hash *
strings_new(uint32 size)
{
	while (string_hash_seed == 0)
		string_hash_seed = pg_prng_uint64(&pg_global_prng_state);
	return strings_create(CurrentMemoryContext, size, NULL);
}

/* Add a key (which must outlive the set); false if it is there already. */
static bool
keyset_add(KeySet *set, const char *str, int len)
{
	YamlString	key = {str, len};
	bool		found;

	if (set->hash == NULL)
	{
		for (int i = 0; i < set->n; i++)
			if (set->small[i].len == len && memcmp(set->small[i].str, str, len) == 0)
				return false;
		if (set->n < KEYSET_SMALL)
		{
			set->small[set->n++] = key;
			return true;
		}
		set->hash = strings_new(4 * KEYSET_SMALL);
		for (int i = 0; i < set->n; i++)
			(void) strings_insert(set->hash, set->small[i], &found);
	}
	(void) strings_insert(set->hash, key, &found);
	return !found;
}

static void
keyset_reset(KeySet *set)
{
	if (set->hash != NULL)
		strings_destroy(set->hash);
	set->hash = NULL;
	set->n = 0;
}

/* ----------------------------------------------------------------
 * Errors
 * ----------------------------------------------------------------
 */

/* An error at a place in the document: "path: problem (line, column)". */
static void
document_error(int sqlerrcode, const char *path, const char *problem,
			   int line, int column)
{
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("%s%s%s (line %d, column %d)",
					path, path[0] != '\0' ? ": " : "", problem, line, column)));
}

static void
check_document_size(size_t len)
{
	if (len > YAML_MAX_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("document is too large"),
				 errdetail("The document has %zu bytes; at most %d bytes (10 MB) are allowed.",
						   len, YAML_MAX_SIZE)));
}

/* ----------------------------------------------------------------
 * Reading YAML
 * ----------------------------------------------------------------
 */

typedef enum YamlKind
{
	YAML_KIND_SCALAR,
	YAML_KIND_SEQUENCE,
	YAML_KIND_MAPPING
} YamlKind;

/*
 * A node of the document.  An alias is the node it names, so a node may
 * have several parents (never itself as an ancestor).
 */
typedef struct YamlNode
{
	YamlKind	kind;
	bool		complete;		/* its end has been read */
	yaml_scalar_style_t style;	/* scalars */
	int			line;			/* where it starts, from 1 */
	int			column;
	char	   *tag;			/* scalars: the tag written, or NULL */
	char	   *value;			/* scalars: NUL-terminated text */
	int			len;			/* ... and its length */
	struct YamlNode **items;	/* sequences: the elements; mappings: key,
								 * value, key, value ... */
	int			nitems;
	int			maxitems;
} YamlNode;

#define NODES_PER_BLOCK 1024

typedef struct YamlReader
{
	yaml_parser_t parser;
	yaml_event_t event;
	bool		have_event;		/* event holds libyaml memory */
	YamlNode   *root;
	int			documents;
	YamlNode   *open[YAML_MAX_DEPTH];	/* collections being read */
	int			depth;
	strings_hash *anchors;
	YamlNode   *free_nodes;		/* nodes are allocated by blocks */
	int			nfree;
	long		nodes;			/* nodes read or converted, keys not counted */
	size_t		text;			/* bytes of scalars converted */
} YamlReader;

static void parser_error(yaml_parser_t *parser) pg_attribute_noreturn();

static void
parser_error(yaml_parser_t *parser)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid YAML at line %lu, column %lu: %s",
					(unsigned long) parser->problem_mark.line + 1,
					(unsigned long) parser->problem_mark.column + 1,
					parser->problem ? parser->problem : "syntax error"),
			 parser->context ?
			 errdetail("The error was found %s, started at line %lu, column %lu.",
					   parser->context,
					   (unsigned long) parser->context_mark.line + 1,
					   (unsigned long) parser->context_mark.column + 1) : 0));
}

/*
 * libyaml checks %TAG directives against each other, and each tag against
 * all of them, before it returns an event: bound their number first.
 * Every "%TAG" is counted, wherever it is: only a document with a hundred
 * of them in its text is refused.
 */
static void
check_tag_directives(const char *text, size_t len)
{
	const char *end = text + len;
	int			n = 0;

	for (const char *p = text; (p = memchr(p, '%', end - p)) != NULL; p++)
		if (end - p >= 4 && memcmp(p, "%TAG", 4) == 0 && ++n > YAML_MAX_TAG_DIRECTIVES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("YAML text has more than %d %%TAG directives",
							YAML_MAX_TAG_DIRECTIVES)));
}

/*
 * The path to where the next node goes, from the collections being read:
 * a sequence adds the next index, a mapping the key of the value being
 * read (nothing when the next node is a key: a key's path is that of its
 * mapping).
 */
static char *
reader_path(YamlReader *reader)
{
	StringInfoData path;

	initStringInfo(&path);
	for (int i = 0; i < reader->depth; i++)
	{
		YamlNode   *c = reader->open[i];

		/* An inner collection is the last item of its parent. */
		int			pos = (i == reader->depth - 1) ? c->nitems : c->nitems - 1;

		if (c->kind == YAML_KIND_SEQUENCE)
			appendStringInfo(&path, "[%d]", pos);
		else if (pos % 2 == 0)
			break;
		else if (c->items[pos - 1]->kind == YAML_KIND_SCALAR)
			appendStringInfo(&path, "%s%s", path.len > 0 ? "." : "",
							 c->items[pos - 1]->value);
		else
			break;
	}
	return path.data;
}

static void
reader_error(YamlReader *reader, int sqlerrcode, const char *problem, yaml_mark_t mark)
{
	document_error(sqlerrcode, reader_path(reader), problem,
				   (int) mark.line + 1, (int) mark.column + 1);
}

/*
 * A new node at the current place (an alias adds the node it names):
 * count it, and attach it to the collection being read.
 */
static void
attach(YamlReader *reader, YamlNode *node, yaml_mark_t mark)
{
	YamlNode   *parent;

	if (reader->depth == 0)
	{
		reader->root = node;
		reader->nodes++;
		return;
	}
	parent = reader->open[reader->depth - 1];
	if (parent->kind == YAML_KIND_MAPPING && parent->nitems % 2 == 0)
	{
		if (parent->nitems / 2 >= YAML_MAX_KEYS)
			reader_error(reader, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
						 psprintf("mapping has more than %d keys", YAML_MAX_KEYS), mark);
	}
	else if (++reader->nodes > YAML_MAX_NODES)
		reader_error(reader, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
					 psprintf("document has more than %d nodes", YAML_MAX_NODES), mark);

	if (parent->nitems == parent->maxitems)
	{
		parent->maxitems = parent->maxitems == 0 ? 8 : parent->maxitems * 2;
		parent->items = parent->items == NULL ?
			palloc(sizeof(YamlNode *) * parent->maxitems) :
			repalloc(parent->items, sizeof(YamlNode *) * parent->maxitems);
	}
	parent->items[parent->nitems++] = node;
}

static YamlNode *
new_node(YamlReader *reader, YamlKind kind, yaml_mark_t mark)
{
	YamlNode   *node;

	if (reader->nfree == 0)
	{
		reader->free_nodes = palloc(sizeof(YamlNode) * NODES_PER_BLOCK);
		reader->nfree = NODES_PER_BLOCK;
	}
	node = reader->free_nodes++;
	reader->nfree--;
	memset(node, 0, sizeof(YamlNode));
	node->kind = kind;
	node->complete = (kind == YAML_KIND_SCALAR);
	node->line = (int) mark.line + 1;
	node->column = (int) mark.column + 1;
	return node;
}

static void
define_anchor(YamlReader *reader, const yaml_char_t *anchor, YamlNode *node)
{
	YamlString	name;
	YamlStringEntry *entry;
	bool		found;

	if (anchor == NULL)
		return;
	if (reader->anchors == NULL)
		reader->anchors = strings_new(64);
	name.str = pstrdup((const char *) anchor);
	name.len = strlen(name.str);
	entry = strings_insert(reader->anchors, name, &found);
	if (found)
	{
		YamlNode   *first = entry->data;

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid YAML at line %d, column %d: found duplicate anchor \"%s\"",
						node->line, node->column, name.str),
				 errdetail("The first occurrence is at line %d, column %d.",
						   first->line, first->column)));
	}
	entry->data = node;
}

static void
read_alias(YamlReader *reader, yaml_event_t *event)
{
	YamlString	name;
	YamlStringEntry *entry = NULL;
	YamlNode   *node;

	name.str = (const char *) event->data.alias.anchor;
	name.len = strlen(name.str);
	if (reader->anchors != NULL)
		entry = strings_lookup(reader->anchors, name);
	if (entry == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid YAML at line %lu, column %lu: found undefined alias \"%s\"",
						(unsigned long) event->start_mark.line + 1,
						(unsigned long) event->start_mark.column + 1, name.str)));
	node = entry->data;
	if (!node->complete)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid YAML at line %lu, column %lu: alias \"%s\" is inside the node it names",
						(unsigned long) event->start_mark.line + 1,
						(unsigned long) event->start_mark.column + 1, name.str)));
	attach(reader, node, event->start_mark);
}

static void
read_scalar(YamlReader *reader, yaml_event_t *event)
{
	YamlNode   *node = new_node(reader, YAML_KIND_SCALAR, event->start_mark);

	attach(reader, node, event->start_mark);
	node->style = event->data.scalar.style;
	node->len = (int) event->data.scalar.length;
	node->value = palloc(node->len + 1);
	memcpy(node->value, event->data.scalar.value, node->len);
	node->value[node->len] = '\0';
	if (event->data.scalar.tag != NULL)
		node->tag = pstrdup((const char *) event->data.scalar.tag);
	define_anchor(reader, event->data.scalar.anchor, node);
}

static void
open_collection(YamlReader *reader, yaml_event_t *event, YamlKind kind,
				const yaml_char_t *anchor)
{
	YamlNode   *node;

	if (reader->depth == YAML_MAX_DEPTH)
		reader_error(reader, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
					 psprintf("nesting is deeper than %d levels", YAML_MAX_DEPTH),
					 event->start_mark);
	node = new_node(reader, kind, event->start_mark);
	attach(reader, node, event->start_mark);
	define_anchor(reader, anchor, node);
	reader->open[reader->depth++] = node;
}

/*
 * Read the one document of the text into a tree of nodes.
 */
static YamlNode *
read_document(YamlReader *reader)
{
	bool		done = false;

	while (!done)
	{
		yaml_event_t *event = &reader->event;

		CHECK_FOR_INTERRUPTS();
		if (!yaml_parser_parse(&reader->parser, event))
			parser_error(&reader->parser);
		reader->have_event = true;

		switch (event->type)
		{
			case YAML_DOCUMENT_START_EVENT:
				if (reader->documents++ > 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
							 errmsg("YAML text contains more than one document"),
							 errhint("Remove the \"---\" separators after the first document.")));
				break;
			case YAML_ALIAS_EVENT:
				read_alias(reader, event);
				break;
			case YAML_SCALAR_EVENT:
				read_scalar(reader, event);
				break;
			case YAML_SEQUENCE_START_EVENT:
				open_collection(reader, event, YAML_KIND_SEQUENCE,
								event->data.sequence_start.anchor);
				break;
			case YAML_MAPPING_START_EVENT:
				open_collection(reader, event, YAML_KIND_MAPPING,
								event->data.mapping_start.anchor);
				break;
			case YAML_SEQUENCE_END_EVENT:
			case YAML_MAPPING_END_EVENT:
				Assert(reader->depth > 0);
				reader->open[--reader->depth]->complete = true;
				break;
			case YAML_STREAM_END_EVENT:
				done = true;
				break;
			default:
				/* stream start, document end */
				break;
		}
		yaml_event_delete(event);
		reader->have_event = false;
	}
	if (reader->root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("YAML text contains no document")));
	return reader->root;
}

/*
 * Converting the tree to jsonb.  Every node converted counts, aliases
 * included, against the bounds on nodes, text and depth.
 */

static void
node_error(YamlNode *node, StringInfo path, int sqlerrcode, const char *problem)
{
	document_error(sqlerrcode, path->data, problem, node->line, node->column);
}

static void
yaml_node_error(YamlNode *node, StringInfo path, const char *problem)
{
	node_error(node, path, ERRCODE_INVALID_TEXT_REPRESENTATION, problem);
}

static void
count_text(YamlReader *reader, YamlNode *node, StringInfo path)
{
	reader->text += node->len;
	if (reader->text > YAML_MAX_TEXT)
		node_error(node, path, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
				   psprintf("document expands to more than %d MB of text",
							YAML_MAX_TEXT / (1024 * 1024)));
}

static Numeric
integer_numeric(const char *text, YamlNode *node, StringInfo path)
{
	int			base = 10;
	const char *digits = text;
	char	   *end;
	long long	value;

	if (strncmp(text, "0o", 2) == 0)
		base = 8, digits = text + 2;
	else if (strncmp(text, "0x", 2) == 0)
		base = 16, digits = text + 2;
	if (base == 10)
		return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(text),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
	errno = 0;
	value = strtoll(digits, &end, base);
	if (errno != 0 || *end != '\0')
		yaml_node_error(node, path, psprintf("integer %s is out of range", text));
	return int64_to_numeric(value);
}

static void
scalar_value(YamlNode *node, StringInfo path, JsonbValue *v)
{
	const char *text = node->value;
	const char *tag = node->tag;
	PlainKind	kind = PLAIN_STRING;

	if (strlen(text) != node->len)
		yaml_node_error(node, path, "scalar contains a NUL character");

	if (tag != NULL)
	{
		/* An explicit type: the text must be of that type. */
		if (strcmp(tag, "!") == 0)
			tag = YAML_TAG_PREFIX "str";
		if (strncmp(tag, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) != 0)
			yaml_node_error(node, path, psprintf("unsupported tag %s", tag));
		tag += strlen(YAML_TAG_PREFIX);
		if (strcmp(tag, "str") != 0)
		{
			kind = resolve_plain(text);
			if ((strcmp(tag, "null") == 0 && kind != PLAIN_NULL) ||
				(strcmp(tag, "bool") == 0 && kind != PLAIN_TRUE && kind != PLAIN_FALSE) ||
				(strcmp(tag, "int") == 0 && kind != PLAIN_INT) ||
				(strcmp(tag, "float") == 0 && kind != PLAIN_INT &&
				 kind != PLAIN_FLOAT && kind != PLAIN_INF_NAN) ||
				(strcmp(tag, "null") != 0 && strcmp(tag, "bool") != 0 &&
				 strcmp(tag, "int") != 0 && strcmp(tag, "float") != 0))
				yaml_node_error(node, path, psprintf("\"%s\" is not a valid !!%s", text, tag));
		}
	}
	else if (node->style == YAML_PLAIN_SCALAR_STYLE)
		kind = resolve_plain(text);

	switch (kind)
	{
		case PLAIN_NULL:
			v->type = jbvNull;
			break;
		case PLAIN_TRUE:
		case PLAIN_FALSE:
			v->type = jbvBool;
			v->val.boolean = (kind == PLAIN_TRUE);
			break;
		case PLAIN_INT:
			v->type = jbvNumeric;
			v->val.numeric = integer_numeric(text, node, path);
			break;
		case PLAIN_FLOAT:
			v->type = jbvNumeric;
			v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																 CStringGetDatum(text),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));
			break;
		case PLAIN_INF_NAN:
			yaml_node_error(node, path,
							psprintf("%s cannot be represented in JSON", text));
			break;
		case PLAIN_STRING:
			v->type = jbvString;
			v->val.string.val = node->value;
			v->val.string.len = node->len;
			break;
	}
}

static JsonbValue *convert_node(YamlReader *reader, YamlNode *node, StringInfo path,
								JsonbParseState **state, JsonbIteratorToken as,
								int depth);

/*
 * The convert_* functions push a node into the jsonb being built and
 * return what the last push returned: for the outermost node, the whole
 * document.  Strings point into the tree, which must outlive the result.
 */

static JsonbValue *
convert_mapping(YamlReader *reader, YamlNode *node, StringInfo path,
				JsonbParseState **state, int depth)
{
	int			saved_len = path->len;
	KeySet		keys = {0};

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i + 1 < node->nitems; i += 2)
	{
		YamlNode   *knode = node->items[i];
		JsonbValue	k;

		/* Keys are scalars, used as they are written. */
		if (knode->kind != YAML_KIND_SCALAR)
			yaml_node_error(knode, path, "mapping keys must be scalars");
		if (strlen(knode->value) != knode->len)
			yaml_node_error(knode, path, "key contains a NUL character");
		if (!keyset_add(&keys, knode->value, knode->len))
			yaml_node_error(knode, path, psprintf("duplicate key \"%s\"", knode->value));
		count_text(reader, knode, path);

		k.type = jbvString;
		k.val.string.val = knode->value;
		k.val.string.len = knode->len;
		pushJsonbValue(state, WJB_KEY, &k);

		appendStringInfo(path, "%s%s", saved_len > 0 ? "." : "", knode->value);
		convert_node(reader, node->items[i + 1], path, state, WJB_VALUE, depth);
		path->len = saved_len;
		path->data[saved_len] = '\0';
	}
	keyset_reset(&keys);
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

static JsonbValue *
convert_sequence(YamlReader *reader, YamlNode *node, StringInfo path,
				 JsonbParseState **state, int depth)
{
	int			saved_len = path->len;

	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < node->nitems; i++)
	{
		appendStringInfo(path, "[%d]", i);
		convert_node(reader, node->items[i], path, state, WJB_ELEM, depth);
		path->len = saved_len;
		path->data[saved_len] = '\0';
	}
	return pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/*
 * Push one node: as a value of an object (WJB_VALUE), an element of an
 * array (WJB_ELEM), or as the whole document (WJB_DONE).  depth is the
 * number of collections around it.
 */
static JsonbValue *
convert_node(YamlReader *reader, YamlNode *node, StringInfo path,
			 JsonbParseState **state, JsonbIteratorToken as, int depth)
{
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (++reader->nodes > YAML_MAX_NODES)
		node_error(node, path, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
				   psprintf("document expands to more than %d nodes", YAML_MAX_NODES));
	if (node->kind != YAML_KIND_SCALAR && depth == YAML_MAX_DEPTH)
		node_error(node, path, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
				   psprintf("nesting is deeper than %d levels", YAML_MAX_DEPTH));

	switch (node->kind)
	{
		case YAML_KIND_MAPPING:
			return convert_mapping(reader, node, path, state, depth + 1);
		case YAML_KIND_SEQUENCE:
			return convert_sequence(reader, node, path, state, depth + 1);
		case YAML_KIND_SCALAR:
			{
				JsonbValue	v;

				count_text(reader, node, path);
				scalar_value(node, path, &v);
				if (as != WJB_DONE)
					return pushJsonbValue(state, as, &v);
				/* A scalar document: a one-element raw-scalar array. */
				pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
				(*state)->contVal.val.array.rawScalar = true;
				pushJsonbValue(state, WJB_ELEM, &v);
				return pushJsonbValue(state, WJB_END_ARRAY, NULL);
			}
	}
	return NULL;				/* keep compiler quiet */
}

/*
 * Parse YAML text into jsonb.  Syntax errors give line and column.
 */
Jsonb *
dmesh_yaml_parse(const char *text, size_t len)
{
	YamlReader *reader;
	MemoryContext cxt;
	MemoryContext oldcxt = CurrentMemoryContext;
	Jsonb	   *result = NULL;

	check_document_size(len);
	check_tag_directives(text, len);

	/* Everything but the result is allocated in cxt, or by libyaml. */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "dmesh YAML reader",
								ALLOCSET_DEFAULT_SIZES);
	reader = MemoryContextAllocZero(cxt, sizeof(YamlReader));
	if (!yaml_parser_initialize(&reader->parser))
	{
		MemoryContextDelete(cxt);
		elog(ERROR, "could not initialize the YAML parser");
	}

	PG_TRY();
	{
		JsonbParseState *state = NULL;
		StringInfoData path;
		YamlNode   *root;
		JsonbValue *value;

		MemoryContextSwitchTo(cxt);
		yaml_parser_set_input_string(&reader->parser, (const unsigned char *) text, len);
		yaml_parser_set_encoding(&reader->parser, YAML_UTF8_ENCODING);
		root = read_document(reader);

		reader->nodes = 0;
		initStringInfo(&path);
		value = convert_node(reader, root, &path, &state, WJB_DONE, 0);
		MemoryContextSwitchTo(oldcxt);
		result = JsonbValueToJsonb(value);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(oldcxt);
		if (reader->have_event)
			yaml_event_delete(&reader->event);
		yaml_parser_delete(&reader->parser);
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
	return result;
}

/* ----------------------------------------------------------------
 * Reading JSON
 * ----------------------------------------------------------------
 */

/* An object or array being read. */
typedef struct JsonLevel
{
	bool		object;
	int			count;			/* fields or elements so far */
	char	   *key;			/* objects: name of the current field */
	KeySet		keys;
} JsonLevel;

typedef struct JsonReader
{
	JsonLexContext *lex;
	JsonbParseState *state;
	JsonbValue *result;
	long		nodes;
	int			depth;
	JsonLevel	levels[YAML_MAX_DEPTH];
	/* where the next field's name starts, seen after '{' or ',' */
	char	   *key_start;
	int			key_line;
	char	   *key_line_start;
} JsonReader;

/* The path of the value being read, or with depth one less, of its parent. */
static char *
json_path(JsonReader *reader, int depth)
{
	StringInfoData path;

	initStringInfo(&path);
	for (int i = 0; i < depth; i++)
	{
		JsonLevel  *level = &reader->levels[i];

		if (level->object)
			appendStringInfo(&path, "%s%s", path.len > 0 ? "." : "", level->key);
		else
			appendStringInfo(&path, "[%d]", level->count - 1);
	}
	return path.data;
}

/* An error at a byte of the text; the column counts characters. */
static void
json_error(int sqlerrcode, const char *path, const char *problem,
		   int line, const char *line_start, const char *at)
{
	document_error(sqlerrcode, path, problem, line,
				   pg_mbstrlen_with_len(line_start, at - line_start) + 1);
}

/* An error at the current token, the start of the value being read. */
static void
json_value_error(JsonReader *reader, const char *problem)
{
	json_error(ERRCODE_PROGRAM_LIMIT_EXCEEDED, json_path(reader, reader->depth),
			   problem, reader->lex->line_number, reader->lex->line_start,
			   reader->lex->token_start);
}

/* After '{' or ',' in an object, note where the next token starts. */
static void
json_note_key_start(JsonReader *reader)
{
	JsonLexContext *lex = reader->lex;
	char	   *p = lex->token_terminator;
	char	   *end = lex->input + lex->input_length;

	reader->key_line = lex->line_number;
	reader->key_line_start = lex->line_start;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
	{
		if (*p++ == '\n')
		{
			reader->key_line++;
			reader->key_line_start = p;
		}
	}
	reader->key_start = p;
}

/*
 * The callbacks build the jsonb as jsonb_in does (jsonb.c), with the
 * limits and checks of the YAML reader.
 */

static void
json_open(JsonReader *reader, bool object)
{
	JsonLevel  *level;

	CHECK_FOR_INTERRUPTS();
	if (reader->depth == YAML_MAX_DEPTH)
		json_value_error(reader,
						 psprintf("nesting is deeper than %d levels", YAML_MAX_DEPTH));
	level = &reader->levels[reader->depth++];
	level->object = object;
	level->count = 0;
	level->key = NULL;
	if (object)
		json_note_key_start(reader);
	reader->result = pushJsonbValue(&reader->state,
									object ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY, NULL);
}

static void
json_object_start(void *state)
{
	json_open(state, true);
}

static void
json_array_start(void *state)
{
	json_open(state, false);
}

static void
json_close(void *state)
{
	JsonReader *reader = state;
	JsonLevel  *level = &reader->levels[--reader->depth];

	keyset_reset(&level->keys);
	reader->result = pushJsonbValue(&reader->state,
									level->object ? WJB_END_OBJECT : WJB_END_ARRAY, NULL);
}

/* Every value but the whole document starts as a field or an element. */
static void
json_count_value(JsonReader *reader)
{
	CHECK_FOR_INTERRUPTS();
	if (++reader->nodes > YAML_MAX_NODES)
		json_value_error(reader,
						 psprintf("document has more than %d nodes", YAML_MAX_NODES));
}

static void
json_field_start(void *state, char *fname, bool isnull)
{
	JsonReader *reader = state;
	JsonLevel  *level = &reader->levels[reader->depth - 1];
	JsonbValue	k;

	if (++level->count > YAML_MAX_KEYS)
		json_error(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
				   json_path(reader, reader->depth - 1),
				   psprintf("mapping has more than %d keys", YAML_MAX_KEYS),
				   reader->key_line, reader->key_line_start, reader->key_start);
	if (!keyset_add(&level->keys, fname, strlen(fname)))
		json_error(ERRCODE_INVALID_TEXT_REPRESENTATION,
				   json_path(reader, reader->depth - 1),
				   psprintf("duplicate key \"%s\"", fname),
				   reader->key_line, reader->key_line_start, reader->key_start);
	level->key = fname;
	json_count_value(reader);

	k.type = jbvString;
	k.val.string.val = fname;
	k.val.string.len = strlen(fname);
	reader->result = pushJsonbValue(&reader->state, WJB_KEY, &k);
}

static void
json_field_end(void *state, char *fname, bool isnull)
{
	json_note_key_start(state);
}

static void
json_element_start(void *state, bool isnull)
{
	JsonReader *reader = state;

	reader->levels[reader->depth - 1].count++;
	json_count_value(reader);
}

static void
json_scalar(void *state, char *token, JsonTokenType tokentype)
{
	JsonReader *reader = state;
	JsonbValue	v;

	switch (tokentype)
	{
		case JSON_TOKEN_STRING:
			v.type = jbvString;
			v.val.string.val = token;
			v.val.string.len = strlen(token);
			break;
		case JSON_TOKEN_NUMBER:
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																CStringGetDatum(token),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1)));
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			v.type = jbvBool;
			v.val.boolean = (tokentype == JSON_TOKEN_TRUE);
			break;
		case JSON_TOKEN_NULL:
			v.type = jbvNull;
			break;
		default:
			elog(ERROR, "unexpected JSON token type %d", tokentype);
	}

	if (reader->depth == 0)
	{
		/* A scalar document: a one-element raw-scalar array. */
		pushJsonbValue(&reader->state, WJB_BEGIN_ARRAY, NULL);
		reader->state->contVal.val.array.rawScalar = true;
		pushJsonbValue(&reader->state, WJB_ELEM, &v);
		reader->result = pushJsonbValue(&reader->state, WJB_END_ARRAY, NULL);
	}
	else
		reader->result = pushJsonbValue(&reader->state,
										reader->levels[reader->depth - 1].object ?
										WJB_VALUE : WJB_ELEM, &v);
}

/*
 * Parse JSON text into jsonb, as jsonb_in does, but bounded and without
 * duplicate keys.  Syntax errors are those of jsonb_in.
 */
static Jsonb *
dmesh_json_parse(char *text, size_t len)
{
	JsonReader *reader;
	MemoryContext cxt;
	MemoryContext oldcxt = CurrentMemoryContext;
	Jsonb	   *result = NULL;

	/* Everything but the result is allocated in cxt. */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "dmesh JSON reader",
								ALLOCSET_DEFAULT_SIZES);
	reader = MemoryContextAllocZero(cxt, sizeof(JsonReader));
	PG_TRY();
	{
		JsonSemAction sem = {0};

		MemoryContextSwitchTo(cxt);
		reader->lex = makeJsonLexContextCstringLen(text, len, GetDatabaseEncoding(), true);
		reader->nodes = 1;
		sem.semstate = reader;
		sem.object_start = json_object_start;
		sem.object_end = json_close;
		sem.array_start = json_array_start;
		sem.array_end = json_close;
		sem.object_field_start = json_field_start;
		sem.object_field_end = json_field_end;
		sem.array_element_start = json_element_start;
		sem.scalar = json_scalar;
		pg_parse_json_or_ereport(reader->lex, &sem);
		MemoryContextSwitchTo(oldcxt);
		result = JsonbValueToJsonb(reader->result);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
	return result;
}

/* ----------------------------------------------------------------
 * Writing
 * ----------------------------------------------------------------
 */

/*
 * Keys of the Open Data Contract Standard, in the order the standard uses,
 * and those of the Open Data Product Standard that contracts do not have.
 */
static const char *const key_order[] = {
	"apiVersion", "kind", "id", "name", "version", "status", "contractId", "tenant", "domain",
	"dataProduct", "description", "consumer", "rowFilter", "purpose", "expiresAt", "unmask",
	"usage", "limitations", "tags",
	"physicalName", "businessName", "logicalType", "physicalType",
	"logicalTypeOptions", "required", "unique", "primaryKey", "primaryKeyPosition",
	"classification", "examples", "properties", "property", "type", "rule", "metric",
	"query", "arguments", "mustBe", "mustNotBe", "mustBeGreaterThan",
	"mustBeGreaterOrEqualTo", "mustBeLessThan", "mustBeLessOrEqualTo",
	"mustBeBetween", "mustNotBeBetween", "unit", "value", "element", "severity",
	"dimension", "quality", "schema", "inputPorts", "outputPorts", "managementPorts",
	"slaProperties", "team", "roles", "support", "productCreatedTs", "customProperties",
};

static int
key_rank(const char *key, int len)
{
	for (int i = 0; i < lengthof(key_order); i++)
		if ((int) strlen(key_order[i]) == len && memcmp(key_order[i], key, len) == 0)
			return i;
	return lengthof(key_order);
}

typedef struct YamlPair
{
	JsonbValue	key;
	JsonbValue	value;
	int			rank;
	int			position;
} YamlPair;

static int
pair_cmp(const void *a, const void *b)
{
	const YamlPair *pa = a;
	const YamlPair *pb = b;

	if (pa->rank != pb->rank)
		return pa->rank - pb->rank;
	return pa->position - pb->position;
}

typedef struct YamlWriter
{
	yaml_emitter_t emitter;
	StringInfoData out;
} YamlWriter;

static int
yaml_write_handler(void *data, unsigned char *buffer, size_t size)
{
	YamlWriter *writer = data;

	appendBinaryStringInfo(&writer->out, (char *) buffer, size);
	return 1;
}

static void
emit(YamlWriter *writer, yaml_event_t *event)
{
	if (!yaml_emitter_emit(&writer->emitter, event))
		elog(ERROR, "could not write YAML: %s",
			 writer->emitter.problem ? writer->emitter.problem : "unknown error");
}

/*
 * Plain scalars that a YAML 1.1 reader types.
 *
 * The YAML 1.1 type repository (yaml.org/type) gives each implicit type as
 * a regular expression that the whole scalar must match:
 *
 *	 bool		y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE
 *				|on|On|ON|off|Off|OFF
 *	 null		~|null|Null|NULL|(empty)
 *	 int		[-+]?0b[0-1_]+
 *				|[-+]?0[0-7_]+
 *				|[-+]?(0|[1-9][0-9_]*)
 *				|[-+]?0x[0-9a-fA-F_]+
 *				|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+
 *	 float		[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?
 *				|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
 *				|[-+]?\.(inf|Inf|INF)
 *				|\.(nan|NaN|NAN)
 *	 timestamp	[0-9]{4}-[0-9]{2}-[0-9]{2}
 *				|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}
 *				 :[0-9]{2}:[0-9]{2}(\.[0-9]*)?(([ \t]*)Z|[-+][0-9]{1,2}(:[0-9]{2})?)?
 *	 merge		<<
 *	 value		=
 *
 * PyYAML, the most used YAML 1.1 reader, resolves with the same
 * expressions but for three changes: it leaves out y, Y, n and N; its
 * base 10 float has [0-9_]* after the point, and needs a digit before the
 * point when signed ([-+]?[0-9][0-9_]*\.[0-9_]*(...)?|\.[0-9][0-9_]*(...)?),
 * where the spec's [0-9.]* makes "1.2.3" and even "." floats; and it
 * allows blanks before any time zone, not only "Z".  The matchers below
 * accept exactly the union of the two, each in one pass over the text.  A
 * timestamp that matches but is no real date ("2020-13-45") makes PyYAML
 * fail, so the pattern alone decides.
 */

#define YAML_DIGITS "0123456789"

/* A cursor over text that need not end in '\0'. */
typedef struct YamlScan
{
	const char *p;
	const char *end;
} YamlScan;

/* Skip one character of set, if there is one. */
static bool
scan_char(YamlScan *scan, const char *set)
{
	if (scan->p < scan->end && *scan->p != '\0' && strchr(set, *scan->p) != NULL)
	{
		scan->p++;
		return true;
	}
	return false;
}

/* Skip all characters of set; return how many there were. */
static int
scan_span(YamlScan *scan, const char *set)
{
	const char *start = scan->p;

	while (scan_char(scan, set))
		;
	return scan->p - start;
}

/* Is the rest of the text exactly word? */
static bool
scan_rest_is(YamlScan *scan, const char *word)
{
	size_t		len = strlen(word);

	return (size_t) (scan->end - scan->p) == len && memcmp(scan->p, word, len) == 0;
}

/* Skip a run of digits; is its length between min and max? */
static bool
scan_digits(YamlScan *scan, int min, int max)
{
	int			n = scan_span(scan, YAML_DIGITS);

	return n >= min && n <= max;
}

/* Sexagesimal digits: (:[0-5]?[0-9])+ */
static bool
scan_sexagesimal(YamlScan *scan)
{
	int			groups = 0;

	while (scan_char(scan, ":"))
	{
		const char *start = scan->p;

		if (!scan_digits(scan, 1, 2) || (scan->p - start == 2 && start[0] > '5'))
			return false;
		groups++;
	}
	return groups > 0;
}

/* The int expressions above. */
static bool
yaml11_int(const char *text, int len)
{
	YamlScan	scan = {text, text + len};

	(void) scan_char(&scan, "-+");
	if (scan_char(&scan, "0"))
	{
		if (scan_char(&scan, "b"))
			return scan_span(&scan, "01_") > 0 && scan.p == scan.end;
		if (scan_char(&scan, "x"))
			return scan_span(&scan, YAML_DIGITS "abcdefABCDEF_") > 0 && scan.p == scan.end;
		(void) scan_span(&scan, "01234567_");
		return scan.p == scan.end;
	}
	if (!scan_char(&scan, "123456789"))
		return false;
	(void) scan_span(&scan, YAML_DIGITS "_");
	return scan.p == scan.end || (scan_sexagesimal(&scan) && scan.p == scan.end);
}

/* The float expressions above, the spec's and PyYAML's. */
static bool
yaml11_float(const char *text, int len)
{
	YamlScan	scan = {text, text + len};
	bool		sign = scan_char(&scan, "-+");
	bool		whole = scan_char(&scan, YAML_DIGITS);
	const char *fraction;
	bool		dots = false;
	bool		underscores = false;

	if (whole)
	{
		(void) scan_span(&scan, YAML_DIGITS "_");
		if (scan.p < scan.end && *scan.p == ':')
		{
			/* base 60 */
			if (!scan_sexagesimal(&scan) || !scan_char(&scan, "."))
				return false;
			(void) scan_span(&scan, YAML_DIGITS "_");
			return scan.p == scan.end;
		}
	}
	if (!scan_char(&scan, "."))
		return false;
	if (!whole && (scan_rest_is(&scan, "inf") || scan_rest_is(&scan, "Inf") ||
				   scan_rest_is(&scan, "INF")))
		return true;
	if (!whole && !sign && (scan_rest_is(&scan, "nan") || scan_rest_is(&scan, "NaN") ||
							scan_rest_is(&scan, "NAN")))
		return true;

	/* base 10: the fraction, [0-9._]*, then an exponent */
	fraction = scan.p;
	for (; scan.p < scan.end; scan.p++)
	{
		if (*scan.p == '.')
			dots = true;
		else if (*scan.p == '_')
			underscores = true;
		else if (!isdigit((unsigned char) *scan.p))
			break;
	}
	if (scan_char(&scan, "eE") &&
		(!scan_char(&scan, "-+") || scan_span(&scan, YAML_DIGITS) == 0))
		return false;
	if (scan.p != scan.end)
		return false;
	/* The spec's fraction, or PyYAML's (with an underscore, not empty) */
	return !underscores ||
		(!dots && (whole || (!sign && isdigit((unsigned char) *fraction))));
}

/* The timestamp expressions above. */
static bool
yaml11_timestamp(const char *text, int len)
{
	YamlScan	scan = {text, text + len};
	const char *month;
	const char *day;

	if (!scan_digits(&scan, 4, 4) || !scan_char(&scan, "-"))
		return false;
	month = scan.p;
	if (!scan_digits(&scan, 1, 2) || !scan_char(&scan, "-"))
		return false;
	day = scan.p;
	if (!scan_digits(&scan, 1, 2))
		return false;
	if (scan.p == scan.end)
		return day - month == 3 && scan.p - day == 2;	/* 2002-12-14 */
	if (!scan_char(&scan, "Tt") && scan_span(&scan, " \t") == 0)
		return false;
	if (!scan_digits(&scan, 1, 2) ||
		!scan_char(&scan, ":") || !scan_digits(&scan, 2, 2) ||
		!scan_char(&scan, ":") || !scan_digits(&scan, 2, 2))
		return false;
	if (scan_char(&scan, "."))
		(void) scan_span(&scan, YAML_DIGITS);
	if (scan.p == scan.end)
		return true;
	/* the time zone */
	(void) scan_span(&scan, " \t");
	if (scan_char(&scan, "Z"))
		return scan.p == scan.end;
	if (!scan_char(&scan, "-+") || !scan_digits(&scan, 1, 2))
		return false;
	if (scan_char(&scan, ":") && !scan_digits(&scan, 2, 2))
		return false;
	return scan.p == scan.end;
}

/*
 * Would a YAML reader take this text, written as a plain scalar, for
 * something other than this string?  True for what the YAML 1.2 core
 * schema types (resolve_plain), for what a YAML 1.1 reader types (above),
 * and for text with blanks at either end, which a plain scalar loses.
 * Everything else stays plain; libyaml itself quotes what cannot be plain
 * at all ("- x", "a: b", "#c", "[d", ...).
 */
static bool
needs_quotes(const char *text, int len)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"~", "null", "Null", "NULL", "<<", "="
	};
	char		buf[64];
	char	   *copy;
	bool		quote;

	if (len == 0 || text[0] == ' ' || text[0] == '\t' ||
		text[len - 1] == ' ' || text[len - 1] == '\t')
		return true;
	for (int i = 0; i < lengthof(words); i++)
		if (strlen(words[i]) == len && memcmp(words[i], text, len) == 0)
			return true;

	/* Every number and timestamp starts so. */
	if (text[0] == '\0' || strchr(YAML_DIGITS "+-.", text[0]) == NULL)
		return false;
	if (yaml11_int(text, len) || yaml11_float(text, len) ||
		yaml11_timestamp(text, len))
		return true;

	/* The YAML 1.2 core schema's numbers ("09", "0o17", "1e5") */
	copy = len < sizeof(buf) ? buf : palloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	quote = resolve_plain(copy) != PLAIN_STRING;
	if (copy != buf)
		pfree(copy);
	return quote;
}

static void
emit_scalar(YamlWriter *writer, const char *text, int len, bool plain)
{
	yaml_event_t event;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	/* libyaml falls back to quoting when a block cannot hold the text. */
	if (!plain)
		style = needs_quotes(text, len) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
			memchr(text, '\n', len) != NULL ? YAML_LITERAL_SCALAR_STYLE :
			YAML_ANY_SCALAR_STYLE;
	yaml_scalar_event_initialize(&event, NULL, NULL, (yaml_char_t *) text, len,
								 1, 1, style);
	emit(writer, &event);
}

static void emit_value(YamlWriter *writer, JsonbValue *v);

static void
emit_container(YamlWriter *writer, JsonbContainer *container)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbValue	v;
	JsonbIteratorToken tok;
	yaml_event_t event;

	check_stack_depth();
	tok = JsonbIteratorNext(&it, &v, true);
	if (tok == WJB_BEGIN_ARRAY && v.val.array.rawScalar)
	{
		tok = JsonbIteratorNext(&it, &v, true);
		emit_value(writer, &v);
		return;
	}
	if (tok == WJB_BEGIN_ARRAY)
	{
		yaml_sequence_start_event_initialize(&event, NULL, NULL, 1, YAML_ANY_SEQUENCE_STYLE);
		emit(writer, &event);
		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_ELEM)
			emit_value(writer, &v);
		yaml_sequence_end_event_initialize(&event);
		emit(writer, &event);
	}
	else
	{
		int			n = JsonContainerSize(container);
		YamlPair   *pairs = palloc(sizeof(YamlPair) * Max(n, 1));
		int			i = 0;

		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_KEY)
		{
			pairs[i].key = v;
			pairs[i].rank = key_rank(v.val.string.val, v.val.string.len);
			pairs[i].position = i;
			(void) JsonbIteratorNext(&it, &pairs[i].value, true);
			i++;
		}
		qsort(pairs, i, sizeof(YamlPair), pair_cmp);

		yaml_mapping_start_event_initialize(&event, NULL, NULL, 1, YAML_ANY_MAPPING_STYLE);
		emit(writer, &event);
		for (int j = 0; j < i; j++)
		{
			emit_scalar(writer, pairs[j].key.val.string.val, pairs[j].key.val.string.len, false);
			emit_value(writer, &pairs[j].value);
		}
		yaml_mapping_end_event_initialize(&event);
		emit(writer, &event);
	}
}

static void
emit_value(YamlWriter *writer, JsonbValue *v)
{
	CHECK_FOR_INTERRUPTS();
	switch (v->type)
	{
		case jbvNull:
			emit_scalar(writer, "null", 4, true);
			break;
		case jbvBool:
			emit_scalar(writer, v->val.boolean ? "true" : "false",
						v->val.boolean ? 4 : 5, true);
			break;
		case jbvNumeric:
			{
				char	   *num = DatumGetCString(DirectFunctionCall1(numeric_out,
																	  NumericGetDatum(v->val.numeric)));

				emit_scalar(writer, num, strlen(num), true);
				break;
			}
		case jbvString:
			emit_scalar(writer, v->val.string.val, v->val.string.len, false);
			break;
		case jbvBinary:
			emit_container(writer, v->val.binary.data);
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", v->type);
	}
}

/*
 * Write jsonb as a YAML document.
 */
char *
dmesh_yaml_emit(Jsonb *jb)
{
	YamlWriter	writer;
	char	   *result = NULL;

	if (!yaml_emitter_initialize(&writer.emitter))
		elog(ERROR, "could not initialize the YAML emitter");
	initStringInfo(&writer.out);

	PG_TRY();
	{
		yaml_event_t event;

		yaml_emitter_set_output(&writer.emitter, yaml_write_handler, &writer);
		yaml_emitter_set_unicode(&writer.emitter, 1);
		yaml_emitter_set_indent(&writer.emitter, 2);
		yaml_emitter_set_width(&writer.emitter, 100);

		yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING);
		emit(&writer, &event);
		yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1);
		emit(&writer, &event);
		emit_container(&writer, &jb->root);
		yaml_document_end_event_initialize(&event, 1);
		emit(&writer, &event);
		yaml_stream_end_event_initialize(&event);
		emit(&writer, &event);
		result = writer.out.data;
	}
	PG_FINALLY();
	{
		yaml_emitter_delete(&writer.emitter);
	}
	PG_END_TRY();
	return result;
}

/*
 * Contract text: JSON when it starts with '{', YAML otherwise.
 */
Jsonb *
dmesh_parse_document(const char *text)
{
	const char *p = text;
	size_t		len = strlen(text);

	check_document_size(len);
	while (isspace((unsigned char) *p))
		p++;
	if (*p == '{')
		return dmesh_json_parse(unconstify(char *, text), len);
	return dmesh_yaml_parse(text, len);
}

Datum
dmesh_yaml_to_jsonb(PG_FUNCTION_ARGS)
{
	text	   *t;

	/* Refuse a large text before it is decompressed. */
	check_document_size(toast_raw_datum_size(PG_GETARG_DATUM(0)) - VARHDRSZ);
	t = PG_GETARG_TEXT_PP(0);
	PG_RETURN_JSONB_P(dmesh_yaml_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

Datum
dmesh_jsonb_to_yaml(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(dmesh_yaml_emit(PG_GETARG_JSONB_P(0))));
}
