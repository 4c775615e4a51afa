/* ldapclient — drives the core LDAP client for the integration tests.
 *
 *   ldapclient CONF search FILTER [ATTR...]   print dn and attributes
 *   ldapclient CONF down N                    1 + N searches with every server down
 *   ldapclient CONF hang                      connect to a server whose accept queue is full
 *   ldapclient CONF blackhole                 a server that accepts and never answers
 *   ldapclient CONF fds                       search, then exec and list inherited descriptors
 *   ldapclient CONF sigpipe PID               search, SIGKILL the server, search/modify again
 *   ldapclient CONF bind DN PASSWORD          bind as a user with the ppolicy control
 *   ldapclient CONF schema CLASS              does the subschema list CLASS?
 *   ldapclient - listfds                      (internal) print descriptors other than 0-2
 *
 * Exit 0 when the scenario's promise held, 1 when it did not, 2 on usage.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tenure/config.h"
#include "tenure/ldap.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int search_uid(struct tenure_ldap *h, const struct tenure_config *cfg, const char *filter,
		      const char *const *attrs, int print)
{
	struct tenure_ldap_res *res = NULL;
	int rc = tenure_ldap_search(h, cfg->base ? cfg->base : "", LDAP_SCOPE_SUBTREE, filter, attrs, 0, &res);

	if (rc)
		return rc;
	for (tenure_ldap_entry *e = tenure_ldap_first(res); e; e = tenure_ldap_next(res, e)) {
		char dn[1024], val[1024];

		if (!print)
			continue;
		if (tenure_ldap_get_dn(res, e, dn, sizeof(dn)) == 0)
			printf("dn: %s\n", dn);
		for (size_t i = 0; attrs && attrs[i]; i++) {
			int r = tenure_ldap_get_str(res, e, attrs[i], val, sizeof(val));
			if (r == 0)
				printf("%s: %s\n", attrs[i], val);
			else
				printf("%s: <%s>\n", attrs[i], strerror(-r));
		}
	}
	rc = tenure_ldap_res_count(res) > 0 ? 0 : -ENOENT;
	tenure_ldap_res_free(res);
	return rc;
}

/* Descriptors open when the program started were inherited from the test
 * script, not made by the client: they are listed in `ignore`. */
static void snapshot_fds(char *buf, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t o = 0;

	buf[0] = ',';
	buf[1] = '\0';
	o = 1;
	while (d && (de = readdir(d)) && o + 16 < len)
		if (de->d_name[0] != '.')
			o += (size_t)snprintf(buf + o, len - o, "%s,", de->d_name);
	if (d)
		closedir(d);
}

static int listfds(const char *ignore)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int bad = 0, dfd = dirfd(d);

	while ((de = readdir(d))) {
		char path[64], target[256];
		int fd = atoi(de->d_name);
		ssize_t n;

		char key[300];

		snprintf(key, sizeof(key), ",%s,", de->d_name);
		if (de->d_name[0] == '.' || fd <= 2 || fd == dfd || (ignore && strstr(ignore, key)))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		printf("inherited fd %d -> %s\n", fd, target);
		bad = 1;
	}
	closedir(d);
	return bad;
}

/* A listener on 127.0.0.1 that never accepts; with fill, its accept queue
 * is filled so that further connects hang in SYN_SENT. */
static int listener(int fill, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 0) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	for (int i = 0; fill && i < 4; i++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		connect(c, (struct sockaddr *)&a, sizeof(a));   /* left pending on purpose */
	}
	usleep(100000);
	return s;
}

static void set_uri(struct tenure_config *cfg, int port)
{
	char uri[64];

	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d/", port);
	for (int i = 0; i < cfg->n_uri; i++)
		free(cfg->uri[i]);
	cfg->uri[0] = strdup(uri);
	cfg->n_uri = 1;
}

int main(int argc, char **argv)
{
	static const char *const uid_attrs[] = { "uid", "uidNumber", "cn", NULL };
	struct tenure_config *cfg;
	struct tenure_ldap *h = NULL;
	char err[TENURE_ERRLEN];
	const char *cmd;
	int rc;

	static char inherited[4096];

	if (argc >= 3 && strcmp(argv[1], "-") == 0 && strcmp(argv[2], "listfds") == 0)
		return listfds(argc > 3 ? argv[3] : NULL);
	snapshot_fds(inherited, sizeof(inherited));
	if (argc < 3) {
		fprintf(stderr, "usage: ldapclient CONF COMMAND ...\n");
		return 2;
	}
	cmd = argv[2];
	cfg = tenure_config_new();
	if (tenure_config_load_file(cfg, TENURE_SCOPE_HOST, argv[1], err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}

	if (strcmp(cmd, "bind") == 0 && argc == 5) {
		struct tenure_ppolicy pp;
		rc = tenure_ldap_open_user(cfg, argv[3], argv[4], &pp, &h);
		printf("bind: %s\n", rc ? strerror(-rc) : "ok");
		printf("ppolicy: present=%d error=%d expire=%d grace=%d\n", pp.present, pp.error, pp.expire, pp.grace);
		tenure_ldap_close(h);
		tenure_config_free(cfg);
		return rc ? 1 : 0;
	}

	tenure_ldap_open(cfg, (cfg->binddn ? TENURE_LDAP_SERVICE : TENURE_LDAP_ANON), &h);

	if (strcmp(cmd, "search") == 0 && argc >= 4) {
		const char *attrs[32] = { NULL };
		for (int i = 4; i < argc && i - 4 < 31; i++)
			attrs[i - 4] = argv[i];
		rc = search_uid(h, cfg, argv[3], argc > 4 ? attrs : uid_attrs, 1);
		if (rc == 0)
			printf("uri: %s\n", tenure_ldap_uri(h));
		else
			printf("error: %s (%s)\n", strerror(-rc), tenure_ldap_error(h));
		rc = rc == 0 ? 0 : (rc == -ENOENT ? 3 : 1);
	} else if (strcmp(cmd, "down") == 0 && argc == 4) {
		int n = atoi(argv[3]), bad = 0;
		double t0 = now(), t1, t2;

		rc = search_uid(h, cfg, "(uid=alice)", uid_attrs, 0);
		t1 = now();
		bad |= rc != -EHOSTUNREACH;
		for (int i = 0; i < n; i++)
			bad |= search_uid(h, cfg, "(uid=alice)", uid_attrs, 0) != -EHOSTUNREACH;
		t2 = now();
		printf("first_ms %.1f rest_ms %.1f calls %d all_unavailable %s\n",
		       (t1 - t0) * 1e3, (t2 - t1) * 1e3, n, bad ? "no" : "yes");
		rc = bad;
	} else if (strcmp(cmd, "hang") == 0 || strcmp(cmd, "blackhole") == 0) {
		int port, s = listener(strcmp(cmd, "hang") == 0, &port);
		double t0;

		if (s < 0) {
			perror("listener");
			return 1;
		}
		set_uri(cfg, port);
		tenure_ldap_backoff_reset();
		t0 = now();
		rc = search_uid(h, cfg, "(uid=alice)", uid_attrs, 0);
		printf("rc %s elapsed_ms %.1f\n", strerror(-rc), (now() - t0) * 1e3);
		rc = rc == -ETIMEDOUT || rc == -EHOSTUNREACH ? 0 : 1;
		close(s);
	} else if (strcmp(cmd, "fds") == 0) {
		pid_t pid;
		int status;

		rc = search_uid(h, cfg, "(uid=alice)", uid_attrs, 0);
		if (rc) {
			printf("search failed: %s\n", strerror(-rc));
			return 1;
		}
		pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], "-", "listfds", inherited, (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &status, 0);
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		printf("exec child: %s\n", rc ? "inherited descriptors" : "no descriptor inherited");
	} else if (strcmp(cmd, "sigpipe") == 0 && argc == 4) {
		pid_t server = (pid_t)atol(argv[3]);
		LDAPMod mod = { .mod_op = LDAP_MOD_REPLACE, .mod_type = "description",
				.mod_values = (char *[]){ "x", NULL } };
		LDAPMod *mods[] = { &mod, NULL };

		signal(SIGPIPE, SIG_DFL);
		rc = search_uid(h, cfg, "(uid=alice)", uid_attrs, 0);
		if (rc) {
			printf("first search failed: %s\n", strerror(-rc));
			return 1;
		}
		kill(server, SIGKILL);
		for (int i = 0; i < 50 && kill(server, 0) == 0; i++)
			usleep(100000);
		usleep(200000);
		for (int i = 0; i < 3; i++) {
			rc = search_uid(h, cfg, "(uid=alice)", uid_attrs, 0);
			printf("search after kill: %s\n", strerror(-rc));
			tenure_ldap_backoff_reset();
		}
		rc = tenure_ldap_modify(h, "uid=alice,ou=people,dc=example,dc=org", mods);
		printf("modify after kill: %s\n", strerror(-rc));
		printf("survived\n");
		rc = 0;
	} else if (strcmp(cmd, "schema") == 0 && argc == 4) {
		rc = tenure_ldap_has_objectclass(h, argv[3]);
		printf("%s: %s\n", argv[3], rc == 1 ? "present" : rc == 0 ? "absent" : strerror(-rc));
		rc = rc == 1 ? 0 : 1;
	} else {
		fprintf(stderr, "ldapclient: unknown command\n");
		rc = 2;
	}
	tenure_ldap_close(h);
	tenure_config_free(cfg);
	return rc;
}
