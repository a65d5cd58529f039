/*-------------------------------------------------------------------------
 *
 * quality_fastre.c
 *		A fast matcher for the simple regular expressions contracts use.
 *
 * Patterns in contracts are mostly a sequence of characters and bracket
 * expressions with quantifiers, anchored at both ends:
 *		^[A-Z]{2}[0-9]{4}$		^[^@ ]+@[^@ ]+$		^S[0-9]{3}$
 * For those, PostgreSQL's regular expression engine costs far more per
 * value than the test itself (it converts the value to wide characters
 * and sets up its automaton on every call).  This file compiles such a
 * pattern into a bit-parallel NFA (one bit per pattern element, at most
 * 62) and runs it over the bytes of the value.
 *
 * It is only an accelerator.  A pattern outside the subset (groups,
 * alternation, back references, anchors inside, options, ...) is not
 * compiled, and a value it cannot judge (a non-ASCII character against a
 * class whose meaning depends on the locale, such as \w or [[:alpha:]])
 * is handed to PostgreSQL's engine.  The answers are the same as the ~
 * operator's: an unanchored pattern matches anywhere in the value.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "dmesh.h"
#include "quality.h"

#define MAX_ELEMS	62

typedef enum Repeat
{
	REP_ONE,					/* exactly one character */
	REP_OPT,					/* zero or one */
	REP_STAR					/* zero or more */
} Repeat;

/* One character class, while parsing. */
typedef struct CharClass
{
	uint64		ascii[2];		/* membership of characters 0..127 */
	int			non_ascii;		/* FASTRE_NO, FASTRE_YES, FASTRE_UNKNOWN */
} CharClass;

#define FASTRE_NO		0
#define FASTRE_YES		1
#define FASTRE_UNKNOWN	2

struct DmeshFastRe
{
	int			nelems;
	bool		anchored_start;
	bool		anchored_end;
	uint64		match[128];		/* elements matching each ASCII character */
	uint64		match_non_ascii;	/* elements matching any non-ASCII character */
	uint64		unknown_non_ascii;	/* elements that cannot judge one */
	uint64		one;			/* elements of each kind */
	uint64		opt;
	uint64		star;
};

static void
class_add(CharClass *cc, int c)
{
	cc->ascii[c >> 6] |= UINT64CONST(1) << (c & 63);
}

static void
class_add_range(CharClass *cc, int lo, int hi)
{
	for (int c = lo; c <= hi; c++)
		class_add(cc, c);
}

/* Named classes, ASCII part; their non-ASCII members depend on the locale. */
static bool
class_add_named(CharClass *cc, const char *name, int len)
{
	struct
	{
		const char *name;
		const char *ranges;		/* pairs of lo, hi */
	}			names[] =
	{
		{"digit", "09"},
		{"alpha", "AZaz"},
		{"alnum", "09AZaz"},
		{"upper", "AZ"},
		{"lower", "az"},
		{"xdigit", "09AFaf"},
		{"space", " \t\n\n\v\v\f\f\r\r"},
		{"punct", "!/:@[`{~"},
		{"word", "09AZaz__"},
	};

	for (int i = 0; i < lengthof(names); i++)
	{
		if (strlen(names[i].name) == len && strncmp(names[i].name, name, len) == 0)
		{
			const char *r = names[i].ranges;

			if (strcmp(names[i].name, "space") == 0)
			{
				class_add(cc, ' ');
				class_add_range(cc, '\t', '\r');
			}
			else
				for (; r[0] && r[1]; r += 2)
					class_add_range(cc, (unsigned char) r[0], (unsigned char) r[1]);
			cc->non_ascii = FASTRE_UNKNOWN;
			return true;
		}
	}
	return false;
}

/*
 * A backslash escape at p (after the backslash); returns the number of
 * bytes consumed, or 0 if not supported.  "negate" is set for \D \W \S.
 */
static int
parse_escape(const char *p, CharClass *cc, bool *negate)
{
	*negate = false;
	switch (*p)
	{
		case 'd':
		case 'D':
			class_add_named(cc, "digit", 5);
			*negate = (*p == 'D');
			return 1;
		case 'w':
		case 'W':
			class_add_named(cc, "word", 4);
			*negate = (*p == 'W');
			return 1;
		case 's':
		case 'S':
			class_add_named(cc, "space", 5);
			*negate = (*p == 'S');
			return 1;
		case 't':
			class_add(cc, '\t');
			return 1;
		case 'n':
			class_add(cc, '\n');
			return 1;
		case 'r':
			class_add(cc, '\r');
			return 1;
		default:
			/* An escaped punctuation character is itself. */
			if ((unsigned char) *p < 128 && ispunct((unsigned char) *p))
			{
				class_add(cc, (unsigned char) *p);
				return 1;
			}
			return 0;
	}
}

static void
class_negate(CharClass *cc)
{
	cc->ascii[0] = ~cc->ascii[0];
	cc->ascii[1] = ~cc->ascii[1];
	if (cc->non_ascii == FASTRE_NO)
		cc->non_ascii = FASTRE_YES;
	else if (cc->non_ascii == FASTRE_YES)
		cc->non_ascii = FASTRE_NO;
}

/* A bracket expression at p (after '['); returns bytes consumed or 0. */
static int
parse_bracket(const char *p, CharClass *cc)
{
	const char *start = p;
	bool		negate = false;
	bool		first = true;

	if (*p == '^')
	{
		negate = true;
		p++;
	}
	for (;;)
	{
		int			lo;

		if (*p == '\0' || (unsigned char) *p >= 128)
			return 0;
		if (*p == ']' && !first)
		{
			p++;
			break;
		}
		first = false;
		if (p[0] == '[' && p[1] == ':')
		{
			const char *end = strstr(p + 2, ":]");

			if (end == NULL || !class_add_named(cc, p + 2, end - (p + 2)))
				return 0;
			p = end + 2;
			continue;
		}
		if (p[0] == '[' && (p[1] == '.' || p[1] == '='))
			return 0;			/* collating elements: not here */
		if (*p == '\\')
		{
			CharClass	esc = {{0, 0}, FASTRE_NO};
			bool		neg;
			int			n = parse_escape(p + 1, &esc, &neg);

			if (n == 0 || neg)
				return 0;
			cc->ascii[0] |= esc.ascii[0];
			cc->ascii[1] |= esc.ascii[1];
			if (esc.non_ascii != FASTRE_NO)
				cc->non_ascii = esc.non_ascii;
			p += 1 + n;
			continue;
		}
		lo = (unsigned char) *p++;
		if (p[0] == '-' && p[1] != ']' && p[1] != '\0')
		{
			int			hi = (unsigned char) p[1];

			if (hi >= 128 || hi == '\\' || hi == '[' || hi < lo)
				return 0;
			class_add_range(cc, lo, hi);
			p += 2;
		}
		else
			class_add(cc, lo);
	}
	if (negate)
		class_negate(cc);
	return p - start;
}

static bool
add_elem(DmeshFastRe *re, const CharClass *cc, Repeat rep)
{
	uint64		bit;

	if (re->nelems >= MAX_ELEMS)
		return false;
	bit = UINT64CONST(1) << re->nelems;
	for (int c = 0; c < 128; c++)
		if (cc->ascii[c >> 6] & (UINT64CONST(1) << (c & 63)))
			re->match[c] |= bit;
	if (cc->non_ascii == FASTRE_YES)
		re->match_non_ascii |= bit;
	else if (cc->non_ascii == FASTRE_UNKNOWN)
		re->unknown_non_ascii |= bit;
	if (rep == REP_ONE)
		re->one |= bit;
	else if (rep == REP_OPT)
		re->opt |= bit;
	else
		re->star |= bit;
	re->nelems++;
	return true;
}

static int
parse_count(const char **p)
{
	int			n = 0;

	if (!isdigit((unsigned char) **p))
		return -1;
	while (isdigit((unsigned char) **p))
	{
		n = n * 10 + (**p - '0');
		if (n > 255)
			return -1;
		(*p)++;
	}
	return n;
}

/*
 * Compile a pattern, or return NULL if it is outside the subset.
 */
DmeshFastRe *
dmesh_fastre_compile(const char *pattern)
{
	DmeshFastRe *re = palloc0(sizeof(DmeshFastRe));
	const char *p = pattern;

	if (*p == '^')
	{
		re->anchored_start = true;
		p++;
	}
	while (*p)
	{
		CharClass	cc = {{0, 0}, FASTRE_NO};
		int			min = 1,
					max = 1;	/* -1: unbounded */

		if (*p == '$' && p[1] == '\0')
		{
			re->anchored_end = true;
			p++;
			break;
		}
		if ((unsigned char) *p >= 128)
			return NULL;
		switch (*p)
		{
			case '.':
				cc.ascii[0] = cc.ascii[1] = ~UINT64CONST(0);
				cc.non_ascii = FASTRE_YES;
				p++;
				break;
			case '[':
				{
					int			n = parse_bracket(p + 1, &cc);

					if (n == 0)
						return NULL;
					p += 1 + n;
					break;
				}
			case '\\':
				{
					bool		neg;
					int			n = parse_escape(p + 1, &cc, &neg);

					if (n == 0)
						return NULL;
					if (neg)
						class_negate(&cc);
					p += 1 + n;
					break;
				}
			case '(':
			case ')':
			case '|':
			case '^':
			case '$':
			case '*':
			case '+':
			case '?':
			case '{':
			case '}':
				return NULL;
			default:
				class_add(&cc, (unsigned char) *p);
				p++;
		}

		/* A quantifier, greedy or not (the same for a yes/no answer). */
		if (*p == '*' || *p == '+' || *p == '?')
		{
			min = (*p == '+') ? 1 : 0;
			max = (*p == '?') ? 1 : -1;
			p++;
		}
		else if (*p == '{')
		{
			p++;
			min = parse_count(&p);
			if (min < 0)
				return NULL;
			max = min;
			if (*p == ',')
			{
				p++;
				max = (*p == '}') ? -1 : parse_count(&p);
				if (max == -1 && *p != '}')
					return NULL;
				if (max >= 0 && max < min)
					return NULL;
			}
			if (*p != '}')
				return NULL;
			p++;
		}
		if (*p == '?' && (min != 1 || max != 1))
			p++;				/* non-greedy */
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{')
			return NULL;

		for (int i = 0; i < min; i++)
			if (!add_elem(re, &cc, REP_ONE))
				return NULL;
		if (max < 0)
		{
			if (!add_elem(re, &cc, REP_STAR))
				return NULL;
		}
		else
			for (int i = min; i < max; i++)
				if (!add_elem(re, &cc, REP_OPT))
					return NULL;
	}
	return re;
}

/* Add the positions reachable by skipping optional and starred elements. */
static inline uint64
closure(const DmeshFastRe *re, uint64 s)
{
	uint64		skippable = re->opt | re->star;
	uint64		prev;

	do
	{
		prev = s;
		s |= (s & skippable) << 1;
	} while (s != prev);
	return s;
}

/*
 * Match a value: DMESH_FASTRE_MATCH, DMESH_FASTRE_NOMATCH, or
 * DMESH_FASTRE_UNKNOWN when PostgreSQL's engine must decide.
 */
int
dmesh_fastre_match(const DmeshFastRe *re, const char *s, int len)
{
	uint64		accept = UINT64CONST(1) << re->nelems;
	uint64		start = closure(re, 1);
	uint64		state = start;
	const char *end = s + len;

	while (s < end)
	{
		unsigned char c = (unsigned char) *s;
		uint64		m;

		if (!re->anchored_end && (state & accept))
			return DMESH_FASTRE_MATCH;
		if (c < 128)
		{
			m = re->match[c];
			s++;
		}
		else
		{
			if (state & re->unknown_non_ascii)
				return DMESH_FASTRE_UNKNOWN;
			m = re->match_non_ascii;
			s += pg_mblen(s);
		}
		state = ((state & m & (re->one | re->opt)) << 1) | (state & m & re->star);
		state = closure(re, state);
		if (!re->anchored_start)
			state |= start;
		else if (state == 0)
			return DMESH_FASTRE_NOMATCH;
	}
	return (state & accept) ? DMESH_FASTRE_MATCH : DMESH_FASTRE_NOMATCH;
}
