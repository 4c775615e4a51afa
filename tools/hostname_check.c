/* tenurectl — does this host's own name resolve without DNS?
 *
 * libldap looks up the host's own name (gethostname, then a hosts lookup)
 * once in every process that first uses it: sshd's connection children,
 * login, su, and every process that resolves a directory user through
 * libnss_tenure.  When nsswitch.conf sends that lookup to DNS and the DNS
 * server does not answer, each such process waits before its first
 * directory lookup: about a second, since common/ldap.c bounds the
 * resolver there (glibc's own default would be 5 s x 2 tries).  `config
 * check` warns when that can happen.
 *
 * The hosts line is walked in order: `files` with the name in /etc/hosts,
 * `myhostname` and `resolve` answer locally; `dns` reached first means the
 * lookup can wait for the network.  Without a hosts line glibc asks DNS
 * first.
 */
#include "ctl.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define NSSWITCH "/etc/nsswitch.conf"
#define HOSTS    "/etc/hosts"

/* 1 when NAME is a name or alias on a line of /etc/hosts. */
static int in_hosts_file(const char *name)
{
	char line[4096];
	FILE *f = fopen(HOSTS, "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok;

		line[strcspn(line, "#\n")] = '\0';
		tok = strtok_r(line, " \t", &save);   /* the address */
		while (tok && (tok = strtok_r(NULL, " \t", &save)))
			if (strcasecmp(tok, name) == 0)
				found = 1;
	}
	fclose(f);
	return found;
}

/* The services of the hosts line in NSSWITCH, into buf ("" if none). */
static void hosts_line(char *buf, size_t len)
{
	char line[4096];
	FILE *f = fopen(NSSWITCH, "re");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		line[strcspn(line, "#\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "hosts", 5) != 0)
			continue;
		p += 5;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != ':')
			continue;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		snprintf(buf, len, "%s", p);
	}
	fclose(f);
}

/* 0 when the host name resolves locally or not at all before DNS; 1 with
 * a warning in why when DNS is asked first. */
int ctl_hostname_check(char *why, size_t len)
{
	char name[256], services[4096], copy[4096], *save = NULL, *tok;
	int files_missed = 0;

	if (gethostname(name, sizeof(name)) != 0)
		return 0;
	name[sizeof(name) - 1] = '\0';
	hosts_line(services, sizeof(services));
	if (!services[0])
		snprintf(services, sizeof(services), "dns files");   /* glibc's default */
	snprintf(copy, sizeof(copy), "%s", services);
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (tok[0] == '[') {
			/* An action: after files that did not find the name,
			 * [NOTFOUND=return] ends the lookup before DNS. */
			if (files_missed && strcasestr(tok, "notfound=return") && !strchr(tok, '!'))
				return 0;
			continue;
		}
		files_missed = 0;
		if (strcmp(tok, "files") == 0) {
			if (in_hosts_file(name))
				return 0;
			files_missed = 1;
		}
		if (strcmp(tok, "myhostname") == 0 || strcmp(tok, "resolve") == 0)
			return 0;
		if (strcmp(tok, "dns") == 0) {
			snprintf(why, len,
				 "this host's name \"%s\" is not in " HOSTS " and is looked up in DNS "
				 "(" NSSWITCH " hosts: %s): libldap resolves it once in every process "
				 "that uses pam_tenure or libnss_tenure, so a DNS server that does not "
				 "answer delays each of them (by about a second: tenure bounds the "
				 "wait); add the name "
				 "to " HOSTS " (e.g. \"127.0.1.1 %s\")",
				 name, services, name);
			return 1;
		}
	}
	return 0;
}
