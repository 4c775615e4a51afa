# tenure — plain GNU make.  Everything is built under $(B)/ (default build/).
#
#   make                 build libtenure.a and every front end
#   make check           install missing Debian packages, build, run all tests
#   make install DESTDIR=... PREFIX=/usr LIBDIR=... PAMDIR=... NSSDIR=... SYSCONFDIR=/etc
#   make clean
#
# WERROR=1 adds -Werror.  SANITIZE=address,undefined builds with sanitizers.

B          ?= build
CC         ?= cc
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null)
PREFIX     ?= /usr
SYSCONFDIR ?= /etc
SBINDIR    ?= $(PREFIX)/sbin
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
LOCALSTATEDIR ?= /var
# Debian 12 keeps PAM and NSS modules in /lib/<multiarch>; RHEL uses /usr/lib64.
ifeq ($(PREFIX),/usr)
LIBDIR     ?= /lib/$(MULTIARCH)
else
LIBDIR     ?= $(PREFIX)/lib/$(MULTIARCH)
endif
PAMDIR     ?= $(LIBDIR)/security
NSSDIR     ?= $(LIBDIR)

WARN    = -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wno-unused-parameter
HARDEN  = -fstack-protector-strong -D_FORTIFY_SOURCE=2
OPT     ?= -O2 -g
CFLAGS  ?=
CFLAGS  += $(OPT) -std=gnu11 $(WARN) $(HARDEN) -fvisibility=hidden -fPIC -pthread \
           -D_GNU_SOURCE -Iinclude \
           -DTENURE_DATADIR='"$(DATADIR)/tenure"' \
           -DTENURE_STATEDIR='"$(LOCALSTATEDIR)/lib/tenure"' \
           -DTENURE_LOCALEDIR='"$(DATADIR)/locale"'
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif
LDHARDEN = -Wl,-z,relro,-z,now,-z,noexecstack
SOFLAGS  = -shared $(LDHARDEN) -Wl,-z,defs
ifeq ($(SANITIZE),)
PIEFLAGS = -fPIE -pie $(LDHARDEN)
else
PIEFLAGS = $(LDHARDEN)
endif

LDAP_LIBS  = -lldap -llber
PAM_LIBS   = $(LDAP_LIBS) -lpam -largon2 -lcrypto -pthread
NSS_LIBS   = $(LDAP_LIBS) -pthread
SYNCD_LIBS = $(LDAP_LIBS) -lmicrohttpd -ljansson -lsqlite3 -lcrypto -lsystemd -pthread
CTL_LIBS   = $(LDAP_LIBS) -ljansson -lsqlite3 -largon2 -lcrypto -lpam -pthread
TEST_LIBS  = -Wl,--as-needed $(SYNCD_LIBS) -lpam -largon2 -lcheck -lsubunit -lm -lrt

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/obj/%.o)
PAM_SRC    := $(wildcard pam_module/*.c)
NSS_SRC    := $(wildcard nss_module/*.c)
SYNCD_SRC  := $(wildcard syncd/*.c)
CTL_SRC    := $(wildcard tools/*.c)
UNIT_SRC   := $(wildcard tests/unit/check_*.c)
TOOL_SRC   := $(wildcard tests/tools/*.c)

LIB   := $(B)/libtenure.a
PAM   := $(if $(PAM_SRC),$(B)/pam_tenure.so)
NSS   := $(if $(NSS_SRC),$(B)/libnss_tenure.so.2)
SYNCD := $(if $(SYNCD_SRC),$(B)/tenure-syncd)
CTL   := $(if $(CTL_SRC),$(B)/tenurectl)
UNITS := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOLS := $(TOOL_SRC:tests/tools/%.c=$(B)/tests/%)

ALL_OBJ := $(COMMON_OBJ) $(PAM_SRC:%.c=$(B)/obj/%.o) $(NSS_SRC:%.c=$(B)/obj/%.o) \
           $(SYNCD_SRC:%.c=$(B)/obj/%.o) $(CTL_SRC:%.c=$(B)/obj/%.o)

.PHONY: all check unit integration deps install clean tests demo bench
.DEFAULT_GOAL := all

MAN_GEN := $(if $(CTL),$(B)/man/tenure.conf.5)

all: $(LIB) $(PAM) $(NSS) $(SYNCD) $(CTL) $(MAN_GEN)

# Make fragments of the parts (mk/*.mk) add targets; a fragment appends to
# CHECK_EXTRA the targets `make check` must also run.
CHECK_EXTRA :=
-include $(wildcard mk/*.mk)

# Quiet by default; V=1 shows the commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(ALL_OBJ:.o=.d)

$(LIB): $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(B)/pam_tenure.so: $(PAM_SRC:%.c=$(B)/obj/%.o) $(LIB) pam_module/pam_tenure.map
	$(CC) $(LDFLAGS) $(SOFLAGS) -Wl,--version-script=pam_module/pam_tenure.map \
		-Wl,-soname,pam_tenure.so -o $@ $(filter %.o,$^) $(LIB) $(PAM_LIBS)

$(B)/libnss_tenure.so.2: $(NSS_SRC:%.c=$(B)/obj/%.o) $(LIB) nss_module/nss_tenure.map
	$(CC) $(LDFLAGS) $(SOFLAGS) -Wl,--version-script=nss_module/nss_tenure.map \
		-Wl,-soname,libnss_tenure.so.2 -o $@ $(filter %.o,$^) $(LIB) $(NSS_LIBS)

$(B)/tenure-syncd: $(SYNCD_SRC:%.c=$(B)/obj/%.o) $(LIB)
	$(CC) $(LDFLAGS) $(PIEFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(SYNCD_LIBS)

$(B)/tenurectl: $(CTL_SRC:%.c=$(B)/obj/%.o) $(LIB)
	$(CC) $(LDFLAGS) $(PIEFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(CTL_LIBS)

# tenure.conf(5) is generated from the configuration table.
$(B)/man/tenure.conf.5: $(CTL)
	@mkdir -p $(@D)
	$(Q)$(CTL) config man >$@

# Unit tests (Check) link the core library; test tools are small programs
# the integration scripts drive.
$(B)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(TEST_LIBS)

$(B)/tests/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) -o $@ $< $(LIB) $(TEST_LIBS) -ldl
-include $(TOOLS:=.d)

tests: all $(UNITS) $(TOOLS)

deps:
	@sh scripts/deps.sh

# Unit tests print Check's summary line each; integration tests print
# "NAME: N passed, N failed" each and a total.
unit: tests
	@fail=0; for t in $(UNITS); do \
		CK_VERBOSITY=normal TENURE_BUILD=$(B) ./$$t || fail=1; \
	done; exit $$fail

integration: tests
	@TENURE_BUILD=$(B) bash tests/run-integration.sh

check: deps
	@$(MAKE) --no-print-directory tests
	@fail=0; \
	$(MAKE) --no-print-directory unit || fail=1; \
	$(MAKE) --no-print-directory integration || fail=1; \
	for t in $(CHECK_EXTRA); do $(MAKE) --no-print-directory $$t || fail=1; done; \
	if [ $$fail = 0 ]; then echo "make check: all tests passed"; else echo "make check: FAILED"; fi; \
	exit $$fail

# The whole lifecycle against a throwaway directory; KEEP=1 leaves it up.
demo: deps
	@$(MAKE) --no-print-directory tests
	@KEEP=$(KEEP) TENURE_BUILD=$(B) bash scripts/demo.sh

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)
	$(if $(PAM),install -d $(DESTDIR)$(PAMDIR) && install -m 0644 $(PAM) $(DESTDIR)$(PAMDIR)/pam_tenure.so)
	$(if $(NSS),install -d $(DESTDIR)$(NSSDIR) && install -m 0644 $(NSS) $(DESTDIR)$(NSSDIR)/libnss_tenure.so.2)
	$(if $(SYNCD),install -m 0755 $(SYNCD) $(DESTDIR)$(SBINDIR)/tenure-syncd)
	$(if $(CTL),install -m 0755 $(CTL) $(DESTDIR)$(SBINDIR)/tenurectl)
	install -d $(DESTDIR)$(DATADIR)/tenure/ldap
	install -m 0644 examples/ldap/tenure.schema examples/ldap/tenure.ldif $(DESTDIR)$(DATADIR)/tenure/ldap/
	if [ -f examples/tenure.conf ] && [ ! -e $(DESTDIR)$(SYSCONFDIR)/tenure.conf ]; then \
		install -m 0644 examples/tenure.conf $(DESTDIR)$(SYSCONFDIR)/tenure.conf; fi
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/tenure
	install -d $(DESTDIR)$(DATADIR)/pam-configs
	install -m 0644 examples/pam-configs/tenure $(DESTDIR)$(DATADIR)/pam-configs/tenure
	install -d $(DESTDIR)$(SYSCONFDIR)/profile.d
	install -m 0644 examples/profile.d/tenure-tmout.sh $(DESTDIR)$(SYSCONFDIR)/profile.d/tenure-tmout.sh
	install -m 0644 examples/ldap/acl.conf examples/ldap/ppolicy-default.ldif examples/ldap/indexes.ldif \
		$(DESTDIR)$(DATADIR)/tenure/ldap/
	for m in $(wildcard man/*.[0-9]) $(MAN_GEN); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

clean:
	rm -rf $(B)
