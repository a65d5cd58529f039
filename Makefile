# dmesh: PGXS build.  The control file is the single source of the version.
EXTENSION   = dmesh
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" dmesh.control)

MODULE_big  = dmesh
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA        = $(sort $(wildcard sql/dmesh--*.sql))

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
EXTRA_CLEAN  = results output_iso tmp_check log regression.diffs regression.out $(OBJS:.o=.d)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The three parts of installcheck as separate targets, so that a runner can
# report each part even when an earlier one fails.
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
