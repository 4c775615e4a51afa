# mk/pam-password.mk — data files of the password phase, translations and
# the policy benchmark.  Included by the Makefile after its variables.
#
#   $(B)/share/tenure/words            dictionary for dictcheck: the words of
#                                      wamerican (/usr/share/dict/american-english,
#                                      lower-case, 4-32 letters, marked w) and
#                                      john's password.lst (common passwords,
#                                      marked c), sorted in byte order
#   $(B)/share/tenure/breached.filter  default breached-password filter, built
#                                      by tenurectl from john's password.lst
#   $(B)/locale/LANG/LC_MESSAGES/tenure.mo   translations (en, zh_CN)
#
# The lists come from Debian packages (wamerican, john-data) installed by
# scripts/deps.sh; nothing is fetched from the network.

PW_WORDLIST   ?= /usr/share/dict/american-english
PW_COMMONLIST ?= /usr/share/john/password.lst
PW_DATA       := $(B)/share/tenure/words $(B)/share/tenure/breached.filter
PW_LANGS      := en zh_CN
PW_MO         := $(PW_LANGS:%=$(B)/locale/%/LC_MESSAGES/tenure.mo)

all: $(PW_DATA) $(PW_MO)

# A list that is missing (package not installed) is left out with a warning,
# so a plain `make` still builds; `make check` installs both first.
$(B)/share/tenure/words: $(wildcard $(PW_WORDLIST) $(PW_COMMONLIST)) mk/pam-password.mk
	@mkdir -p $(@D)
	@for f in $(PW_WORDLIST) $(PW_COMMONLIST); do \
		[ -r $$f ] || echo "warning: $$f missing (scripts/deps.sh installs it); dictionary is incomplete" >&2; \
	done
	{ [ ! -r $(PW_COMMONLIST) ] || grep -v '^#!comment' $(PW_COMMONLIST) | tr 'A-Z' 'a-z' | \
		LC_ALL=C grep -E '^[[:graph:]]{4,32}$$' | sed 's/$$/	c/'; \
	  [ ! -r $(PW_WORDLIST) ] || LC_ALL=C grep -E '^[a-z]{4,32}$$' $(PW_WORDLIST) | sed 's/$$/	w/'; } | \
		LC_ALL=C sort | LC_ALL=C awk -F '	' '!seen[$$1]++' >$@.tmp
	mv $@.tmp $@

$(B)/share/tenure/breached.filter: $(wildcard $(PW_COMMONLIST)) $(CTL)
	@mkdir -p $(@D)
	{ [ ! -r $(PW_COMMONLIST) ] || grep -v '^#!comment' $(PW_COMMONLIST); } | \
		$(CTL) filter build -o $@ - >/dev/null

# Message catalogue: every _()/N_() string of the module, the tools and the
# core.  The template is regenerated on each build; the .po files are kept
# in git and merged with msgmerge when the template changes.
$(B)/po/tenure.pot: $(wildcard pam_module/*.c tools/*.c common/*.c)
	@mkdir -p $(@D)
	xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
		--add-comments=TRANSLATORS --package-name=tenure \
		--msgid-bugs-address=tenure -o $@.tmp $^
	sed -i '/^"POT-Creation-Date/d' $@.tmp
	mv $@.tmp $@

# Each catalogue is merged with the fresh template first, so strings added
# since the .po was last updated are picked up (shown in English until
# translated; `make po-update` writes the merge back to po/).
$(B)/po/%.po: po/%.po $(B)/po/tenure.pot
	msgmerge --quiet --no-fuzzy-matching -o $@ $^

$(B)/locale/%/LC_MESSAGES/tenure.mo: $(B)/po/%.po
	@mkdir -p $(@D)
	msgfmt --check-format -o $@ $<

.PHONY: pot po-update install-pam-password bench-policy
pot: $(B)/po/tenure.pot
	cp $(B)/po/tenure.pot po/tenure.pot

po-update: pot
	for l in $(PW_LANGS); do msgmerge --quiet --update --backup=none po/$$l.po po/tenure.pot; done

install: install-pam-password
install-pam-password: $(PW_DATA) $(PW_MO)
	install -d $(DESTDIR)$(DATADIR)/tenure
	install -m 0644 $(PW_DATA) $(DESTDIR)$(DATADIR)/tenure/
	for l in $(PW_LANGS); do \
		install -d $(DESTDIR)$(DATADIR)/locale/$$l/LC_MESSAGES; \
		install -m 0644 $(B)/locale/$$l/LC_MESSAGES/tenure.mo $(DESTDIR)$(DATADIR)/locale/$$l/LC_MESSAGES/; \
	done
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/tenure/history

$(B)/bench/policy_filter: bench/policy_filter.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) -lcrypto

bench-policy: tests $(B)/bench/policy_filter
	TENURE_BUILD=$(B) bash bench/policy.sh
