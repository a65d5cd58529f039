/*-------------------------------------------------------------------------
 *
 * contract_suggest.c
 *		dmesh.suggest_contract(source, sample_rows): a draft ODCS v3.1.0
 *		contract for a relation, from the catalog, the statistics and a
 *		sample of the data, each suggestion with its evidence.
 *
 * The work, in order:
 *
 *	1. the catalog: column types (as a derived contract gives them, see
 *	   contract_store.c), NOT NULL, primary and unique keys, foreign keys,
 *	   defaults (sequences, now()), comments, CHECK constraints (those that
 *	   map become rules), and names (personal data, record times);
 *	2. pg_stats: null_frac, n_distinct, most common values, histogram
 *	   bounds.  dmesh never runs ANALYZE: a relation without statistics is
 *	   judged on the sample alone, and the evidence says so;
 *	3. one pass over a sample: TABLESAMPLE SYSTEM (large tables) or
 *	   BERNOULLI (small ones) with REPEATABLE (DMESH_SUGGEST_SEED), or every
 *	   row when the relation holds no more than sample_rows; views and
 *	   foreign tables give their first sample_rows rows.  One query counts,
 *	   per column, what the statistics cannot tell: NULLs, distinct values
 *	   of key candidates, extremes, how many values match the pattern the
 *	   statistics (or the first rows) suggest, values outside the most
 *	   common ones.  The executor does the work (it checks for interrupts
 *	   and spills to disk); the cost grows with sample_rows, not with the
 *	   table.
 *
 * Everything runs as the caller, who must be able to SELECT the relation:
 * the data and pg_stats are read with the caller's own privileges (and
 * row-level security), in a section with SECURITY_RESTRICTED_OPERATION,
 * search_path pinned to pg_catalog, and DateStyle, IntervalStyle and
 * TimeZone pinned so that the document does not depend on the session.
 * Nothing runs as the extension owner.
 *
 * Evidence: every element a suggestion is made on (the object, each
 * property, each quality rule) carries
 *	customProperties: [{property: dmesh.evidence, value: [lines]}]
 * one line per suggestion, saying where it comes from; the freshness SLA's
 * evidence is on the property it names.  Values of columns classified pii
 * or restricted are never quoted.  Same data and statistics, same
 * document.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "regex/regex.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "dmesh.h"
#include "contract.h"
#include "product.h"
#include "quality.h"

PG_FUNCTION_INFO_V1(dmesh_suggest_contract);

/* Tables of more blocks than this are sampled by block (SYSTEM). */
#define SUGGEST_BERNOULLI_BLOCKS	8192
/* Rows read to screen text columns for patterns when there are no stats. */
#define SUGGEST_SCREEN_ROWS			500
/* Fewest values for a uniqueness seen in the data to be suggested. */
#define SUGGEST_MIN_UNIQUE			100
/* Fewest sampled rows to count a never-analyzed relation's rows from. */
#define SUGGEST_MIN_SAMPLE			100
/* A validValues list needs this many rows per value. */
#define SUGGEST_ROWS_PER_VALUE		4
/* Share of values that must match for a pattern ("nearly every"). */
#define SUGGEST_NEARLY				0.99
/* Share of screened values that makes a pattern worth checking. */
#define SUGGEST_SCREEN_SHARE		0.9

#define EVIDENCE_KEY	"dmesh.evidence"

/* What dmesh can say about a column, by its (base) type. */
typedef enum SuggestKind
{
	K_OTHER = 0,
	K_TEXT,
	K_INTEGER,
	K_NUMBER,
	K_DATE,
	K_TIMESTAMP,
	K_TIMESTAMPTZ,
	K_UUID,
	K_ENUM,
	K_INET,
	K_BOOL
} SuggestKind;

#define KB(k)		(1u << (k))
#define KINDS_BOUNDED	(KB(K_INTEGER) | KB(K_NUMBER) | KB(K_DATE) | KB(K_TIMESTAMP) | KB(K_TIMESTAMPTZ))
#define KINDS_TIME		(KB(K_DATE) | KB(K_TIMESTAMP) | KB(K_TIMESTAMPTZ))
#define KINDS_KEYLIKE	(KB(K_INTEGER) | KB(K_TEXT) | KB(K_UUID))

/* ----------------------------------------------------------------
 * Code lists (ISO 3166-1 alpha-2 and alpha-3, ISO 4217), as Debian's
 * iso-codes 4.15.0 lists them.
 * ----------------------------------------------------------------
 */
static const char *const iso3166_alpha2 =
"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL "
"BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV "
"CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD "
"GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM "
"IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK "
"LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW "
"MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR "
"PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS "
"ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY "
"UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

static const char *const iso3166_alpha3 =
"ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN "
"BES BFA BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN "
"CCK CHE CHL CHN CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU "
"DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR "
"GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV "
"HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM "
"KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA "
"MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM "
"NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL "
"PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE "
"SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK "
"TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB "
"VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE";

static const char *const iso4217 =
"AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV "
"BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE "
"CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD "
"HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD "
"KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN "
"MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD "
"RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS "
"TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST "
"XAF XAG XAU XBA XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW "
"ZWL";

/* ----------------------------------------------------------------
 * Recognisable text
 * ----------------------------------------------------------------
 */
typedef enum SuggestGate
{
	GATE_NONE,					/* the values alone decide */
	GATE_NAME,					/* the column's name must say so */
	GATE_NAME_OR_DISTINCT,		/* ... or enough distinct values */
	GATE_NAME_OR_CHECKSUM		/* ... or every screened value's checksum */
} SuggestGate;

typedef struct SuggestPattern
{
	const char *what;			/* in evidence: "e-mail addresses" */
	const char *test;			/* regular expression of the screening */
	const char *codes;			/* or: a code list, space-separated */
	const char *sql;			/* the check on the sample, {v} the value as
								 * text: as strict as the suggestion (NULL:
								 * test, or the code list) */
	const char *format;			/* suggested format, or NULL: */
	const char *pattern;		/* suggested pattern (implied by sql) */
	const char *tolerant;		/* pattern of the rule when nearly all match */
	const char *classification; /* NULL, pii or restricted */
	SuggestGate gate;
	const char *hints;			/* words of the name that open the gate */
	const char *against;		/* words of the name that close it */
	int			min_distinct;	/* GATE_NAME_OR_DISTINCT */
} SuggestPattern;

/*
 * PostgreSQL's regular expressions are slow with bounded repetitions
 * ({8}, {5,18}) on every row of a sample: the checks on the sample say
 * the same with lengths, LIKE and simpler expressions.
 */
#define RE_ISO_DATE "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
#define RE_ISO_DATETIME "^" RE_ISO_DATE "[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
#define RE_IPV4 "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])[.]){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$"
#define RE_EMAIL	"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+[.][A-Za-z][A-Za-z]+$"
#define RE_IBAN		"^[A-Z]{2}[0-9]{2}( ?[A-Z0-9]){11,30}$"
#define RE_SSN		"^[0-9]{3}-[0-9]{2}-[0-9]{4}$"
#define RE_PHONE	"^[+]?[0-9(][0-9 ().-]{5,18}[0-9]$"
#define RE_PHONE_INTL "^[+][1-9][0-9 ().-]{5,18}[0-9]$"
#define SQL_LENGTH(n) "pg_catalog.length(pg_catalog.replace({v}, '" n "', ''))"

static const SuggestPattern patterns[] = {
	{
		.what = "UUIDs",
		.test = DMESH_FORMAT_UUID,
		.sql = "{v} OPERATOR(pg_catalog.~~) '________-____-____-____-____________'"
		" AND {v} OPERATOR(pg_catalog.~) '^[0-9a-fA-F-]+$'"
		" AND " SQL_LENGTH("-") " OPERATOR(pg_catalog.=) 32",
		.format = "uuid",
		.tolerant = DMESH_FORMAT_UUID,
	},
	{
		.what = "e-mail addresses",
		.test = RE_EMAIL,
		.format = "email",
		.tolerant = DMESH_FORMAT_EMAIL,
		.classification = "pii",
	},
	{
		.what = "ISO 8601 date-times written as text",
		.test = RE_ISO_DATETIME,
		.pattern = RE_ISO_DATETIME,
	},
	{
		.what = "ISO 8601 dates written as text",
		.test = "^" RE_ISO_DATE "$",
		.pattern = "^" RE_ISO_DATE "$",
	},
	{
		.what = "IPv4 addresses",
		.test = RE_IPV4,
		.pattern = RE_IPV4,
		.classification = "pii",
		.against = "version|ver|release",
	},
	{
		.what = "IBANs",
		.test = RE_IBAN,
		.sql = "{v} OPERATOR(pg_catalog.~) '^[A-Z][A-Z][0-9][0-9][A-Z0-9 ]+$'"
		" AND {v} OPERATOR(pg_catalog.!~~) '%  %' AND {v} OPERATOR(pg_catalog.!~~) '% '"
		" AND " SQL_LENGTH(" ") " BETWEEN 15 AND 34",
		.pattern = RE_IBAN,
		.classification = "restricted",
		.gate = GATE_NAME_OR_CHECKSUM,
		.hints = "iban|bank|account",
	},
	{
		.what = "US social security numbers",
		.test = RE_SSN,
		.sql = "{v} OPERATOR(pg_catalog.~~) '___-__-____' AND {v} OPERATOR(pg_catalog.~) '^[0-9-]+$'"
		" AND " SQL_LENGTH("-") " OPERATOR(pg_catalog.=) 9",
		.pattern = RE_SSN,
		.classification = "restricted",
	},
	{
		.what = "ISO 3166-1 alpha-2 country codes",
		.codes = iso3166_alpha2,
		.pattern = "^[A-Z]{2}$",
		.gate = GATE_NAME_OR_DISTINCT,
		.hints = "country|nation|cntry|ctry",
		.against = "currency|ccy|language|lang|locale|unit|state|province",
		.min_distinct = 8,
	},
	{
		.what = "ISO 4217 currency codes",
		.codes = iso4217,
		.pattern = "^[A-Z]{3}$",
		.gate = GATE_NAME_OR_DISTINCT,
		.hints = "currency|ccy|curr|cur",
		.against = "country|nation|cntry|ctry|language|lang|unit",
		.min_distinct = 5,
	},
	{
		.what = "ISO 3166-1 alpha-3 country codes",
		.codes = iso3166_alpha3,
		.pattern = "^[A-Z]{3}$",
		.gate = GATE_NAME_OR_DISTINCT,
		.hints = "country|nation|cntry|ctry",
		.against = "currency|ccy|curr|cur|language|lang|unit",
		.min_distinct = 8,
	},
	{
		.what = "international phone numbers",
		.test = RE_PHONE_INTL,
		.sql = "{v} OPERATOR(pg_catalog.~) '^[+][1-9][0-9 ().-]*[0-9]$'"
		" AND pg_catalog.length({v}) BETWEEN 8 AND 21",
		.pattern = RE_PHONE,
		.classification = "pii",
	},
	{
		.what = "phone numbers",
		.test = RE_PHONE,
		.sql = "{v} OPERATOR(pg_catalog.~) '^[+]?[0-9(][0-9 ().-]*[0-9]$'"
		" AND " SQL_LENGTH("+") " BETWEEN 7 AND 20",
		.pattern = RE_PHONE,
		.classification = "pii",
		.gate = GATE_NAME,
		.hints = "phone|telephone|tel|mobile|cellphone|cell|fax|msisdn|phonenumber",
	},
};

#define NPATTERNS	lengthof(patterns)

/* ----------------------------------------------------------------
 * Personal data, by name
 * ----------------------------------------------------------------
 */
typedef struct NameHint
{
	const char *phrases;		/* '|'-separated; words separated by spaces */
	const char *classification;
	const char *what;
	unsigned	kinds;			/* column kinds it applies to */
	const char *not_after;		/* words that, right before, rule it out */
	bool		keylike;		/* may be unique (an e-mail address, an id) */
} NameHint;

static const NameHint name_hints[] = {
	{"ssn|social security|socialsecuritynumber|national id|national identifier|"
		"national identity|national insurance|nino|bsn|passport|tax id|taxid|"
		"tax identifier|taxpayer id|tin|driver license|drivers license|driver licence|"
		"drivers licence|driving license|driving licence",
	"restricted", "a national identifier", KB(K_TEXT) | KB(K_INTEGER), NULL, true},
	{"iban|bank account|credit card|creditcard|card number|cardnumber|cvv|cvc",
	"restricted", "a bank account or card number", KB(K_TEXT) | KB(K_INTEGER), NULL, true},
	{"ip|ip address|ipaddress|ip addr|ipaddr|remote addr",
	"pii", "an IP address", KB(K_TEXT) | KB(K_INET), NULL, false},
	{"email|e mail|mail|email address|emailaddress|mail address",
	"pii", "an e-mail address", KB(K_TEXT), NULL, true},
	{"phone|telephone|tel|mobile|cellphone|fax|msisdn|phonenumber",
	"pii", "a phone number", KB(K_TEXT) | KB(K_INTEGER) | KB(K_NUMBER), NULL, true},
	{"first name|firstname|given name|givenname|forename|last name|lastname|"
		"family name|familyname|surname|middle name|maiden name|full name|fullname|"
		"user name|username|customer name|client name|contact name|person name|"
		"employee name|patient name|member name|holder name|passenger name|guest name|"
		"recipient name|sender name|buyer name|student name",
	"pii", "a person's name", KB(K_TEXT), NULL, false},
	{"birth date|birthdate|date of birth|dob|birthday|birth day|born on",
	"pii", "a birth date", KB(K_TEXT) | KB(K_DATE) | KB(K_TIMESTAMP) | KB(K_TIMESTAMPTZ), NULL, false},
	{"address|addr|street|street address|address line|postal code|postcode|post code|"
		"zip|zipcode|zip code",
		"pii", "a postal address", KB(K_TEXT),
	"mac|server|host|web|url|wallet|contract|memory|node|network|hardware|gateway|broadcast|base|ip|email|mail",
	false},
};

/* Words of a table's name that make its "name" column a person's name. */
static const char *const person_tables =
"customer|client|person|people|user|employee|member|patient|contact|student|staff|"
"subscriber|passenger|guest|author|buyer|seller|applicant|candidate|driver|owner|"
"recipient|sender|account|holder|traveler|traveller|tenant|visitor|volunteer";

/* Words of a time column's name that make it the time a row was written. */
static const char *const record_time_words =
"created|updated|modified|changed|inserted|loaded|ingested|received|recorded|"
"processed|imported|synced|refreshed|last|written|logged";
/* ... and that rule a column out as the freshness column. */
static const char *const not_fresh_words =
"birth|dob|birthday|expires|expiry|expiration|due|deadline|valid|until|scheduled|"
"planned|deleted|start|end|from|to|closed|cancelled|canceled";

/* ----------------------------------------------------------------
 * State
 * ----------------------------------------------------------------
 */
typedef struct Col
{
	AttrNumber	attnum;
	char	   *name;
	const char *ident;			/* quoted */
	Oid			typid;
	Oid			base;
	int32		typmod;
	SuggestKind kind;
	char	  **words;			/* the name in lower-case words */
	int			nwords;

	/* the catalog */
	bool		notnull;
	int			pk_position;
	char	   *pk_name;
	char	   *unique_index;
	bool		foreign_key;
	bool		seq_default;	/* DEFAULT nextval(), identity */
	bool		now_default;	/* DEFAULT now() and the like */
	char	   *comment;

	/* CHECK constraints turned into rules */
	char	   *ck_min;			/* JSON value */
	char	   *ck_max;
	bool		ck_min_excl;
	bool		ck_max_excl;
	char	   *ck_pattern;
	int			ck_minlen;
	int			ck_maxlen;
	char	   *ck_notnull;		/* constraint name */
	List	   *ck_values;		/* char * */
	char	   *ck_values_from;
	List	   *ck_evidence;	/* lines */

	/* personal data */
	const char *classification;
	char	   *classification_why;
	bool		not_keylike;	/* a name, an address: never unique by the data */

	/* pg_stats */
	bool		has_stats;
	float4		null_frac;
	float4		n_distinct;
	int			nmcv;
	char	  **mcv;
	float4	   *mcf;
	int			nhist;
	char	  **hist;

	/* screening */
	int			candidate;		/* index into patterns, or -1 */
	char	   *screened_from;

	/* outputs of the sample query (0: not asked) */
	int			o_nonnull;
	int			o_distinct;
	int			o_smin;
	int			o_smax;
	int			o_tmin;
	int			o_tmax;
	int			o_lo;
	int			o_hi;
	int			o_match;
	int			o_outside;
	int64		nonnull;
	int64		distinct;		/* -1: not counted */
	char	   *smin;
	char	   *smax;
	char	   *tmin;
	char	   *tmax;
	char	   *lo;
	char	   *hi;
	int64		match;
	int64		outside;
	List	   *sample_values;	/* distinct values (no statistics) */
	bool		values_counted;

	/* what is suggested */
	bool		required;
	bool		unique;
	int			pattern_found;	/* index into patterns, or -1 */
	bool		pattern_strict;
	List	   *evidence;		/* lines about the property */
	List	   *rules;			/* JSON texts of quality rules */
	StringInfoData options;		/* members of logicalTypeOptions */
} Col;

typedef struct Suggest
{
	Oid			relid;
	char		relkind;
	char	   *relname;
	char	   *qualified;
	int			sample_rows;
	int			ncols;
	Col		   *cols;
	char	   *comment;
	bool		rls;

	/* size and sample */
	double		est_rows;
	BlockNumber pages;
	bool		analyzed;		/* pg_class.reltuples known (vacuumed or analyzed) */
	const char *method;			/* all, system, bernoulli, first, none */
	double		percent;
	char	   *from;
	int64		sampled;
	bool		exact;			/* the sample is every row */
	int			nstats;

	List	   *evidence;		/* lines about the object */
	List	   *rules;			/* JSON texts of object rules */
	char	   *sla;			/* JSON text of the SLA, or NULL */

	/* the sample query */
	StringInfoData sql;
	int			nout;
	int			nparams;
	int			maxparams;
	Oid		   *ptypes;
	Datum	   *pvalues;
} Suggest;

/* ----------------------------------------------------------------
 * Small helpers
 * ----------------------------------------------------------------
 */

static void
add_line(List **lines, const char *fmt,...) pg_attribute_printf(2, 3);

static void
add_line(List **lines, const char *fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	*lines = lappend(*lines, buf.data);
}

static void
json_key(StringInfo buf, bool *first, const char *key)
{
	if (!*first)
		appendStringInfoString(buf, ", ");
	*first = false;
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
}

static void
json_str(StringInfo buf, bool *first, const char *key, const char *value)
{
	json_key(buf, first, key);
	escape_json(buf, value);
}

static void
json_raw(StringInfo buf, bool *first, const char *key, const char *value)
{
	json_key(buf, first, key);
	appendStringInfoString(buf, value);
}

/* customProperties holding the evidence lines, as a JSON member. */
static void
json_evidence(StringInfo buf, bool *first, List *lines)
{
	ListCell   *lc;
	bool		one = true;

	if (lines == NIL)
		return;
	json_key(buf, first, "customProperties");
	appendStringInfoString(buf, "[{\"property\": \"" EVIDENCE_KEY "\", \"value\": [");
	foreach(lc, lines)
	{
		if (!one)
			appendStringInfoString(buf, ", ");
		one = false;
		escape_json(buf, (char *) lfirst(lc));
	}
	appendStringInfoString(buf, "]}]");
}

static char *
json_string_list(List *values)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, values)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, (char *) lfirst(lc));
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* A list of values, for evidence: the first few, quoted. */
static char *
quoted_list(List *values, int max)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, values)
	{
		int			i = foreach_current_index(lc);

		if (i >= max)
		{
			appendStringInfo(&buf, " ... (%d in all)", list_length(values));
			break;
		}
		appendStringInfo(&buf, "%s'%s'", i > 0 ? ", " : "", (char *) lfirst(lc));
	}
	return buf.data;
}

static int
cmp_cstring(const ListCell *a, const ListCell *b)
{
	return strcmp((char *) lfirst(a), (char *) lfirst(b));
}

/* A float as evidence writes it: at most 4 significant digits. */
static char *
short_float(double v)
{
	return psprintf("%.4g", v);
}

static char *
count_text(double n)
{
	return psprintf("%.0f", n);
}

/* ----------------------------------------------------------------
 * Names in words
 * ----------------------------------------------------------------
 */

/*
 * Split a name into lower-case words: at anything but letters and digits,
 * between a lower-case letter and an upper-case one (camelCase), and
 * between letters and digits.
 */
static int
split_words(const char *name, char ***words)
{
	int			n = 0;
	int			max = 8;
	const char *p = name;
	char	  **out = palloc(sizeof(char *) * max);

	while (*p)
	{
		const char *start;
		StringInfoData w;

		while (*p && !isalnum((unsigned char) *p))
			p++;
		if (!*p)
			break;
		start = p;
		initStringInfo(&w);
		while (*p && isalnum((unsigned char) *p))
		{
			if (p > start &&
				((islower((unsigned char) p[-1]) && isupper((unsigned char) *p)) ||
				 (isdigit((unsigned char) p[-1]) != isdigit((unsigned char) *p))))
				break;
			appendStringInfoChar(&w, tolower((unsigned char) *p));
			p++;
		}
		if (n == max)
		{
			max *= 2;
			out = repalloc(out, sizeof(char *) * max);
		}
		out[n++] = w.data;
	}
	*words = out;
	return n;
}

static bool
word_in(const char *word, const char *list)
{
	size_t		len = strlen(word);
	const char *p = list;

	while (*p)
	{
		const char *end = strchr(p, '|');
		size_t		n = end ? (size_t) (end - p) : strlen(p);

		if (n == len && strncmp(p, word, n) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

static bool
any_word_in(char **words, int nwords, const char *list)
{
	for (int i = 0; i < nwords; i++)
		if (word_in(words[i], list))
			return true;
	return false;
}

/*
 * Does the name end with one of the phrases ("first name|surname")?  A last
 * word that only numbers the thing (number, no, nr, 1, 2) is looked past.
 * Sets *at to the index of the phrase's first word.
 */
static bool
ends_with_phrase(char **words, int nwords, const char *phrases, int *at)
{
	for (int strip = 0; strip < 2; strip++)
	{
		int			n = nwords - strip;
		const char *p = phrases;

		if (strip == 1 &&
			(nwords < 2 || !(word_in(words[nwords - 1], "number|no|nr|num") ||
							 isdigit((unsigned char) words[nwords - 1][0]))))
			break;
		while (*p)
		{
			const char *end = strchr(p, '|');
			char	   *phrase = end ? pnstrdup(p, end - p) : pstrdup(p);
			char	  **pw;
			int			npw = split_words(phrase, &pw);

			if (npw > 0 && npw <= n)
			{
				bool		match = true;

				for (int i = 0; i < npw && match; i++)
					match = strcmp(words[n - npw + i], pw[i]) == 0;
				if (match)
				{
					*at = n - npw;
					return true;
				}
			}
			if (!end)
				break;
			p = end + 1;
		}
	}
	return false;
}

/* ----------------------------------------------------------------
 * The catalog
 * ----------------------------------------------------------------
 */

static SuggestKind
kind_of(Oid base)
{
	switch (base)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
			return K_TEXT;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return K_INTEGER;
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			return K_NUMBER;
		case DATEOID:
			return K_DATE;
		case TIMESTAMPOID:
			return K_TIMESTAMP;
		case TIMESTAMPTZOID:
			return K_TIMESTAMPTZ;
		case UUIDOID:
			return K_UUID;
		case INETOID:
		case CIDROID:
			return K_INET;
		case BOOLOID:
			return K_BOOL;
		default:
			return type_is_enum(base) ? K_ENUM : K_OTHER;
	}
}

typedef struct DefaultFlags
{
	bool		clock;			/* now(), CURRENT_TIMESTAMP ... */
	bool		sequence;		/* nextval() */
} DefaultFlags;

/* What a column default calls: one of the clocks, or a sequence. */
static bool
default_walker(Node *node, DefaultFlags *flags)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
	{
		Oid			f = ((FuncExpr *) node)->funcid;

		if (f == F_NOW || f == F_STATEMENT_TIMESTAMP || f == F_CLOCK_TIMESTAMP ||
			f == F_TRANSACTION_TIMESTAMP)
			flags->clock = true;
		if (f == F_NEXTVAL)
			flags->sequence = true;
	}
	else if (IsA(node, SQLValueFunction))
	{
		switch (((SQLValueFunction *) node)->op)
		{
			case SVFOP_CURRENT_DATE:
			case SVFOP_CURRENT_TIMESTAMP:
			case SVFOP_CURRENT_TIMESTAMP_N:
			case SVFOP_LOCALTIMESTAMP:
			case SVFOP_LOCALTIMESTAMP_N:
				flags->clock = true;
				break;
			default:
				break;
		}
	}
	return expression_tree_walker(node, default_walker, flags);
}

static Col *
col_by_attnum(Suggest *s, AttrNumber attnum)
{
	for (int i = 0; i < s->ncols; i++)
		if (s->cols[i].attnum == attnum)
			return &s->cols[i];
	return NULL;
}

static Col *
col_by_name(Suggest *s, const char *name)
{
	for (int i = 0; i < s->ncols; i++)
		if (strcmp(s->cols[i].name, name) == 0)
			return &s->cols[i];
	return NULL;
}

/* The columns, with their types, NOT NULL, defaults and comments. */
static void
load_columns(Suggest *s, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TupleConstr *constr = desc->constr;

	s->cols = palloc0(sizeof(Col) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Col		   *c;

		if (att->attisdropped)
			continue;
		c = &s->cols[s->ncols++];
		c->attnum = att->attnum;
		c->name = pstrdup(NameStr(att->attname));
		c->ident = quote_identifier(c->name);
		c->typid = att->atttypid;
		c->typmod = att->atttypmod;
		c->base = getBaseType(att->atttypid);
		c->kind = kind_of(c->base);
		c->nwords = split_words(c->name, &c->words);
		c->notnull = att->attnotnull;
		c->seq_default = att->attidentity != '\0';
		c->comment = GetComment(s->relid, RelationRelationId, att->attnum);
		c->ck_minlen = -1;
		c->ck_maxlen = -1;
		c->candidate = -1;
		c->pattern_found = -1;
		c->distinct = -1;
		initStringInfo(&c->options);
		for (int d = 0; constr != NULL && d < constr->num_defval; d++)
		{
			if (constr->defval[d].adnum == att->attnum)
			{
				DefaultFlags flags = {false, false};

				(void) default_walker(stringToNode(constr->defval[d].adbin), &flags);
				c->now_default = flags.clock;
				c->seq_default |= flags.sequence;
			}
		}
	}
}

/* Attribute numbers of an int2vector or int2[] as text: "{1,2}", "[0:1]={1,2}". */
static int
parse_attnums(const char *text, AttrNumber *attnums, int max)
{
	const char *p = strchr(text, '{');
	int			n = 0;

	if (p == NULL)
		return 0;
	p++;
	while (*p && *p != '}' && n < max)
	{
		char	   *end;
		long		v = strtol(p, &end, 10);

		if (end == p)
			break;
		attnums[n++] = (AttrNumber) v;
		p = end;
		if (*p == ',')
			p++;
	}
	return n;
}

/*
 * Keys: the primary key and unique indexes (no predicate, no expression,
 * valid), as a derived contract reads them; a unique index on several
 * columns, all NOT NULL, becomes a duplicateValues rule on the object.
 * Columns of foreign keys are noted (they grow with the table they
 * reference).
 */
static void
load_keys(Suggest *s)
{
	DmeshArgs	args;
	uint64		n;

	dmesh_args_init(&args);
	dmesh_arg_oid(&args, OIDOID, s->relid);
	n = dmesh_spi_exec("SELECT i.indisprimary, c.relname::pg_catalog.text,"
					   "       i.indkey::pg_catalog.int2[]::pg_catalog.text"
					   "  FROM pg_catalog.pg_index i"
					   "  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.indexrelid"
					   " WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisunique"
					   "   AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL"
					   " ORDER BY i.indisprimary DESC, c.relname COLLATE \"C\"",
					   &args, SPI_OK_SELECT);
	for (uint64 r = 0; r < n; r++)
	{
		bool		primary = strcmp(dmesh_spi_text(r, 1), "t") == 0;
		char	   *index = dmesh_spi_text(r, 2);
		AttrNumber	attnums[INDEX_MAX_KEYS];
		int			nkeys = parse_attnums(dmesh_spi_text(r, 3), attnums, INDEX_MAX_KEYS);
		bool		all_notnull = true;
		List	   *names = NIL;

		for (int k = 0; k < nkeys; k++)
		{
			Col		   *c = col_by_attnum(s, attnums[k]);

			if (c == NULL)
			{
				all_notnull = false;
				continue;
			}
			names = lappend(names, c->name);
			all_notnull &= c->notnull;
			if (primary)
			{
				c->pk_position = k + 1;
				c->pk_name = index;
			}
			else if (nkeys == 1 && c->unique_index == NULL)
				c->unique_index = index;
		}
		if (!primary && nkeys > 1)
		{
			char	   *cols = json_string_list(names);

			if (all_notnull && list_length(names) == nkeys)
			{
				StringInfoData rule;
				bool		first = true;
				List	   *lines = NIL;

				add_line(&lines, "duplicateValues of (%s): unique index %s",
						 quoted_list(names, INDEX_MAX_KEYS), index);
				initStringInfo(&rule);
				appendStringInfoChar(&rule, '{');
				json_str(&rule, &first, "metric", "duplicateValues");
				json_raw(&rule, &first, "arguments", psprintf("{\"properties\": %s}", cols));
				json_raw(&rule, &first, "mustBe", "0");
				json_evidence(&rule, &first, lines);
				appendStringInfoChar(&rule, '}');
				s->rules = lappend(s->rules, rule.data);
			}
			else
				add_line(&s->evidence, "unique index %s on (%s): no rule, a NULL in its columns is never a duplicate",
						 index, quoted_list(names, INDEX_MAX_KEYS));
		}
	}

	n = dmesh_spi_exec("SELECT conkey::pg_catalog.text FROM pg_catalog.pg_constraint"
					   " WHERE conrelid OPERATOR(pg_catalog.=) $1 AND contype OPERATOR(pg_catalog.=) 'f'",
					   &args, SPI_OK_SELECT);
	for (uint64 r = 0; r < n; r++)
	{
		AttrNumber	attnums[INDEX_MAX_KEYS];
		int			nkeys = parse_attnums(dmesh_spi_text(r, 1), attnums, INDEX_MAX_KEYS);

		for (int k = 0; k < nkeys; k++)
		{
			Col		   *c = col_by_attnum(s, attnums[k]);

			if (c != NULL)
				c->foreign_key = true;
		}
	}
}

/* ----------------------------------------------------------------
 * CHECK constraints
 * ----------------------------------------------------------------
 */

static Node *
strip_relabel(Node *node)
{
	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

/* The column a node is, or NULL. */
static Col *
node_column(Suggest *s, Node *node)
{
	node = strip_relabel(node);
	if (node != NULL && IsA(node, Var) && ((Var *) node)->varno == 1 &&
		((Var *) node)->varlevelsup == 0)
		return col_by_attnum(s, ((Var *) node)->varattno);
	return NULL;
}

/* The column whose length a node is (length(c), char_length(c)), or NULL. */
static Col *
node_length_of(Suggest *s, Node *node)
{
	node = strip_relabel(node);
	if (node != NULL && IsA(node, FuncExpr) && list_length(((FuncExpr *) node)->args) == 1)
	{
		Oid			f = ((FuncExpr *) node)->funcid;

		if (f == F_LENGTH_TEXT || f == F_CHAR_LENGTH_TEXT || f == F_TEXTLEN ||
			f == F_CHARACTER_LENGTH_TEXT || f == F_LENGTH_BPCHAR ||
			f == F_CHAR_LENGTH_BPCHAR || f == F_CHARACTER_LENGTH_BPCHAR)
			return node_column(s, linitial(((FuncExpr *) node)->args));
	}
	return NULL;
}

/* A non-NULL constant of a built-in type, as text; NULL otherwise. */
static char *
const_text(Node *node)
{
	Const	   *k;
	Oid			typoutput;
	bool		varlena;

	node = strip_relabel(node);
	if (node == NULL || !IsA(node, Const))
		return NULL;
	k = (Const *) node;
	if (k->constisnull || k->consttype >= FirstNormalObjectId)
		return NULL;
	getTypeOutputInfo(k->consttype, &typoutput, &varlena);
	return OidOutputFunctionCall(typoutput, k->constvalue);
}

/* A bound for a column, as a JSON value: a number, or a date as a string. */
static char *
bound_json(const Col *c, Node *node)
{
	char	   *text = const_text(node);
	StringInfoData buf;

	if (text == NULL)
		return NULL;
	if (c->kind == K_INTEGER || c->kind == K_NUMBER)
	{
		char	   *end;
		double		v = strtod(text, &end);

		if (*end != '\0' || end == text || isinf(v) || isnan(v) ||
			!(isdigit((unsigned char) text[0]) || text[0] == '-'))
			return NULL;
		return text;
	}
	if (strcmp(text, "infinity") == 0 || strcmp(text, "-infinity") == 0)
		return NULL;
	initStringInfo(&buf);
	escape_json(&buf, text);
	return buf.data;
}

/* Operator name of a built-in operator, or NULL. */
static char *
builtin_opname(Oid opno)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	char	   *name = NULL;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_operator op = (Form_pg_operator) GETSTRUCT(tup);

		if (op->oprnamespace == PG_CATALOG_NAMESPACE)
			name = pstrdup(NameStr(op->oprname));
		ReleaseSysCache(tup);
	}
	return name;
}

static const char *
flip_op(const char *op)
{
	if (strcmp(op, "<") == 0)
		return ">";
	if (strcmp(op, "<=") == 0)
		return ">=";
	if (strcmp(op, ">") == 0)
		return "<";
	if (strcmp(op, ">=") == 0)
		return "<=";
	return op;
}

/*
 * Turn one conjunct of a one-column CHECK constraint into a rule of the
 * column: a bound, a pattern, a length, a list of values, NOT NULL.  Returns
 * the key it became, or NULL if it does not map.
 */
static const char *
map_conjunct(Suggest *s, Col *col, Node *node, const char *conname, const char *def)
{
	node = strip_relabel(node);
	if (IsA(node, NullTest))
	{
		NullTest   *nt = (NullTest *) node;

		if (nt->nulltesttype == IS_NOT_NULL && !nt->argisrow &&
			node_column(s, (Node *) nt->arg) == col)
		{
			col->ck_notnull = pstrdup(conname);
			return "required";
		}
		return NULL;
	}
	if (IsA(node, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) node;
		char	   *op = builtin_opname(sa->opno);
		Node	   *arr = strip_relabel(lsecond(sa->args));
		Const	   *k;
		ArrayType  *a;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int16		typlen;
		bool		typbyval;
		char		typalign;
		Oid			typoutput;
		bool		varlena;

		if (!sa->useOr || op == NULL || strcmp(op, "=") != 0 ||
			node_column(s, linitial(sa->args)) != col || !IsA(arr, Const) ||
			((Const *) arr)->constisnull || col->ck_values != NIL)
			return NULL;
		k = (Const *) arr;
		a = DatumGetArrayTypeP(k->constvalue);
		if (ARR_ELEMTYPE(a) >= FirstNormalObjectId && !type_is_enum(ARR_ELEMTYPE(a)))
			return NULL;
		get_typlenbyvalalign(ARR_ELEMTYPE(a), &typlen, &typbyval, &typalign);
		getTypeOutputInfo(ARR_ELEMTYPE(a), &typoutput, &varlena);
		deconstruct_array(a, ARR_ELEMTYPE(a), typlen, typbyval, typalign, &elems, &nulls, &nelems);
		for (int i = 0; i < nelems; i++)
			if (!nulls[i])
				col->ck_values = lappend(col->ck_values,
										 OidOutputFunctionCall(typoutput, elems[i]));
		col->ck_values_from = psprintf("CHECK constraint %s (%s)", conname, def);
		return col->ck_values != NIL ? "validValues" : NULL;
	}
	if (IsA(node, OpExpr) && list_length(((OpExpr *) node)->args) == 2)
	{
		OpExpr	   *oe = (OpExpr *) node;
		char	   *opname = builtin_opname(oe->opno);
		Node	   *left = linitial(oe->args);
		Node	   *right = lsecond(oe->args);
		const char *op;
		Node	   *value;
		bool		length;

		if (opname == NULL)
			return NULL;
		if (node_column(s, left) == col || node_length_of(s, left) == col)
		{
			op = opname;
			value = right;
			length = node_length_of(s, left) == col;
		}
		else if (node_column(s, right) == col || node_length_of(s, right) == col)
		{
			op = flip_op(opname);
			value = left;
			length = node_length_of(s, right) == col;
		}
		else
			return NULL;

		if (length)
		{
			char	   *text = const_text(value);
			long		n;
			char	   *end;

			if (text == NULL || col->kind != K_TEXT)
				return NULL;
			n = strtol(text, &end, 10);
			if (*end != '\0' || n < 0 || n > INT_MAX - 1)
				return NULL;
			if (strcmp(op, "<=") == 0)
				col->ck_maxlen = n;
			else if (strcmp(op, "<") == 0 && n > 0)
				col->ck_maxlen = n - 1;
			else if (strcmp(op, ">=") == 0)
				col->ck_minlen = n;
			else if (strcmp(op, ">") == 0)
				col->ck_minlen = n + 1;
			else if (strcmp(op, "=") == 0)
				col->ck_minlen = col->ck_maxlen = n;
			else
				return NULL;
			return strcmp(op, "=") == 0 ? "minLength, maxLength" :
				op[0] == '<' ? "maxLength" : "minLength";
		}
		if (strcmp(op, "~") == 0)
		{
			char	   *text = const_text(value);

			if (text == NULL || col->kind != K_TEXT || col->ck_pattern != NULL)
				return NULL;
			col->ck_pattern = text;
			return "pattern";
		}
		if (strcmp(op, "=") == 0)
		{
			char	   *text = const_text(value);

			if (text == NULL || col->ck_values != NIL)
				return NULL;
			col->ck_values = list_make1(text);
			col->ck_values_from = psprintf("CHECK constraint %s (%s)", conname, def);
			return "validValues";
		}
		if ((KB(col->kind) & KINDS_BOUNDED) == 0)
			return NULL;
		if (strcmp(op, ">=") == 0 || strcmp(op, ">") == 0)
		{
			char	   *v = bound_json(col, value);

			if (v == NULL || col->ck_min != NULL)
				return NULL;
			col->ck_min = v;
			col->ck_min_excl = op[1] == '\0';
			return col->ck_min_excl ? "exclusiveMinimum" : "minimum";
		}
		if (strcmp(op, "<=") == 0 || strcmp(op, "<") == 0)
		{
			char	   *v = bound_json(col, value);

			if (v == NULL || col->ck_max != NULL)
				return NULL;
			col->ck_max = v;
			col->ck_max_excl = op[1] == '\0';
			return col->ck_max_excl ? "exclusiveMaximum" : "maximum";
		}
	}
	return NULL;
}

static bool
user_function(Oid funcid, void *context)
{
	return funcid >= FirstNormalObjectId;
}

/*
 * Would reading or folding an expression run code that is not built in: a
 * function or operator of some role, the output function of a constant's
 * type, a domain's CHECK?  Such a CHECK constraint is named, not read: its
 * author's code must not run with the caller's rights.
 */
static bool
user_code_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, user_function, NULL))
		return true;
	if (IsA(node, Const))
	{
		Oid			typoutput;
		bool		varlena;

		getTypeOutputInfo(((Const *) node)->consttype, &typoutput, &varlena);
		if (typoutput >= FirstNormalObjectId)
			return true;
	}
	if (IsA(node, CoerceToDomain))
		return true;
	return expression_tree_walker(node, user_code_walker, context);
}

/*
 * CHECK constraints: those on one column become its rules where they map
 * (each conjunct on its own); the rest are named in the evidence.  NOT
 * VALID constraints may not hold on the rows there are: evidence only.
 */
static void
map_checks(Suggest *s, Relation rel)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	List	   *context = deparse_context_for(s->relname, s->relid);

	for (int i = 0; constr != NULL && i < constr->num_check; i++)
	{
		ConstrCheck *ck = &constr->check[i];
		Node	   *expr = stringToNode(ck->ccbin);
		char	   *def;
		Bitmapset  *attrs = NULL;
		Col		   *col = NULL;
		List	   *conjuncts;
		int			unmapped = 0;
		StringInfoData keys;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		if (user_code_walker(expr, NULL))
		{
			add_line(&s->evidence, "CHECK constraint %s: not read, it calls functions or types that are not built in",
					 ck->ccname);
			continue;
		}
		def = deparse_expression(expr, context, false, false);
		pull_varattnos(expr, 1, &attrs);
		if (bms_num_members(attrs) == 1)
			col = col_by_attnum(s, bms_singleton_member(attrs) + FirstLowInvalidHeapAttributeNumber);
		if (!ck->ccvalid)
		{
			add_line(&s->evidence, "CHECK constraint %s (%s) is NOT VALID: no rule, rows written before it may break it",
					 ck->ccname, def);
			continue;
		}
		if (col == NULL)
		{
			add_line(&s->evidence, "CHECK constraint %s (%s): no rule, it is not about one column",
					 ck->ccname, def);
			continue;
		}
		expr = eval_const_expressions(NULL, expr);
		conjuncts = make_ands_implicit((Expr *) expr);
		initStringInfo(&keys);
		foreach(lc, conjuncts)
		{
			const char *key = map_conjunct(s, col, lfirst(lc), ck->ccname, def);

			if (key == NULL)
				unmapped++;
			else
				appendStringInfo(&keys, "%s%s", keys.len > 0 ? ", " : "", key);
		}
		if (unmapped == list_length(conjuncts))
			add_line(&col->ck_evidence, "CHECK constraint %s (%s): no rule of the contract says it",
					 ck->ccname, def);
		else if (unmapped > 0)
			add_line(&col->ck_evidence, "%s: CHECK constraint %s (%s); %d of its %d conditions are no rule of the contract",
					 keys.data, ck->ccname, def, unmapped, list_length(conjuncts));
		else
			add_line(&col->ck_evidence, "%s: CHECK constraint %s (%s)", keys.data, ck->ccname, def);
	}
}

/* ----------------------------------------------------------------
 * Personal data, by name
 * ----------------------------------------------------------------
 */

static bool
table_of_people(const char *relname)
{
	char	  **words;
	int			n = split_words(relname, &words);

	for (int i = 0; i < n; i++)
	{
		size_t		len = strlen(words[i]);

		if (word_in(words[i], person_tables) ||
			(len > 1 && words[i][len - 1] == 's' &&
			 word_in(pnstrdup(words[i], len - 1), person_tables)))
			return true;
	}
	return false;
}

static void
classify_by_name(Suggest *s, Col *c)
{
	for (int h = 0; h < lengthof(name_hints); h++)
	{
		const NameHint *hint = &name_hints[h];
		int			at;

		if ((KB(c->kind) & hint->kinds) == 0 ||
			!ends_with_phrase(c->words, c->nwords, hint->phrases, &at))
			continue;
		if (hint->not_after != NULL && at > 0 && word_in(c->words[at - 1], hint->not_after))
			continue;
		c->classification = hint->classification;
		c->classification_why = psprintf("classification %s: the name \"%s\" says it holds %s",
										 hint->classification, c->name, hint->what);
		c->not_keylike = !hint->keylike;
		return;
	}
	if (c->kind == K_TEXT && c->nwords == 1 && strcmp(c->words[0], "name") == 0 &&
		table_of_people(s->relname))
	{
		c->classification = "pii";
		c->classification_why = psprintf("classification pii: \"%s\" in a table of people (\"%s\") is a person's name",
										 c->name, s->relname);
		c->not_keylike = true;
	}
}

/* ----------------------------------------------------------------
 * pg_stats
 * ----------------------------------------------------------------
 */

static char **
parse_text_array(const char *literal, int *n)
{
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	char	  **out;
	int			k = 0;

	*n = 0;
	if (literal == NULL)
		return NULL;
	a = DatumGetArrayTypeP(OidInputFunctionCall(F_ARRAY_IN, (char *) literal, TEXTOID, -1));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	out = palloc(sizeof(char *) * Max(nelems, 1));
	for (int i = 0; i < nelems; i++)
		if (!nulls[i])
			out[k++] = TextDatumGetCString(elems[i]);
	*n = k;
	return out;
}

static float4 *
parse_float_array(const char *literal, int n)
{
	float4	   *out = palloc0(sizeof(float4) * Max(n, 1));
	const char *p = literal ? strchr(literal, '{') : NULL;

	for (int i = 0; p != NULL && i < n; i++)
	{
		char	   *end;

		p++;
		out[i] = strtof(p, &end);
		p = strchr(end, ',');
	}
	return out;
}

/*
 * The statistics the caller may see (pg_stats shows a role the columns it
 * may read, and nothing of a table whose row-level security applies to
 * it): of the relation and its children for a parent, of the relation
 * alone otherwise.
 */
static void
load_stats(Suggest *s)
{
	DmeshArgs	args;
	uint64		n;

	dmesh_args_init(&args);
	dmesh_arg_text(&args, get_namespace_name(get_rel_namespace(s->relid)));
	dmesh_arg_text(&args, s->relname);
	dmesh_arg_datum(&args, BOOLOID,
					BoolGetDatum(s->relkind == RELKIND_PARTITIONED_TABLE || has_subclass(s->relid)),
					false);
	n = dmesh_spi_exec("SELECT attname::pg_catalog.text, null_frac, n_distinct,"
					   "       most_common_vals::pg_catalog.text, most_common_freqs::pg_catalog.text,"
					   "       histogram_bounds::pg_catalog.text"
					   "  FROM pg_catalog.pg_stats"
					   " WHERE schemaname OPERATOR(pg_catalog.=) $1::pg_catalog.name"
					   "   AND tablename OPERATOR(pg_catalog.=) $2::pg_catalog.name"
					   "   AND inherited OPERATOR(pg_catalog.=) $3",
					   &args, SPI_OK_SELECT);
	for (uint64 r = 0; r < n; r++)
	{
		Col		   *c = col_by_name(s, dmesh_spi_text(r, 1));

		CHECK_FOR_INTERRUPTS();
		if (c == NULL)
			continue;
		c->has_stats = true;
		s->nstats++;
		c->null_frac = strtof(dmesh_spi_text(r, 2), NULL);
		c->n_distinct = strtof(dmesh_spi_text(r, 3), NULL);
		if (c->kind == K_TEXT || (KB(c->kind) & KINDS_BOUNDED))
		{
			c->mcv = parse_text_array(dmesh_spi_text(r, 4), &c->nmcv);
			c->mcf = parse_float_array(dmesh_spi_text(r, 5), c->nmcv);
			c->hist = parse_text_array(dmesh_spi_text(r, 6), &c->nhist);
		}
		if (c->kind == K_TEXT && c->base == BPCHAROID)
		{
			/* compared as text, which drops char(n)'s padding */
			for (int i = 0; i < c->nmcv; i++)
				c->mcv[i] = pstrdup(c->mcv[i]);
			for (int i = 0; i < c->nmcv; i++)
			{
				int			len = strlen(c->mcv[i]);

				while (len > 0 && c->mcv[i][len - 1] == ' ')
					c->mcv[i][--len] = '\0';
			}
		}
	}
}

/* Does pg_stats say every non-NULL value is distinct? */
static bool
stats_all_distinct(const Col *c)
{
	return c->has_stats && c->n_distinct < 0 &&
		fabs(c->n_distinct + (1.0 - c->null_frac)) < 0.0005;
}

/* About how many distinct values pg_stats counts; -1 if it does not. */
static double
stats_distinct(const Suggest *s, const Col *c)
{
	if (!c->has_stats)
		return -1;
	return c->n_distinct >= 0 ? c->n_distinct : -c->n_distinct * s->est_rows;
}

/* Does pg_stats list every value (a closed list of a few)? */
static bool
stats_closed_list(const Suggest *s, const Col *c)
{
	double		covered = 0;

	if (!c->has_stats || c->nmcv < 1 || c->nmcv > DMESH_SUGGEST_MAX_VALUES)
		return false;
	for (int i = 0; i < c->nmcv; i++)
		covered += c->mcf[i];
	return covered >= (1.0 - c->null_frac) - 0.001 &&
		s->est_rows * (1.0 - c->null_frac) >= (double) SUGGEST_ROWS_PER_VALUE * c->nmcv;
}

/* ----------------------------------------------------------------
 * The sample
 * ----------------------------------------------------------------
 */

/*
 * How many rows there are (the planner's estimate: pg_class.reltuples
 * scaled to the relation's current size, or a guess from the width of its
 * rows before it was ever analyzed), and how to sample them.
 */
static void
plan_sample(Suggest *s)
{
	if (s->relkind == RELKIND_RELATION || s->relkind == RELKIND_MATVIEW ||
		s->relkind == RELKIND_PARTITIONED_TABLE)
	{
		List	   *rels;
		ListCell   *lc;

		rels = (s->relkind == RELKIND_PARTITIONED_TABLE || has_subclass(s->relid)) ?
			find_all_inheritors(s->relid, AccessShareLock, NULL) : list_make1_oid(s->relid);
		s->analyzed = true;
		foreach(lc, rels)
		{
			Oid			r = lfirst_oid(lc);
			char		k = get_rel_relkind(r);
			Relation	rel;
			BlockNumber pages;
			double		tuples;
			double		allvisfrac;

			if (k != RELKIND_RELATION && k != RELKIND_MATVIEW)
				continue;
			rel = table_open(r, AccessShareLock);
			s->analyzed &= rel->rd_rel->reltuples >= 0;
			estimate_rel_size(rel, NULL, &pages, &tuples, &allvisfrac);
			table_close(rel, AccessShareLock);
			s->pages += pages;
			s->est_rows += tuples;
		}
		if (s->sample_rows == 0)
			s->method = "none";
		else if (s->est_rows <= s->sample_rows)
		{
			s->method = "all";
			s->from = psprintf("FROM %s", s->qualified);
		}
		else
		{
			s->percent = 100.0 * s->sample_rows / s->est_rows;
			s->method = s->pages > SUGGEST_BERNOULLI_BLOCKS ? "system" : "bernoulli";
			s->from = psprintf("FROM %s TABLESAMPLE pg_catalog.%s (%.6g) REPEATABLE (%d)",
							   s->qualified, s->method, s->percent, DMESH_SUGGEST_SEED);
		}
	}
	else
		s->method = s->sample_rows == 0 ? "none" : "first";
	if (strcmp(s->method, "none") == 0)
		s->from = psprintf("FROM (SELECT * FROM %s LIMIT 0) AS s", s->qualified);
	else if (strcmp(s->method, "first") == 0)
		s->from = psprintf("FROM (SELECT * FROM %s LIMIT %d) AS s", s->qualified, s->sample_rows);
}

static int
add_param(Suggest *s, Oid type, Datum value)
{
	if (s->nparams == s->maxparams)
	{
		s->maxparams = Max(16, s->maxparams * 2);
		s->ptypes = s->ptypes ? repalloc(s->ptypes, sizeof(Oid) * s->maxparams) :
			palloc(sizeof(Oid) * s->maxparams);
		s->pvalues = s->pvalues ? repalloc(s->pvalues, sizeof(Datum) * s->maxparams) :
			palloc(sizeof(Datum) * s->maxparams);
	}
	s->ptypes[s->nparams] = type;
	s->pvalues[s->nparams] = value;
	return ++s->nparams;
}

static int
add_text_array_param(Suggest *s, char **values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(values[i]);
	return add_param(s, TEXTARRAYOID,
					 PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT)));
}

static int
add_out(Suggest *s, const char *fmt,...) pg_attribute_printf(2, 3);

static int
add_out(Suggest *s, const char *fmt,...)
{
	appendStringInfoString(&s->sql, ", ");
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&s->sql, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&s->sql, needed);
	}
	return ++s->nout;
}

/* ----------------------------------------------------------------
 * Screening text for patterns
 * ----------------------------------------------------------------
 */

static bool
regex_match(const char *re, const char *value)
{
	return RE_compile_and_execute(cstring_to_text(re), (char *) value, strlen(value),
								  REG_ADVANCED, C_COLLATION_OID, 0, NULL);
}

/* An alternation of a code list: ^(AD|AE|...)$ */
static char *
codes_regex(const char *codes)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "^(");
	for (const char *p = codes; *p; p++)
		appendStringInfoChar(&buf, *p == ' ' ? '|' : *p);
	appendStringInfoString(&buf, ")$");
	return buf.data;
}

static const char *
pattern_test(int i)
{
	static char *built[NPATTERNS];

	if (patterns[i].test != NULL)
		return patterns[i].test;
	if (built[i] == NULL)
		built[i] = MemoryContextStrdup(TopMemoryContext, codes_regex(patterns[i].codes));
	return built[i];
}

/* ISO 13616: the IBAN moved 4 characters to the end, letters as 10..35, mod 97 is 1. */
static bool
iban_checksum(const char *value)
{
	char		compact[64];
	int			len = 0;
	int			mod = 0;

	for (const char *p = value; *p; p++)
	{
		if (*p == ' ')
			continue;
		if (len >= (int) sizeof(compact) - 1)
			return false;
		compact[len++] = *p;
	}
	if (len < 15)
		return false;
	for (int i = 0; i < len; i++)
	{
		char		ch = compact[(i + 4) % len];

		if (isdigit((unsigned char) ch))
			mod = (mod * 10 + (ch - '0')) % 97;
		else if (ch >= 'A' && ch <= 'Z')
			mod = (mod * 100 + (ch - 'A' + 10)) % 97;
		else
			return false;
	}
	return mod == 1;
}

static int
cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The pattern worth checking on the sample for a text column: the first
 * of patterns[] that most screened values (pg_stats' most common values
 * and histogram bounds, or the first rows of the sample) match and whose
 * gate is open.
 */
static void
choose_candidate(Suggest *s, Col *c, char **values, int n)
{
	int			ndistinct = 0;
	char	  **sorted;

	if (n == 0)
		return;
	sorted = palloc(sizeof(char *) * n);
	memcpy(sorted, values, sizeof(char *) * n);
	qsort(sorted, n, sizeof(char *), cmp_strings);
	for (int i = 0; i < n; i++)
		if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0)
			ndistinct++;

	for (int p = 0; p < NPATTERNS; p++)
	{
		const SuggestPattern *pat = &patterns[p];
		int			matches = 0;
		bool		open;

		CHECK_FOR_INTERRUPTS();
		if (pat->against != NULL && any_word_in(c->words, c->nwords, pat->against))
			continue;
		for (int i = 0; i < n; i++)
			if (regex_match(pattern_test(p), values[i]))
				matches++;
		if (matches < n * SUGGEST_SCREEN_SHARE)
			continue;
		switch (pat->gate)
		{
			case GATE_NAME:
				open = any_word_in(c->words, c->nwords, pat->hints);
				break;
			case GATE_NAME_OR_DISTINCT:
				open = any_word_in(c->words, c->nwords, pat->hints) ||
					Max(ndistinct, stats_distinct(s, c)) >= pat->min_distinct;
				break;
			case GATE_NAME_OR_CHECKSUM:
				open = any_word_in(c->words, c->nwords, pat->hints);
				for (int i = 0; !open && i < n; i++)
				{
					if (!iban_checksum(values[i]))
						break;
					if (i == n - 1)
						open = true;
				}
				break;
			default:
				open = true;
				break;
		}
		if (open)
		{
			c->candidate = p;
			return;
		}
	}
}

/*
 * Screen every text column: from pg_stats where it has values, else from
 * the first SUGGEST_SCREEN_ROWS rows of the sample (one query for all).
 */
static void
screen_text(Suggest *s)
{
	StringInfoData sql;
	int			nfirst = 0;
	SPITupleTable *first = NULL;
	uint64		nrows = 0;
	int		   *column = palloc0(sizeof(int) * Max(s->ncols, 1));

	initStringInfo(&sql);
	for (int i = 0; i < s->ncols; i++)
	{
		Col		   *c = &s->cols[i];

		if (c->kind != K_TEXT || c->nmcv + c->nhist > 0)
			continue;
		appendStringInfo(&sql, "%sCAST(%s AS pg_catalog.text)", nfirst > 0 ? ", " : "SELECT ",
						 c->ident);
		column[i] = ++nfirst;
	}
	if (nfirst > 0 && strcmp(s->method, "none") != 0)
	{
		appendStringInfo(&sql, " %s LIMIT %d", s->from, SUGGEST_SCREEN_ROWS);
		if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute failed: %s", sql.data);
		first = SPI_tuptable;
		nrows = SPI_processed;
	}

	for (int i = 0; i < s->ncols; i++)
	{
		Col		   *c = &s->cols[i];
		char	  **values;
		int			n = 0;

		if (c->kind != K_TEXT)
			continue;
		values = palloc(sizeof(char *) * Max(c->nmcv + c->nhist + (int) nrows, 1));
		if (column[i] == 0)
		{
			for (int k = 0; k < c->nmcv; k++)
				values[n++] = c->mcv[k];
			for (int k = 0; k < c->nhist; k++)
				values[n++] = c->hist[k];
			c->screened_from = "pg_stats";
		}
		else
		{
			for (uint64 r = 0; r < nrows; r++)
			{
				char	   *v = SPI_getvalue(first->vals[r], first->tupdesc, column[i]);

				if (v != NULL)
					values[n++] = v;
			}
			c->screened_from = "the first rows";
		}
		choose_candidate(s, c, values, n);
	}
}

/* ----------------------------------------------------------------
 * One pass over the sample
 * ----------------------------------------------------------------
 */

/* Extremes from pg_stats: most common values and histogram bounds. */
static int
stats_values_param(Suggest *s, Col *c)
{
	char	  **values = palloc(sizeof(char *) * Max(c->nmcv + c->nhist, 1));
	int			n = 0;

	for (int k = 0; k < c->nmcv; k++)
		values[n++] = c->mcv[k];
	for (int k = 0; k < c->nhist; k++)
		values[n++] = c->hist[k];
	return n > 0 ? add_text_array_param(s, values, n) : 0;
}

/*
 * The condition a value must meet on the sample for a pattern: a code
 * list (hashed), the pattern's SQL, or its regular expression.
 */
static char *
match_condition(Suggest *s, int p, const char *ident)
{
	const SuggestPattern *pat = &patterns[p];
	char	   *v = psprintf("(CAST(%s AS pg_catalog.text) COLLATE pg_catalog.\"C\")", ident);
	StringInfoData buf;

	if (pat->codes != NULL)
	{
		char	   *codes = pstrdup(pat->codes);
		char	  **list = palloc(sizeof(char *) * (strlen(codes) / 2 + 1));
		int			n = 0;
		char	   *save;

		for (char *code = strtok_r(codes, " ", &save); code; code = strtok_r(NULL, " ", &save))
			list[n++] = code;
		return psprintf("%s OPERATOR(pg_catalog.=) ANY ($%d)", v, add_text_array_param(s, list, n));
	}
	if (pat->sql == NULL)
		return psprintf("%s OPERATOR(pg_catalog.~) $%d", v,
						add_param(s, TEXTOID, CStringGetTextDatum(pat->test)));
	initStringInfo(&buf);
	for (const char *t = pat->sql; *t; t++)
	{
		if (strncmp(t, "{v}", 3) == 0)
		{
			appendStringInfoString(&buf, v);
			t += 2;
		}
		else
			appendStringInfoChar(&buf, *t);
	}
	return buf.data;
}

/* Should the sample count the distinct values of a column? */
static bool
count_distinct(const Suggest *s, const Col *c)
{
	if (strcmp(s->method, "none") == 0)
		return false;
	/* uniqueness the catalog does not give */
	if ((KB(c->kind) & KINDS_KEYLIKE) && !c->not_keylike && c->pk_position == 0 &&
		c->unique_index == NULL &&
		(!c->has_stats || stats_all_distinct(c)))
		return true;
	/* without statistics: a closed list of text values, the pace of a time column */
	return !c->has_stats && (c->kind == K_TEXT || (KB(c->kind) & KINDS_TIME));
}

/* An output of the sample query as text (NULL: not asked, or NULL) or as a count (-1). */
static char *
out_text(SPITupleTable *tt, int n)
{
	return n > 0 ? SPI_getvalue(tt->vals[0], tt->tupdesc, n) : NULL;
}

static int64
out_count(SPITupleTable *tt, int n)
{
	char	   *v = out_text(tt, n);

	return v != NULL ? strtoll(v, NULL, 10) : -1;
}

static void
sample_pass(Suggest *s)
{
	SPITupleTable *tt;
	int			rc;

	initStringInfo(&s->sql);
	appendStringInfoString(&s->sql, "SELECT pg_catalog.count(*)");
	s->nout = 1;
	for (int i = 0; i < s->ncols; i++)
	{
		Col		   *c = &s->cols[i];

		c->o_nonnull = add_out(s, "pg_catalog.count(%s)", c->ident);
		if (count_distinct(s, c))
			c->o_distinct = add_out(s, c->kind == K_TEXT ?
									"pg_catalog.count(DISTINCT CAST(%s AS pg_catalog.text) COLLATE pg_catalog.\"C\")" :
									"pg_catalog.count(DISTINCT %s)", c->ident);
		if (KB(c->kind) & KINDS_BOUNDED)
		{
			const char *type = format_type_be(c->base);
			int			k = stats_values_param(s, c);

			c->o_smin = add_out(s, "pg_catalog.min(%s)::pg_catalog.text", c->ident);
			c->o_smax = add_out(s, "pg_catalog.max(%s)::pg_catalog.text", c->ident);
			if (k > 0)
			{
				char	   *tmin = psprintf("(SELECT pg_catalog.min(v) FROM pg_catalog.unnest($%d::%s[]) AS v)", k, type);
				char	   *tmax = psprintf("(SELECT pg_catalog.max(v) FROM pg_catalog.unnest($%d::%s[]) AS v)", k, type);

				c->o_tmin = add_out(s, "%s::pg_catalog.text", tmin);
				c->o_tmax = add_out(s, "%s::pg_catalog.text", tmax);
				c->o_lo = add_out(s, "LEAST(pg_catalog.min(%s)::%s, %s)::pg_catalog.text", c->ident, type, tmin);
				c->o_hi = add_out(s, "GREATEST(pg_catalog.max(%s)::%s, %s)::pg_catalog.text", c->ident, type, tmax);
			}
			else
			{
				c->o_lo = c->o_smin;
				c->o_hi = c->o_smax;
			}
		}
		if (c->candidate >= 0)
			c->o_match = add_out(s, "pg_catalog.count(*) FILTER (WHERE %s)",
								 match_condition(s, c->candidate, c->ident));
		if (c->kind == K_TEXT && c->classification == NULL && c->ck_values == NIL &&
			stats_closed_list(s, c))
			c->o_outside = add_out(s, "pg_catalog.count(*) FILTER (WHERE NOT (CAST(%s AS pg_catalog.text) COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.=) ANY ($%d)))",
								   c->ident, add_text_array_param(s, c->mcv, c->nmcv));
	}
	appendStringInfo(&s->sql, " %s", s->from);

	rc = SPI_execute_with_args(s->sql.data, s->nparams, s->ptypes, s->pvalues, NULL, true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	tt = SPI_tuptable;
	s->sampled = out_count(tt, 1);
	for (int i = 0; i < s->ncols; i++)
	{
		Col		   *c = &s->cols[i];

		c->nonnull = out_count(tt, c->o_nonnull);
		c->distinct = out_count(tt, c->o_distinct);
		c->smin = out_text(tt, c->o_smin);
		c->smax = out_text(tt, c->o_smax);
		c->tmin = out_text(tt, c->o_tmin);
		c->tmax = out_text(tt, c->o_tmax);
		c->lo = out_text(tt, c->o_lo);
		c->hi = out_text(tt, c->o_hi);
		c->match = out_count(tt, c->o_match);
		c->outside = out_count(tt, c->o_outside);
	}

	/* a view gave fewer rows than asked: those were all */
	if (strcmp(s->method, "all") == 0 ||
		(strcmp(s->method, "first") == 0 && s->sampled < s->sample_rows))
		s->exact = true;
}

/*
 * Without statistics, a text column with a few distinct values in the
 * sample: those values (one small query each, over the same sample).
 */
static void
sample_values(Suggest *s, Col *c)
{
	StringInfoData sql;
	uint64		n;

	if (c->kind != K_TEXT || c->has_stats || c->classification != NULL ||
		c->ck_values != NIL || c->distinct < 1 || c->distinct > DMESH_SUGGEST_MAX_VALUES ||
		c->nonnull < (int64) SUGGEST_ROWS_PER_VALUE * c->distinct)
		return;
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT v FROM (SELECT DISTINCT CAST(%s AS pg_catalog.text) AS v %s) AS d"
					 " WHERE v IS NOT NULL ORDER BY v COLLATE pg_catalog.\"C\" LIMIT %d",
					 c->ident, s->from, DMESH_SUGGEST_MAX_VALUES + 1);
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", sql.data);
	n = SPI_processed;
	for (uint64 r = 0; r < n; r++)
		c->sample_values = lappend(c->sample_values,
								   SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1));
	c->values_counted = true;
}

/* The labels of an enum type, in their order. */
static List *
enum_labels(Oid typid)
{
	DmeshArgs	args;
	List	   *labels = NIL;
	uint64		n;

	dmesh_args_init(&args);
	dmesh_arg_oid(&args, OIDOID, typid);
	n = dmesh_spi_exec("SELECT enumlabel::pg_catalog.text FROM pg_catalog.pg_enum"
					   " WHERE enumtypid OPERATOR(pg_catalog.=) $1 ORDER BY enumsortorder",
					   &args, SPI_OK_SELECT);
	for (uint64 r = 0; r < n; r++)
		labels = lappend(labels, dmesh_spi_text(r, 1));
	return labels;
}

/* ----------------------------------------------------------------
 * Rounding outward
 * ----------------------------------------------------------------
 */

static Numeric
num(const char *text)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(text),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

static char *
num_text(Numeric n)
{
	n = DatumGetNumeric(DirectFunctionCall1(numeric_trim_scale, NumericGetDatum(n)));
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

/* floor (or ceil) of v to a multiple of step */
static Numeric
num_round(Numeric v, Numeric step, bool up)
{
	Datum		q = DirectFunctionCall2(numeric_div, NumericGetDatum(v), NumericGetDatum(step));

	q = DirectFunctionCall1(up ? numeric_ceil : numeric_floor, q);
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, q, NumericGetDatum(step)));
}

/*
 * Bounds for numbers from lo..hi: each rounded outward to a multiple of
 * the power of ten just below the width of the range (18..77: 10..80;
 * 0.05..0.93: 0..1), integers to at least 1.  False for NaN and infinity.
 * A bound beyond the column type's own range is dropped (NULL).
 */
static bool
round_numbers(const Col *c, const char *lo, const char *hi, char **rlo, char **rhi,
			  char **step_text)
{
	Numeric		nlo = num(lo);
	Numeric		nhi = num(hi);
	double		dlo;
	double		dhi;
	double		width;
	int			k;
	Numeric		step;
	Numeric		blo;
	Numeric		bhi;

	if (numeric_is_nan(nlo) || numeric_is_nan(nhi) || numeric_is_inf(nlo) || numeric_is_inf(nhi))
		return false;
	dlo = strtod(lo, NULL);
	dhi = strtod(hi, NULL);
	width = dhi - dlo;
	if (width <= 0)
		width = Max(fabs(dlo), fabs(dhi));
	k = width > 0 ? (int) floor(log10(width)) : 0;
	k = Max(Min(k, 30), c->kind == K_INTEGER ? 0 : -12);
	step = num(psprintf("1e%d", k));
	blo = num_round(nlo, step, false);
	bhi = num_round(nhi, step, true);
	*rlo = num_text(blo);
	*rhi = num_text(bhi);
	*step_text = num_text(step);
	if (c->kind == K_INTEGER)
	{
		const char *tmin = c->base == INT2OID ? "-32768" : c->base == INT4OID ? "-2147483648" : "-9223372036854775808";
		const char *tmax = c->base == INT2OID ? "32767" : c->base == INT4OID ? "2147483647" : "9223372036854775807";

		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(blo),
											  NumericGetDatum(num(tmin)))) < 0)
			*rlo = NULL;
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(bhi),
											  NumericGetDatum(num(tmax)))) > 0)
			*rhi = NULL;
	}
	return true;
}

typedef struct Ymd
{
	int			y;
	int			m;
	int			d;
	bool		midnight;
} Ymd;

/* A date or timestamp as PostgreSQL writes it with DateStyle ISO. */
static bool
parse_ymd(const char *text, Ymd *v)
{
	int			h = 0,
				mi = 0;
	double		sec = 0;
	int			n;

	if (text == NULL || strstr(text, "BC") != NULL || strstr(text, "infinity") != NULL)
		return false;
	n = sscanf(text, "%d-%d-%d %d:%d:%lf", &v->y, &v->m, &v->d, &h, &mi, &sec);
	if (n < 3 || v->y < 1 || v->y > 9998 || v->m < 1 || v->m > 12)
		return false;
	v->midnight = h == 0 && mi == 0 && sec == 0;
	return true;
}

static char *
ymd_text(const Col *c, int y, int m, int d)
{
	if (c->kind == K_DATE)
		return psprintf("%04d-%02d-%02d", y, m, d);
	if (c->kind == K_TIMESTAMPTZ)
		return psprintf("%04d-%02d-%02dT00:00:00Z", y, m, d);
	return psprintf("%04d-%02d-%02dT00:00:00", y, m, d);
}

/*
 * Bounds for dates and times: to the start of the month (a range of less
 * than two years) or of the year, outward; times of day in UTC.
 */
static bool
round_dates(const Col *c, const char *lo, const char *hi, char **rlo, char **rhi,
			const char **unit)
{
	Ymd			a,
				b;
	bool		years;

	if (!parse_ymd(lo, &a) || !parse_ymd(hi, &b))
		return false;
	years = date2j(b.y, b.m, b.d) - date2j(a.y, a.m, a.d) >= 730;
	*unit = years ? "years" : "months";
	if (years)
	{
		*rlo = ymd_text(c, a.y, 1, 1);
		*rhi = (b.m == 1 && b.d == 1 && b.midnight) ? ymd_text(c, b.y, 1, 1) : ymd_text(c, b.y + 1, 1, 1);
	}
	else
	{
		*rlo = ymd_text(c, a.y, a.m, 1);
		if (b.d == 1 && b.midnight)
			*rhi = ymd_text(c, b.y, b.m, 1);
		else
			*rhi = b.m == 12 ? ymd_text(c, b.y + 1, 1, 1) : ymd_text(c, b.y, b.m + 1, 1);
	}
	return true;
}

/* Days between two dates or times as PostgreSQL writes them; -1 if not known. */
static double
days_between(const char *lo, const char *hi)
{
	Ymd			a,
				b;

	if (!parse_ymd(lo, &a) || !parse_ymd(hi, &b))
		return -1;
	return date2j(b.y, b.m, b.d) - date2j(a.y, a.m, a.d);
}

/* ----------------------------------------------------------------
 * Suggestions
 * ----------------------------------------------------------------
 */

/* A member of the column's logicalTypeOptions. */
static void
opt_str(Col *c, const char *key, const char *value)
{
	bool		first = c->options.len == 0;

	json_str(&c->options, &first, key, value);
}

static void
opt_raw(Col *c, const char *key, const char *value)
{
	bool		first = c->options.len == 0;

	json_raw(&c->options, &first, key, value);
}

/* Why a column's largest value moves up with new rows (no maximum), or NULL. */
static const char *
grows(const Col *c, const Col *fresh)
{
	if (c->seq_default)
		return "its values come from a sequence";
	if (c->kind == K_INTEGER && (c->pk_position > 0 || c->unique_index != NULL || c->foreign_key))
		return "it is a key";
	if (c->kind == K_INTEGER && c->nwords > 0 &&
		word_in(c->words[c->nwords - 1], "id|key|no|nr|number|seq|num"))
		return "it is an identifier";
	if (c->now_default)
		return "its default is the current time";
	if (c == fresh)
		return "it is the time rows are written";
	if ((KB(c->kind) & KINDS_TIME) && any_word_in(c->words, c->nwords, record_time_words))
		return "it looks like the time rows are written";
	if ((c->kind == K_TIMESTAMP || c->kind == K_TIMESTAMPTZ) && c->nwords > 0 &&
		word_in(c->words[c->nwords - 1], "at|ts|time|timestamp"))
		return "it looks like the time something happened: new rows bring later times";
	return NULL;
}

/* A value of a list, as JSON: a number for number columns, else a string. */
static void
json_value_of(StringInfo buf, const Col *c, const char *value)
{
	if (c->kind == K_INTEGER || c->kind == K_NUMBER)
	{
		char	   *end;
		double		v = strtod(value, &end);

		if (*end == '\0' && end != value && !isinf(v) && !isnan(v) &&
			(isdigit((unsigned char) value[0]) || value[0] == '-'))
		{
			appendStringInfoString(buf, value);
			return;
		}
	}
	escape_json(buf, value);
}

static char *
valid_values_rule(const Col *c, List *values, List *evidence)
{
	StringInfoData buf;
	bool		first = true;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	json_str(&buf, &first, "metric", "invalidValues");
	json_key(&buf, &first, "arguments");
	appendStringInfoString(&buf, "{\"validValues\": [");
	foreach(lc, values)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		json_value_of(&buf, c, (char *) lfirst(lc));
	}
	appendStringInfoString(&buf, "]}");
	json_raw(&buf, &first, "mustBe", "0");
	json_evidence(&buf, &first, evidence);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* How the sample was read, for evidence: "the 5000 sampled rows". */
static char *
sample_words(const Suggest *s)
{
	if (s->exact)
		return psprintf("all %lld rows", (long long) s->sampled);
	return psprintf("the %lld sampled rows", (long long) s->sampled);
}

static void
suggest_required(Suggest *s, Col *c)
{
	if (c->notnull)
	{
		c->required = true;
		add_line(&c->evidence, c->pk_position > 0 ? "required: primary key (NOT NULL)" :
				 "required: NOT NULL constraint");
	}
	else if (c->ck_notnull != NULL)
		c->required = true;		/* said by the CHECK constraint's line */
	else if (s->sampled > 0 && c->nonnull == s->sampled)
	{
		if (s->exact)
		{
			c->required = true;
			add_line(&c->evidence, "required: no NULL in %s", sample_words(s));
		}
		else if (!c->has_stats)
		{
			c->required = true;
			add_line(&c->evidence, "required: no NULL in %s (no statistics)", sample_words(s));
		}
		else if (c->null_frac == 0)
		{
			c->required = true;
			add_line(&c->evidence, "required: no NULL in %s; pg_stats null_frac 0", sample_words(s));
		}
		else
			add_line(&c->evidence, "not required: no NULL in %s, but pg_stats null_frac %s",
					 sample_words(s), short_float(c->null_frac));
	}
	else if (s->sampled <= 0 && !s->exact && c->has_stats && c->null_frac == 0)
	{
		c->required = true;
		add_line(&c->evidence, "required: pg_stats null_frac 0 (no sample read)");
	}
}

static void
suggest_unique(Suggest *s, Col *c)
{
	if (c->pk_position > 0)
		add_line(&c->evidence, "primaryKey (position %d): primary key %s", c->pk_position, c->pk_name);
	if (c->unique_index != NULL)
	{
		c->unique = true;
		add_line(&c->evidence, "unique: unique index %s", c->unique_index);
		return;
	}
	if (c->pk_position > 0 || (KB(c->kind) & KINDS_KEYLIKE) == 0 || c->not_keylike)
		return;
	if (c->distinct >= 0 && c->nonnull >= SUGGEST_MIN_UNIQUE && c->distinct == c->nonnull)
	{
		c->unique = true;
		if (s->exact)
			add_line(&c->evidence, "unique: the %lld values of %s are all distinct (no unique index)",
					 (long long) c->nonnull, sample_words(s));
		else if (!c->has_stats)
			add_line(&c->evidence, "unique: the %lld values of %s are all distinct (no statistics, no unique index)",
					 (long long) c->nonnull, sample_words(s));
		else
			add_line(&c->evidence, "unique: the %lld values of %s are all distinct; pg_stats n_distinct %s (all distinct); no unique index",
					 (long long) c->nonnull, sample_words(s), short_float(c->n_distinct));
	}
	else if (c->distinct < 0 && s->sampled <= 0 && !s->exact && stats_all_distinct(c) &&
			 s->est_rows * (1 - c->null_frac) >= SUGGEST_MIN_UNIQUE)
	{
		c->unique = true;
		add_line(&c->evidence, "unique: pg_stats n_distinct %s (all distinct; no sample read, no unique index)",
				 short_float(c->n_distinct));
	}
}

/* A recognisable pattern, checked on the sample; may classify the column. */
static void
suggest_pattern(Suggest *s, Col *c)
{
	const SuggestPattern *p;
	double		share;

	if (c->kind == K_UUID)
	{
		opt_str(c, "format", "uuid");
		add_line(&c->evidence, "format uuid: the column's type is uuid");
		return;
	}
	if (c->candidate < 0)
		return;
	p = &patterns[c->candidate];
	if (c->nonnull <= 0)
	{
		if (s->sampled <= 0 && !s->exact)
			add_line(&c->evidence, "no pattern: %s suggests %s, but no sample was read to check it",
					 c->screened_from, p->what);
		return;
	}
	share = (double) c->match / c->nonnull;
	if (c->match == c->nonnull)
	{
		c->pattern_found = c->candidate;
		c->pattern_strict = true;
		if (p->format != NULL)
		{
			opt_str(c, "format", p->format);
			add_line(&c->evidence, "format %s: the %lld values of %s are all %s",
					 p->format, (long long) c->nonnull, sample_words(s), p->what);
		}
		else if (c->ck_pattern == NULL)
		{
			opt_str(c, "pattern", p->pattern);
			add_line(&c->evidence, "pattern: the %lld values of %s are all %s",
					 (long long) c->nonnull, sample_words(s), p->what);
		}
	}
	else if (share >= SUGGEST_NEARLY)
	{
		List	   *lines = NIL;
		StringInfoData rule;
		bool		first = true;
		double		pct = 100.0 * (c->nonnull - c->match) / c->nonnull;
		int			limit = Max(1, (int) ceil(2 * pct));

		c->pattern_found = c->candidate;
		add_line(&lines, "%lld of the %lld values of %s %s not %s (%s%%): at most %d%% allowed",
				 (long long) (c->nonnull - c->match), (long long) c->nonnull, sample_words(s),
				 c->nonnull - c->match == 1 ? "is" : "are", p->what, short_float(pct), limit);
		initStringInfo(&rule);
		appendStringInfoChar(&rule, '{');
		json_str(&rule, &first, "metric", "invalidValues");
		json_key(&rule, &first, "arguments");
		appendStringInfoString(&rule, "{\"pattern\": ");
		escape_json(&rule, p->tolerant ? p->tolerant : p->pattern);
		appendStringInfoChar(&rule, '}');
		json_raw(&rule, &first, "mustBeLessOrEqualTo", psprintf("%d", limit));
		json_str(&rule, &first, "unit", "percent");
		json_evidence(&rule, &first, lines);
		appendStringInfoChar(&rule, '}');
		c->rules = lappend(c->rules, rule.data);
	}
	else
		add_line(&c->evidence, "no pattern: %s suggests %s, but only %s%% of the values of %s are",
				 c->screened_from, p->what, short_float(100 * share), sample_words(s));

	if (c->pattern_found >= 0 && p->classification != NULL && c->classification == NULL)
	{
		c->classification = p->classification;
		c->classification_why = psprintf("classification %s: its values are %s",
										 p->classification, p->what);
	}
}

static void
suggest_bounds(Suggest *s, Col *c, const Col *fresh)
{
	const char *why_not = grows(c, fresh);
	char	   *rlo = NULL;
	char	   *rhi = NULL;
	const char *unit = NULL;
	bool		numbers = c->kind == K_INTEGER || c->kind == K_NUMBER;
	bool		ok;
	StringInfoData line;

	if ((KB(c->kind) & KINDS_BOUNDED) == 0)
		return;
	/* CHECK constraints are the law: they come first */
	if (c->ck_min != NULL)
		opt_raw(c, c->ck_min_excl ? "exclusiveMinimum" : "minimum", c->ck_min);
	if (c->ck_max != NULL)
		opt_raw(c, c->ck_max_excl ? "exclusiveMaximum" : "maximum", c->ck_max);
	if (c->lo == NULL || c->hi == NULL || (c->ck_min != NULL && (c->ck_max != NULL || why_not)))
	{
		if (why_not != NULL && c->ck_max == NULL && c->hi != NULL)
			add_line(&c->evidence, "no maximum: %s", why_not);
		return;
	}
	if (numbers)
	{
		char	   *step;

		ok = round_numbers(c, c->lo, c->hi, &rlo, &rhi, &step);
		if (ok)
			unit = psprintf("multiples of %s", step);
	}
	else
	{
		ok = round_dates(c, c->lo, c->hi, &rlo, &rhi, &unit);
		if (ok)
			unit = psprintf("the start of %s", unit);
	}
	if (!ok)
	{
		add_line(&c->evidence, "no minimum or maximum: the values include NaN, infinity or dates out of range");
		return;
	}
	if (c->ck_min != NULL)
		rlo = NULL;
	if (c->ck_max != NULL || why_not != NULL)
		rhi = NULL;
	if (rlo == NULL && rhi == NULL)
	{
		if (why_not != NULL && c->ck_max == NULL)
			add_line(&c->evidence, "no maximum: %s", why_not);
		return;
	}
	initStringInfo(&line);
	if (rlo != NULL)
	{
		if (numbers)
			opt_raw(c, "minimum", rlo);
		else
			opt_str(c, "minimum", rlo);
		appendStringInfo(&line, "minimum %s", rlo);
	}
	if (rhi != NULL)
	{
		if (numbers)
			opt_raw(c, "maximum", rhi);
		else
			opt_str(c, "maximum", rhi);
		appendStringInfo(&line, "%smaximum %s", line.len > 0 ? ", " : "", rhi);
	}
	if (c->classification != NULL)
		appendStringInfo(&line, ": the range of the values (not shown: classified %s), rounded outward to %s",
						 c->classification, unit);
	else
	{
		appendStringInfo(&line, ": values %s to %s", c->lo, c->hi);
		if (c->tmin != NULL && c->smin != NULL)
			appendStringInfo(&line, " (pg_stats %s to %s; %s: %s to %s)", c->tmin, c->tmax,
							 sample_words(s), c->smin, c->smax);
		else if (c->tmin != NULL)
			appendStringInfo(&line, " (pg_stats; no sample)");
		else
			appendStringInfo(&line, " (%s%s)", sample_words(s), c->has_stats ? "" : ", no statistics");
		appendStringInfo(&line, ", rounded outward to %s", unit);
	}
	c->evidence = lappend(c->evidence, line.data);
	if (rhi == NULL && why_not != NULL)
		add_line(&c->evidence, "no maximum: %s", why_not);
}

static void
suggest_values(Suggest *s, Col *c)
{
	List	   *lines = NIL;
	List	   *values = NIL;

	if (c->ck_values != NIL)
	{
		values = c->ck_values;
		add_line(&lines, "validValues: %s", c->ck_values_from);
	}
	else if (c->kind == K_ENUM)
	{
		values = enum_labels(c->base);
		add_line(&lines, "validValues: the labels of enum type %s", format_type_be(c->base));
	}
	else if (c->kind != K_TEXT || c->classification != NULL)
		return;
	else if (c->o_outside > 0)
	{
		for (int i = 0; i < c->nmcv; i++)
			values = lappend(values, c->mcv[i]);
		list_sort(values, cmp_cstring);
		if (c->outside > 0)
		{
			add_line(&c->evidence, "no validValues: pg_stats lists %d values covering all rows, but %lld of %s %s another",
					 c->nmcv, (long long) c->outside, sample_words(s),
					 c->outside == 1 ? "holds" : "hold");
			return;
		}
		add_line(&lines, "validValues: pg_stats lists %d values covering all rows (n_distinct %s); %s",
				 c->nmcv, short_float(c->n_distinct),
				 s->sampled > 0 ? psprintf("%s hold no other", sample_words(s)) : "no sample read");
	}
	else if (c->values_counted && c->sample_values != NIL &&
			 list_length(c->sample_values) <= DMESH_SUGGEST_MAX_VALUES)
	{
		values = c->sample_values;
		add_line(&lines, "validValues: the %d distinct values of %s (no statistics)",
				 list_length(values), sample_words(s));
	}
	else
		return;
	c->rules = lappend(c->rules, valid_values_rule(c, values, lines));
}

/*
 * The freshness column: of the time columns not classified, not named as
 * a birth, an expiry or a plan, the one most like the time rows are
 * written (DEFAULT now(); updated, modified ...; created, loaded ...; _at,
 * _ts ...), then the newest; timestamps before dates.
 */
static Col *
freshness_column(Suggest *s, char **why)
{
	Col		   *best = NULL;
	int			best_score = 0;

	for (int pass = 0; pass < 2 && best == NULL; pass++)
	{
		for (int i = 0; i < s->ncols; i++)
		{
			Col		   *c = &s->cols[i];
			int			score = 0;

			if (pass == 0 ? !(c->kind == K_TIMESTAMP || c->kind == K_TIMESTAMPTZ) : c->kind != K_DATE)
				continue;
			if (c->classification != NULL || any_word_in(c->words, c->nwords, not_fresh_words))
				continue;
			if (c->now_default)
				score += 4;
			if (any_word_in(c->words, c->nwords, "updated|modified|changed|last|refreshed|synced"))
				score += 3;
			else if (any_word_in(c->words, c->nwords, record_time_words))
				score += 2;
			if (any_word_in(c->words, c->nwords, "at|ts|time|timestamp|on|date|when"))
				score += 1;
			if (score == 0)
				continue;
			if (best == NULL || score > best_score ||
				(score == best_score && c->hi != NULL &&
				 (best->hi == NULL || strncmp(c->hi, best->hi, 19) > 0)))
			{
				best = c;
				best_score = score;
			}
		}
	}
	if (best != NULL)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		if (best->now_default)
			appendStringInfoString(&buf, "its default is the current time");
		if (any_word_in(best->words, best->nwords, "updated|modified|changed|last|refreshed|synced"))
			appendStringInfo(&buf, "%sits name says rows are updated then", buf.len ? "; " : "");
		else if (any_word_in(best->words, best->nwords, record_time_words))
			appendStringInfo(&buf, "%sits name says rows are written then", buf.len ? "; " : "");
		else
			appendStringInfo(&buf, "%sits name says it is a time", buf.len ? "; " : "");
		*why = buf.data;
	}
	return best;
}

/* The freshness SLA on that column: about twice the time between values, at least a day. */
static void
suggest_freshness(Suggest *s, Col *fresh, const char *why)
{
	double		span;
	double		distinct = -1;
	int			days = 1;
	StringInfoData line;
	StringInfoData sla;
	bool		first = true;

	if (fresh == NULL)
	{
		add_line(&s->evidence, "no freshness SLA: no time column looks like the time rows are written");
		return;
	}
	span = days_between(fresh->lo, fresh->hi);
	if (fresh->distinct > 0)
		distinct = s->exact ? fresh->distinct :
			fresh->distinct * (s->sampled > 0 ? Max(s->est_rows / s->sampled, 1.0) : 1.0);
	else if (fresh->has_stats)
		distinct = stats_distinct(s, fresh);
	if (fresh->distinct > 0 && fresh->has_stats)
		distinct = Max(distinct, stats_distinct(s, fresh));
	initStringInfo(&line);
	appendStringInfo(&line, "freshness SLA (slaProperties): %s", why);
	if (span >= 0 && distinct > 1)
	{
		double		every = span / (distinct - 1);

		days = (int) Min(365, Max(1, ceil(2 * every - 0.01)));
		appendStringInfo(&line, "; values %s to %s, about one new value every %s days: %d d (twice that, at least a day)",
						 fresh->lo, fresh->hi, short_float(every), days);
	}
	else if (fresh->hi != NULL)
		appendStringInfo(&line, "; newest value %s: 1 d", fresh->hi);
	else
		appendStringInfoString(&line, "; no values: 1 d");
	fresh->evidence = lappend(fresh->evidence, line.data);

	initStringInfo(&sla);
	appendStringInfoChar(&sla, '{');
	json_str(&sla, &first, "property", "freshness");
	json_raw(&sla, &first, "value", psprintf("%d", days));
	json_str(&sla, &first, "unit", "d");
	json_str(&sla, &first, "element",
			 strchr(fresh->name, '.') ? fresh->name : psprintf("%s.%s", s->relname, fresh->name));
	appendStringInfoChar(&sla, '}');
	s->sla = sla.data;
}

/* A floor for the row count: half the rows there are, rounded down to two digits. */
static void
suggest_row_count(Suggest *s)
{
	double		rows;
	const char *from;
	double		floor_rows;
	double		scale = 1;
	List	   *lines = NIL;
	StringInfoData rule;
	bool		first = true;

	if (s->exact)
	{
		rows = s->sampled;
		from = psprintf("the %s rows read", count_text(rows));
	}
	else if (strcmp(s->method, "first") == 0)
	{
		rows = s->sampled;
		from = psprintf("at least %s rows (the first rows read; a view's size is not known)",
						count_text(rows));
	}
	else if (!s->analyzed && s->sampled >= SUGGEST_MIN_SAMPLE && s->percent > 0)
	{
		/* never analyzed: the planner only guessed from the row width */
		rows = floor(s->sampled * 100.0 / s->percent);
		from = psprintf("about %s rows (the %lld rows sampled at %.6g%%)",
						count_text(rows), (long long) s->sampled, s->percent);
	}
	else
	{
		rows = floor(s->est_rows);
		from = psprintf("about %s rows (%s, for the relation's %u pages)",
						count_text(rows),
						s->analyzed ? "pg_class.reltuples" : "the planner's guess",
						s->pages);
	}
	if (rows < 1)
	{
		add_line(&s->evidence, "no row-count floor: %s",
				 s->exact ? "the relation is empty" : "the relation looks empty");
		return;
	}
	floor_rows = floor(rows / 2);
	while (floor_rows / scale >= 100)
		scale *= 10;
	floor_rows = floor(floor_rows / scale) * scale;
	add_line(&lines, "rowCount > %s: half of %s, rounded down", count_text(floor_rows), from);
	initStringInfo(&rule);
	appendStringInfoChar(&rule, '{');
	json_str(&rule, &first, "metric", "rowCount");
	json_raw(&rule, &first, "mustBeGreaterThan", count_text(floor_rows));
	json_evidence(&rule, &first, lines);
	appendStringInfoChar(&rule, '}');
	s->rules = lcons(rule.data, s->rules);
}

/* ----------------------------------------------------------------
 * The document
 * ----------------------------------------------------------------
 */

static char *
property_json(Suggest *s, Col *c)
{
	StringInfoData buf;
	bool		first = true;
	ListCell   *lc;
	List	   *lines = NIL;
	const char *logical = dmesh_logical_for(c->typid);
	char	   *physical = format_type_with_typemod(c->typid, c->typmod);

	/* the evidence in the order of the document */
	add_line(&lines, "logicalType %s, physicalType %s: the column's type", logical, physical);
	lines = list_concat(lines, c->evidence);
	if (c->classification_why != NULL)
		lines = lappend(lines, c->classification_why);
	if (c->comment != NULL)
		add_line(&lines, "description: the column's comment");
	lines = list_concat(lines, c->ck_evidence);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	json_str(&buf, &first, "name", c->name);
	json_str(&buf, &first, "logicalType", logical);
	json_str(&buf, &first, "physicalType", physical);
	if (c->required)
		json_raw(&buf, &first, "required", "true");
	if (c->unique)
		json_raw(&buf, &first, "unique", "true");
	if (c->pk_position > 0)
	{
		json_raw(&buf, &first, "primaryKey", "true");
		json_raw(&buf, &first, "primaryKeyPosition", psprintf("%d", c->pk_position));
	}
	if (c->classification != NULL)
		json_str(&buf, &first, "classification", c->classification);
	if (c->comment != NULL)
		json_str(&buf, &first, "description", c->comment);
	if (c->options.len > 0)
		json_raw(&buf, &first, "logicalTypeOptions", psprintf("{%s}", c->options.data));
	if (c->rules != NIL)
	{
		json_key(&buf, &first, "quality");
		appendStringInfoChar(&buf, '[');
		foreach(lc, c->rules)
			appendStringInfo(&buf, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
							 (char *) lfirst(lc));
		appendStringInfoChar(&buf, ']');
	}
	json_evidence(&buf, &first, lines);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

static char *
sample_evidence(const Suggest *s)
{
	if (strcmp(s->method, "none") == 0)
		return psprintf("sample: none (sample_rows 0): the catalog and pg_stats only");
	if (strcmp(s->method, "all") == 0)
		return psprintf("sample: every row (%lld): the relation holds no more than sample_rows %d",
						(long long) s->sampled, s->sample_rows);
	if (strcmp(s->method, "first") == 0 && s->exact)
		return psprintf("sample: every row the %s gives (%lld): no more than sample_rows %d",
						s->relkind == RELKIND_VIEW ? "view" : "foreign table",
						(long long) s->sampled, s->sample_rows);
	if (strcmp(s->method, "first") == 0)
		return psprintf("sample: the first %lld rows the %s gives (not a random sample: it cannot be sampled with TABLESAMPLE)",
						(long long) s->sampled,
						s->relkind == RELKIND_VIEW ? "view" : "foreign table");
	return psprintf("sample: %lld rows, TABLESAMPLE %s (%.6g) REPEATABLE (%d), of about %s rows in %u pages",
					(long long) s->sampled, s->method[0] == 's' ? "SYSTEM" : "BERNOULLI",
					s->percent, DMESH_SUGGEST_SEED, count_text(s->est_rows), s->pages);
}

static char *
document_json(Suggest *s)
{
	StringInfoData buf;
	StringInfoData obj;
	bool		first = true;
	bool		ofirst = true;
	List	   *lines = NIL;
	ListCell   *lc;

	add_line(&lines, "%s", sample_evidence(s));
	if (s->nstats > 0)
		add_line(&lines, "statistics: pg_stats of %d of the %d columns (dmesh does not run ANALYZE)",
				 s->nstats, s->ncols);
	else if (s->relkind == RELKIND_VIEW || s->relkind == RELKIND_FOREIGN_TABLE)
		add_line(&lines, "statistics: none for a %s: suggestions from the rows read alone",
				 s->relkind == RELKIND_VIEW ? "view" : "foreign table");
	else
		add_line(&lines, "statistics: none (never analyzed, or none this role may see): suggestions from the sample alone; dmesh does not run ANALYZE");
	if (s->rls)
		add_line(&lines, "row-level security: only the rows this role may see were read");
	if (s->comment != NULL)
		add_line(&lines, "description: the relation's comment");
	lines = list_concat(lines, s->evidence);

	initStringInfo(&obj);
	appendStringInfoChar(&obj, '{');
	json_str(&obj, &ofirst, "name", s->relname);
	json_str(&obj, &ofirst, "physicalName", s->qualified);
	json_str(&obj, &ofirst, "physicalType", dmesh_object_physical_type(s->relid));
	json_str(&obj, &ofirst, "logicalType", "object");
	if (s->comment != NULL)
		json_str(&obj, &ofirst, "description", s->comment);
	json_key(&obj, &ofirst, "properties");
	appendStringInfoChar(&obj, '[');
	for (int i = 0; i < s->ncols; i++)
	{
		CHECK_FOR_INTERRUPTS();
		appendStringInfo(&obj, "%s%s", i > 0 ? ", " : "", property_json(s, &s->cols[i]));
	}
	appendStringInfoChar(&obj, ']');
	if (s->rules != NIL)
	{
		json_key(&obj, &ofirst, "quality");
		appendStringInfoChar(&obj, '[');
		foreach(lc, s->rules)
			appendStringInfo(&obj, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
							 (char *) lfirst(lc));
		appendStringInfoChar(&obj, ']');
	}
	json_evidence(&obj, &ofirst, lines);
	appendStringInfoChar(&obj, '}');

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	json_str(&buf, &first, "apiVersion", "v3.1.0");
	json_str(&buf, &first, "kind", "DataContract");
	json_str(&buf, &first, "id", psprintf("urn:dmesh:suggested:%s.%s",
										  get_namespace_name(get_rel_namespace(s->relid)),
										  s->relname));
	json_str(&buf, &first, "name", s->relname);
	json_str(&buf, &first, "version", "1.0.0");
	json_str(&buf, &first, "status", "draft");
	json_raw(&buf, &first, "schema", psprintf("[%s]", obj.data));
	if (s->sla != NULL)
		json_raw(&buf, &first, "slaProperties", psprintf("[%s]", s->sla));
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* ----------------------------------------------------------------
 * dmesh.suggest_contract(source text, sample_rows integer DEFAULT 100000)
 * ----------------------------------------------------------------
 */

static void
pin_setting(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

static Jsonb *
suggest(Suggest *s)
{
	Relation	rel;
	Col		   *fresh;
	char	   *fresh_why = NULL;
	Jsonb	   *doc;

	s->relkind = get_rel_relkind(s->relid);
	s->relname = get_rel_name(s->relid);
	s->qualified = dmesh_qualified_relname(s->relid);
	s->comment = GetComment(s->relid, RelationRelationId, 0);
	s->rls = check_enable_rls(s->relid, InvalidOid, true) == RLS_ENABLED;

	/* 1. the catalog */
	rel = relation_open(s->relid, AccessShareLock);
	load_columns(s, rel);
	load_keys(s);
	map_checks(s, rel);
	relation_close(rel, AccessShareLock);
	for (int i = 0; i < s->ncols; i++)
		classify_by_name(s, &s->cols[i]);

	/* 2. the statistics */
	load_stats(s);

	/* 3. the sample */
	plan_sample(s);
	screen_text(s);
	sample_pass(s);
	for (int i = 0; i < s->ncols; i++)
	{
		CHECK_FOR_INTERRUPTS();
		sample_values(s, &s->cols[i]);
	}

	/* 4. what it says */
	fresh = freshness_column(s, &fresh_why);
	for (int i = 0; i < s->ncols; i++)
	{
		Col		   *c = &s->cols[i];

		CHECK_FOR_INTERRUPTS();
		suggest_unique(s, c);
		suggest_required(s, c);
		suggest_pattern(s, c);
		if (c->ck_pattern != NULL)
			opt_str(c, "pattern", c->ck_pattern);
		if (c->ck_minlen >= 0)
			opt_raw(c, "minLength", psprintf("%d", c->ck_minlen));
		if (c->ck_maxlen >= 0)
			opt_raw(c, "maxLength", psprintf("%d", c->ck_maxlen));
		suggest_bounds(s, c, fresh);
		suggest_values(s, c);
	}
	suggest_freshness(s, fresh, fresh_why);
	suggest_row_count(s);

	/* valid by the standard and by dmesh, or a bug here */
	doc = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(document_json(s))));
	(void) dmesh_contract_compile(doc);
	return doc;
}

Datum
dmesh_suggest_contract(PG_FUNCTION_ARGS)
{
	char	   *source = dmesh_text_arg(fcinfo, 0, "source");
	Oid			caller = GetUserId();
	Suggest		s;
	DmeshSource resolved;
	DmeshSection section;
	Jsonb	   *result;

	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sample_rows must not be null"),
				 errhint("Give the number of rows to sample (default 100000), or 0 to read the catalog and pg_stats only.")));
	memset(&s, 0, sizeof(s));
	s.sample_rows = PG_GETARG_INT32(1);
	if (s.sample_rows < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_rows must not be negative"),
				 errhint("0 reads the catalog and pg_stats only.")));

	(void) dmesh_extension_owner();		/* the library and the SQL objects agree */

	/* the caller's search_path and rights, as create_data_product resolves a source */
	resolved = dmesh_resolve_source(source);
	if (!OidIsValid(resolved.relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dmesh.suggest_contract takes a relation, not a query"),
				 errdetail("A query has no statistics and cannot be sampled with TABLESAMPLE."),
				 errhint("Create a table or materialized view of the query, ANALYZE it, and suggest a contract for that.")));
	s.relid = resolved.relid;
	if (pg_class_aclcheck(s.relid, caller, ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(s.relid, caller, ACL_SELECT, ACLMASK_ALL) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read relation %s", dmesh_qualified_relname(s.relid)),
				 errdetail("dmesh.suggest_contract reads the relation's rows and statistics with the caller's privileges."),
				 errhint("Ask its owner for SELECT on it.")));

	/*
	 * Everything from here runs as the caller, restricted, with
	 * search_path, DateStyle, IntervalStyle and TimeZone pinned: the
	 * document does not depend on the session.
	 */
	SPI_connect();
	dmesh_enter_as_role(&section, caller);
	pin_setting("DateStyle", "ISO, YMD");
	pin_setting("IntervalStyle", "postgres");
	pin_setting("TimeZone", "UTC");
	pin_setting("extra_float_digits", "1");
	result = dmesh_spi_return(suggest(&s));
	dmesh_leave(&section);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}
