/*-------------------------------------------------------------------------
 *
 * yaml.c
 *		YAML to jsonb and back, with libyaml.
 *
 * Contracts arrive as YAML (or JSON) text and are stored as jsonb.  The
 * reader loads one YAML document and converts it node by node.  Plain
 * (unquoted) scalars are typed with the YAML 1.2 core schema: null, true,
 * false, integers (decimal, 0o octal, 0x hex) and floats become JSON
 * nulls, booleans and numbers; everything else, and every quoted or block
 * scalar, is a string.  Duplicate keys, more than one document, and
 * infinite or NaN numbers (which JSON cannot hold) are errors.  Aliases are
 * expanded, with a bound on the number of nodes produced.
 *
 * The writer emits block-style YAML.  A string that would read back as
 * something else (e.g. "true", "1.0", "null", "", and for YAML 1.1 readers
 * "yes" or "2024-01-01") is double-quoted, so that the output always
 * parses back to the same jsonb.  Keys of the Open
 * Data Contract Standard come first, in the standard's order.
 *
 * libyaml allocates with malloc: every path out of these functions,
 * including errors, frees its parser, document or emitter.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <yaml.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "dmesh.h"

PG_FUNCTION_INFO_V1(dmesh_yaml_to_jsonb);
PG_FUNCTION_INFO_V1(dmesh_jsonb_to_yaml);

/* Bound on the nodes one document may expand to (aliases included). */
#define YAML_MAX_NODES	1000000

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
 * Reading
 * ----------------------------------------------------------------
 */

typedef struct YamlReader
{
	yaml_document_t *doc;
	const char *text;			/* the source, to see explicit tags */
	size_t		len;
	long		nodes;
} YamlReader;

/*
 * libyaml's loader gives every untagged scalar the default string tag, so
 * whether a tag was written is read from the source: a node starts with
 * its properties, an optional "&anchor" then an optional "!tag".
 */
static bool
written_tag(YamlReader *reader, yaml_node_t *node)
{
	size_t		i = node->start_mark.index;

	if (i < reader->len && reader->text[i] == '&')
	{
		while (i < reader->len && !isspace((unsigned char) reader->text[i]))
			i++;
		while (i < reader->len && (reader->text[i] == ' ' || reader->text[i] == '\t'))
			i++;
	}
	return i < reader->len && reader->text[i] == '!';
}

static void
yaml_node_error(yaml_node_t *node, StringInfo path, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("%s%s%s (line %lu, column %lu)",
					path->len > 0 ? path->data : "", path->len > 0 ? ": " : "",
					problem,
					(unsigned long) node->start_mark.line + 1,
					(unsigned long) node->start_mark.column + 1)));
}

static Numeric
integer_numeric(const char *text, yaml_node_t *node, StringInfo path)
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
scalar_value(YamlReader *reader, yaml_node_t *node, StringInfo path, JsonbValue *v)
{
	const char *text = (const char *) node->data.scalar.value;
	size_t		len = node->data.scalar.length;
	const char *tag = (const char *) node->tag;
	PlainKind	kind = PLAIN_STRING;

	if (strlen(text) != len)
		yaml_node_error(node, path, "scalar contains a NUL character");

	if (written_tag(reader, node))
	{
		/* An explicit type: the text must be of that type. */
		if (tag == NULL || strncmp(tag, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) != 0)
			yaml_node_error(node, path, psprintf("unsupported tag %s", tag ? tag : "!"));
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
	else if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
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
			v->val.string.val = pnstrdup(text, len);
			v->val.string.len = len;
			break;
	}
}

static void parser_error(yaml_parser_t *parser) pg_attribute_noreturn();
static JsonbValue *convert_node(YamlReader *reader, yaml_node_t *node, StringInfo path,
								JsonbParseState **state, JsonbIteratorToken as);

/*
 * The convert_* functions push a node into the jsonb being built and
 * return what the last push returned: for the outermost node, the whole
 * document.
 */

/* Text of a mapping key: keys are scalars, used as they are written. */
static char *
key_text(yaml_node_t *key, StringInfo path)
{
	if (key->type != YAML_SCALAR_NODE)
		yaml_node_error(key, path, "mapping keys must be scalars");
	if (strlen((char *) key->data.scalar.value) != key->data.scalar.length)
		yaml_node_error(key, path, "key contains a NUL character");
	return pnstrdup((char *) key->data.scalar.value, key->data.scalar.length);
}

static JsonbValue *
convert_mapping(YamlReader *reader, yaml_node_t *node, StringInfo path,
				JsonbParseState **state)
{
	int			npairs = node->data.mapping.pairs.top - node->data.mapping.pairs.start;
	char	  **keys = palloc(sizeof(char *) * Max(npairs, 1));
	int			saved_len = path->len;

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < npairs; i++)
	{
		yaml_node_pair_t *pair = node->data.mapping.pairs.start + i;
		yaml_node_t *knode = yaml_document_get_node(reader->doc, pair->key);
		yaml_node_t *vnode = yaml_document_get_node(reader->doc, pair->value);
		JsonbValue	k;

		keys[i] = key_text(knode, path);
		for (int j = 0; j < i; j++)
			if (strcmp(keys[i], keys[j]) == 0)
				yaml_node_error(knode, path, psprintf("duplicate key \"%s\"", keys[i]));

		k.type = jbvString;
		k.val.string.val = keys[i];
		k.val.string.len = strlen(keys[i]);
		pushJsonbValue(state, WJB_KEY, &k);

		appendStringInfo(path, "%s%s", saved_len > 0 ? "." : "", keys[i]);
		convert_node(reader, vnode, path, state, WJB_VALUE);
		path->len = saved_len;
		path->data[saved_len] = '\0';
	}
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

static JsonbValue *
convert_sequence(YamlReader *reader, yaml_node_t *node, StringInfo path,
				 JsonbParseState **state)
{
	int			saved_len = path->len;
	int			n = 0;

	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (yaml_node_item_t *item = node->data.sequence.items.start;
		 item < node->data.sequence.items.top; item++, n++)
	{
		appendStringInfo(path, "[%d]", n);
		convert_node(reader, yaml_document_get_node(reader->doc, *item), path, state,
					 WJB_ELEM);
		path->len = saved_len;
		path->data[saved_len] = '\0';
	}
	return pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/*
 * Push one node: as a value of an object (WJB_VALUE), an element of an
 * array (WJB_ELEM), or as the whole document (WJB_DONE).
 */
static JsonbValue *
convert_node(YamlReader *reader, yaml_node_t *node, StringInfo path,
			 JsonbParseState **state, JsonbIteratorToken as)
{
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (++reader->nodes > YAML_MAX_NODES)
		yaml_node_error(node, path,
						psprintf("document expands to more than %d nodes", YAML_MAX_NODES));

	switch (node->type)
	{
		case YAML_MAPPING_NODE:
			return convert_mapping(reader, node, path, state);
		case YAML_SEQUENCE_NODE:
			return convert_sequence(reader, node, path, state);
		case YAML_SCALAR_NODE:
			{
				JsonbValue	v;

				scalar_value(reader, node, path, &v);
				if (as != WJB_DONE)
					return pushJsonbValue(state, as, &v);
				/* A scalar document: a one-element raw-scalar array. */
				pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
				(*state)->contVal.val.array.rawScalar = true;
				pushJsonbValue(state, WJB_ELEM, &v);
				return pushJsonbValue(state, WJB_END_ARRAY, NULL);
			}
		default:
			yaml_node_error(node, path, "empty node");
	}
	return NULL;				/* keep compiler quiet */
}

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
 * Parse YAML text into jsonb.  Syntax errors give line and column.
 */
Jsonb *
dmesh_yaml_parse(const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_document_t extra;
	bool		have_doc = false;
	bool		have_extra = false;
	Jsonb	   *result = NULL;

	if (!yaml_parser_initialize(&parser))
		elog(ERROR, "could not initialize the YAML parser");

	PG_TRY();
	{
		YamlReader	reader;
		JsonbParseState *state = NULL;
		StringInfoData path;
		yaml_node_t *root;

		yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
		yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
		if (!yaml_parser_load(&parser, &doc))
			parser_error(&parser);
		have_doc = true;

		root = yaml_document_get_root_node(&doc);
		if (root == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("YAML text contains no document")));

		if (!yaml_parser_load(&parser, &extra))
			parser_error(&parser);
		have_extra = true;
		if (yaml_document_get_root_node(&extra) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("YAML text contains more than one document"),
					 errhint("Remove the \"---\" separators after the first document.")));

		reader.doc = &doc;
		reader.text = text;
		reader.len = len;
		reader.nodes = 0;
		initStringInfo(&path);
		result = JsonbValueToJsonb(convert_node(&reader, root, &path, &state, WJB_DONE));
	}
	PG_FINALLY();
	{
		if (have_extra)
			yaml_document_delete(&extra);
		if (have_doc)
			yaml_document_delete(&doc);
		yaml_parser_delete(&parser);
	}
	PG_END_TRY();
	return result;
}

/* ----------------------------------------------------------------
 * Writing
 * ----------------------------------------------------------------
 */

/* Keys of the Open Data Contract Standard, in the order the standard uses. */
static const char *const key_order[] = {
	"apiVersion", "kind", "id", "name", "version", "status", "tenant", "domain",
	"dataProduct", "description", "purpose", "usage", "limitations", "tags",
	"physicalName", "businessName", "logicalType", "physicalType",
	"logicalTypeOptions", "required", "unique", "primaryKey", "primaryKeyPosition",
	"classification", "examples", "properties", "property", "type", "rule", "metric",
	"query", "arguments", "mustBe", "mustNotBe", "mustBeGreaterThan",
	"mustBeGreaterOrEqualTo", "mustBeLessThan", "mustBeLessOrEqualTo",
	"mustBeBetween", "mustNotBeBetween", "unit", "value", "element", "severity",
	"dimension", "quality", "schema", "slaProperties", "team", "roles", "support",
	"customProperties",
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
 * Would a YAML reader take this plain text for something other than a
 * string?  Besides the YAML 1.2 core schema, YAML 1.1 readers (still
 * common in data tooling) take yes/no/on/off as booleans, "<<" and "=" as
 * special keys, and dates, times and sexagesimal numbers as such: any
 * token starting like a number is quoted.
 */
static bool
needs_quotes(const char *text, int len)
{
	static const char *const yaml11[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF", "<<", "="
	};
	char	   *copy = pnstrdup(text, len);
	bool		quote = false;

	if (len == 0 || resolve_plain(copy) != PLAIN_STRING ||
		text[0] == ' ' || text[0] == '\t' || text[len - 1] == ' ' || text[len - 1] == '\t')
		quote = true;
	for (int i = 0; !quote && i < lengthof(yaml11); i++)
		quote = strcmp(copy, yaml11[i]) == 0;
	if (!quote && (isdigit((unsigned char) text[0]) || text[0] == '+' ||
				   text[0] == '-' || text[0] == '.'))
	{
		quote = true;
		for (int i = 0; i < len && quote; i++)
			if (isspace((unsigned char) text[i]))
				quote = false;
	}
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

	while (isspace((unsigned char) *p))
		p++;
	if (*p == '{')
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	return dmesh_yaml_parse(text, strlen(text));
}

Datum
dmesh_yaml_to_jsonb(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_JSONB_P(dmesh_yaml_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

Datum
dmesh_jsonb_to_yaml(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(dmesh_yaml_emit(PG_GETARG_JSONB_P(0))));
}
