# dmesh: PGXS build.  The control file is the single source of the version.
EXTENSION   = dmesh
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" dmesh.control)

MODULE_big  = dmesh
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA        = sql/dmesh--0.1.0.sql $(sort $(wildcard sql/dmesh--*--*.sql))

PG_CPPFLAGS = -I$(srcdir)/src -DDMESH_VERSION=\"$(EXTVERSION)\"
SHLIB_LINK  = -lyaml
PG_CFLAGS   = -Wall -Werror -MMD -MP

# Tests: regress inputs in test/sql, isolation specs in test/specs, TAP in
# test/t; expected outputs of both live in expected/.
REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=dmesh
ISOLATION      = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=. --load-extension=dmesh
TAP_TESTS    = 1
PROVE_TESTS  = $(sort $(wildcard test/t/*.pl))
EXTRA_CLEAN  = results output_iso tmp_check log regression.diffs regression.out $(OBJS:.o=.d) \
               test/doc/sql test/doc/results test/doc/regression.diffs test/doc/regression.out \
               $(CLIENT) $(CLIENT_OBJS) $(CLIENT_OBJS:.o=.d)

# The command-line client (docs/client.md): a libpq program in src/client/,
# built and installed by the rules at the end (PGXS builds one MODULE_big or
# one PROGRAM, not both).
CLIENT      = src/client/dmesh
CLIENT_OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/client/*.c)))

# SQL.  The install script of the current version, sql/dmesh--$(EXTVERSION).sql,
# is built from the files below, one per concept, concatenated in dependency
# order: edit those.  (They are in sql/src/: pg_regress would take a
# sql/<name>.sql for the regress test of that name.)  DATA (above) holds the
# frozen scripts, sql/dmesh--0.1.0.sql and every update script, which stay
# as they are; a new version's update script is written as the delta.
SQL_SOURCES = $(addprefix sql/src/,catalog.sql products.sql contracts.sql quality.sql \
                governance.sql lineage.sql worker.sql discovery.sql assistant.sql as_code.sql \
                federation.sql subscription.sql)
DATA_built  = sql/$(EXTENSION)--$(EXTVERSION).sql

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The install script: a header, then the concept files (SQL_SOURCES) as they are.
$(DATA_built): $(SQL_SOURCES) dmesh.control Makefile
	{ printf '%s\n' '-- dmesh $(EXTVERSION): generated from $(SQL_SOURCES) by make; edit those.' \
	      '\echo Use "CREATE EXTENSION dmesh" to load this file. \quit' ''; \
	  cat $(SQL_SOURCES); } > $@.tmp
	mv $@.tmp $@

# The three parts of installcheck as separate targets, so that a runner can
# report each part even when an earlier one fails.
# The doc test: the SQL examples of the README, then of each file of docs/
# (DOC_FILES, in this order), run one after the other in one fresh database
# (dmesh_doc; the README creates the extension) and compared with
# test/doc/expected/.  Run it on a cluster of its own: the README creates
# roles.  test/doc/sql/ is generated.
DOC_FILES = README.md docs/contracts.md docs/quality.md docs/governance.md \
            docs/lineage.md docs/worker.md docs/upgrading.md docs/products-as-code.md
DOC_TESTS = $(foreach f,$(DOC_FILES),$(subst /,_,$(basename $(notdir $(f)))))
.PHONY: doc-sql installcheck-doc print-doc-files
print-doc-files:
	@echo $(DOC_FILES)
doc-sql:
	@mkdir -p test/doc/sql
	@$(foreach f,$(DOC_FILES),test/doc/extract.sh $(f) > test/doc/sql/$(subst /,_,$(basename $(notdir $(f)))).sql &&) true
installcheck-doc: doc-sql
	$(pg_regress_installcheck) --inputdir=test/doc --outputdir=test/doc --dbname=dmesh_doc $(DOC_TESTS)

.PHONY: installcheck-regress installcheck-isolation installcheck-tap
installcheck-regress:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)
installcheck-isolation:
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)
installcheck-tap:
	$(prove_installcheck)

# The version is compiled in (DMESH_VERSION): rebuild when it changes.
# Each object depends on the headers it includes, as the compiler lists
# them (-MMD writes src/*.d).
$(OBJS): dmesh.control
-include $(OBJS:.o=.d)

# The client.  It includes libpq-fe.h from the pg_config's includedir and no
# server header: PGXS's CPPFLAGS lose their -I options (the server's include
# directories) and keep the rest (-D_GNU_SOURCE, -D_FORTIFY_SOURCE ...).
# CFLAGS are PGXS's, so -Wall -Werror (PG_CFLAGS) hold here too.
CLIENT_CPPFLAGS = -I$(srcdir)/src/client -I$(includedir) $(filter-out -I%,$(CPPFLAGS))

src/client/%.o: src/client/%.c
	$(CC) $(CFLAGS) $(CLIENT_CPPFLAGS) -c -o $@ $<

$(CLIENT): $(CLIENT_OBJS)
	$(CC) $(CFLAGS) $(CLIENT_OBJS) $(LDFLAGS) $(LDFLAGS_EX) -L$(libdir) -lpq -o $@

$(CLIENT_OBJS): dmesh.control
-include $(CLIENT_OBJS:.o=.d)

all: $(CLIENT)

.PHONY: install-client uninstall-client
install: install-client
install-client: $(CLIENT)
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) $(CLIENT) '$(DESTDIR)$(bindir)/dmesh'

uninstall: uninstall-client
uninstall-client:
	rm -f '$(DESTDIR)$(bindir)/dmesh'
