/* tenure — LDAP client: fail-over, bounded time, no leaks into the host.
 *
 * See include/tenure/ldap.h for the promises.  The notes here say how each
 * is kept.
 */
#include "tenure/ldap.h"
#include "tenure/config.h"
#include "tenure/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <lber.h>
#include <netdb.h>
#include <openldap.h>
#include <poll.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct tenure_ldap {
	const struct tenure_config *cfg;  /* borrowed: must outlive the session */
	unsigned flags;
	LDAP *ld;
	int fd;
	pid_t pid;            /* process that made the connection */
	int cur;              /* index of the URI in use */
	int start;            /* where the next connect starts */
	int user;             /* bound as a user: never reconnects */
	int code;             /* LDAP result code of the last operation */
	char err[256];
};

struct tenure_ldap_res {
	LDAP *ld;             /* a duplicate handle, so results outlive reconnects */
	LDAPMessage *msg;
	pid_t pid;            /* process that made it */
};

struct tenure_ldap_pager {
	struct tenure_ldap *h;
	char *base;
	char *filter;
	char **attrs;
	int scope;
	int pagesize;
	struct berval cookie;
	int done;
};

/* ---- process-wide back-off ----
 *
 * Lock-free (C11 atomics) rather than a mutex, so that a fork() while
 * another thread is in here cannot leave the child with a held lock.  The
 * races between threads are benign: at worst two failures double the
 * window twice. */

static _Atomic long long backoff_until_ns;   /* CLOCK_MONOTONIC, 0 = none */
static _Atomic int backoff_window;           /* seconds */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double now_mono(void)
{
	return (double)now_ns() / 1e9;
}

static int backoff_active(void)
{
	long long until = atomic_load(&backoff_until_ns);

	return until > 0 && now_ns() < until;
}

static void backoff_fail(const struct tenure_config *cfg)
{
	int w;

	if (cfg->reconnect_sleeptime <= 0)
		return;
	w = atomic_load(&backoff_window);
	w = w <= 0 ? cfg->reconnect_sleeptime : w * 2;
	if (cfg->reconnect_retrytime > 0 && w > cfg->reconnect_retrytime)
		w = cfg->reconnect_retrytime;
	atomic_store(&backoff_window, w);
	atomic_store(&backoff_until_ns, now_ns() + (long long)w * 1000000000LL);
}

static void backoff_ok(void)
{
	atomic_store(&backoff_window, 0);
	atomic_store(&backoff_until_ns, 0);
}

void tenure_ldap_backoff_reset(void)
{
	backoff_ok();
}

/* ---- SIGPIPE: block in this thread, discard what our writes raised ---- */

struct pipe_guard {
	sigset_t old;
	int was_pending;
};

static void pipe_block(struct pipe_guard *g)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	sigpending(&pend);
	g->was_pending = sigismember(&pend, SIGPIPE);
}

static void pipe_restore(struct pipe_guard *g)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (!g->was_pending) {
		sigpending(&pend);
		if (sigismember(&pend, SIGPIPE)) {
			struct timespec zero = { 0, 0 };
			while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
				;
		}
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- errors ---- */

static void set_err(struct tenure_ldap *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct tenure_ldap *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
}

const char *tenure_ldap_error(const struct tenure_ldap *h)
{
	return h ? h->err : "no session";
}

int tenure_ldap_result_code(const struct tenure_ldap *h)
{
	return h ? h->code : LDAP_OTHER;
}

const char *tenure_ldap_uri(const struct tenure_ldap *h)
{
	return h && h->ld ? h->cfg->uri[h->cur] : NULL;
}

static int map_ldap_rc(int rc)
{
	switch (rc) {
	case LDAP_SUCCESS:
		return 0;
	case LDAP_NO_SUCH_OBJECT:
		return -ENOENT;
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_UNAVAILABLE:
	case LDAP_BUSY:
		return -EHOSTUNREACH;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		return -ETIMEDOUT;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_STRONG_AUTH_REQUIRED:
		return -EACCES;
	case LDAP_NO_MEMORY:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

/* ---- connection ---- */

/* Drop the connection.  In a child after fork, the descriptor is first
 * pointed at /dev/null so that nothing libldap writes while freeing reaches
 * the parent's server connection. */
static void drop(struct tenure_ldap *h)
{
	struct pipe_guard g;

	if (!h->ld)
		return;
	if (h->pid != getpid()) {
		/* A child after fork: the descriptor is pointed at /dev/null so
		 * that nothing can ever write on the parent's connection through
		 * it, and the handle is forgotten, not unbound: a thread of the
		 * parent may have held one of libldap's locks of this connection
		 * at fork time, and that thread does not exist here. */
		if (h->fd >= 0) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (null >= 0) {
				dup3(null, h->fd, O_CLOEXEC);
				close(null);
			}
		}
		h->ld = NULL;
		h->fd = -1;
		return;
	}
	pipe_block(&g);
	ldap_unbind_ext(h->ld, NULL, NULL);
	pipe_restore(&g);
	h->ld = NULL;
	h->fd = -1;
}

static int set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* ---- bounded name lookups ----
 *
 * glibc's resolver waits 5 s per try and tries twice by default, per name
 * server, whatever the caller's own limits: with a DNS server that does
 * not answer, every process that resolves a user would wait that long.
 * Around the lookups tenure makes (the server's host name in `uri`, and
 * libldap's start-up, below) this thread's resolver is asked for one try
 * per server, the whole within about `seconds`, and the thread's own
 * settings are put back right after.  _res is per thread: nothing else of
 * the host process changes (an uninitialised _res is initialised first,
 * from resolv.conf, as glibc itself would on first use). */
struct res_bound {
	int retrans, retry, saved;
};

static void res_bound_begin(struct res_bound *b, int seconds)
{
	struct __res_state *rs = &_res;
	int n;

	b->saved = 0;
	if (!(rs->options & RES_INIT) && res_init() != 0)
		return;
	n = rs->nscount > 0 ? rs->nscount : 1;
	b->retrans = rs->retrans;
	b->retry = rs->retry;
	b->saved = 1;
	/* glibc gives server i (0-based) about retrans * 2^i / n seconds. */
	rs->retrans = seconds / n > 1 ? seconds / n : 1;
	rs->retry = 1;
}

static void res_bound_end(const struct res_bound *b)
{
	if (!b->saved)
		return;
	_res.retrans = b->retrans;
	_res.retry = b->retry;
}

/* libldap's one-time start-up (ldap_int_initialize) looks up this host's
 * own name for SASL, which tenure never uses: run it first, bounded to a
 * second, before the first handle of the process is made. */
static void libldap_start(void)
{
	struct res_bound b;
	int level;

	res_bound_begin(&b, 1);
	(void)ldap_get_option(NULL, LDAP_OPT_DEBUG_LEVEL, &level);
	res_bound_end(&b);
}

static pthread_once_t libldap_once = PTHREAD_ONCE_INIT;

/* Connect to host:port, every socket close-on-exec from creation, bounded
 * by deadline (monotonic seconds). */
static int tcp_connect(struct tenure_ldap *h, const char *host, int port, double deadline)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL, *a;
	char portbuf[16];
	int fd = -1, rc;

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	{
		struct res_bound b;
		int left = (int)(deadline - now_mono());

		res_bound_begin(&b, left > 1 ? left : 1);
		rc = getaddrinfo(host, portbuf, &hints, &ai);
		res_bound_end(&b);
	}
	if (rc) {
		set_err(h, "%s: %s", host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (a = ai; a; a = a->ai_next) {
		struct pollfd pfd;
		int soerr = 0, left;
		socklen_t sl = sizeof(soerr);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			set_err(h, "connect %s:%d: %s", host, port, strerror(errno));
			goto next;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		left = (int)((deadline - now_mono()) * 1000);
		if (left <= 0) {
			set_err(h, "connect %s:%d: timed out", host, port);
			goto next;
		}
		while ((rc = poll(&pfd, 1, left)) < 0 && errno == EINTR)
			left = (int)((deadline - now_mono()) * 1000) > 0 ? (int)((deadline - now_mono()) * 1000) : 0;
		if (rc == 0) {
			set_err(h, "connect %s:%d: timed out", host, port);
			goto next;
		}
		if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
			set_err(h, "connect %s:%d: %s", host, port, strerror(soerr ? soerr : errno));
			goto next;
		}
		/* libldap expects a blocking socket; the timeouts bound every read
		 * and write it does, the TLS handshake included. */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
			goto next;
		break;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd >= 0 ? fd : -EHOSTUNREACH;
}

/* Options on the handle, so that no ldaprc or LDAP* variable decides them. */
static int apply_options(struct tenure_ldap *h, LDAP *ld, int tls)
{
	const struct tenure_config *c = h->cfg;
	struct timeval op = { .tv_sec = c->timelimit }, net = { .tv_sec = c->bind_timelimit };
	int v3 = LDAP_VERSION3, deref = LDAP_DEREF_NEVER, zero = 0, tl = c->timelimit;
	int reqcert, newctx = 0, proto = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	const char *ca = c->tls_cacertfile;
	static const int reqmap[] = {
		LDAP_OPT_X_TLS_NEVER, LDAP_OPT_X_TLS_ALLOW, LDAP_OPT_X_TLS_TRY,
		LDAP_OPT_X_TLS_DEMAND, LDAP_OPT_X_TLS_HARD,
	};

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
	    ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) ||
	    ldap_set_option(ld, LDAP_OPT_DEREF, &deref) ||
	    ldap_set_option(ld, LDAP_OPT_SIZELIMIT, &zero) ||
	    ldap_set_option(ld, LDAP_OPT_TIMELIMIT, &tl) ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op) ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net))
		return -EPROTO;

	h->err[0] = '\0';
	reqcert = reqmap[c->tls_reqcert];
	if (!ca && !c->tls_cacertdir && access(SYSTEM_CA_BUNDLE, R_OK) == 0)
		ca = SYSTEM_CA_BUNDLE;
	/* Clear whatever a global ldaprc set, then set ours. */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, c->tls_cacertdir) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, NULL) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, NULL) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CIPHER_SUITE, NULL) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &proto))
		return -EPROTO;
	/* A TLS context of this handle's own, made from the options above. */
	if ((tls || c->ssl != TENURE_SSL_OFF) && ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx)) {
		set_err(h, "TLS: cannot set up a TLS context (CA certificates %s)",
			ca ? ca : (c->tls_cacertdir ? c->tls_cacertdir : "none"));
		return -EPROTO;
	}
	return 0;
}

/* Simple bind with a deadline; optional password policy control. */
static int simple_bind(struct tenure_ldap *h, const char *dn, const char *pw,
		       struct tenure_ppolicy *pp)
{
	struct berval cred = { .bv_val = (char *)pw, .bv_len = pw ? strlen(pw) : 0 };
	struct timeval tv = { .tv_sec = h->cfg->bind_timelimit };
	LDAPControl *ppc = NULL, *sctrls[2] = { NULL, NULL }, **rctrls = NULL;
	LDAPMessage *res = NULL;
	int msgid, rc, err = LDAP_OTHER;
	char *msg = NULL;

	if (pp) {
		pp->present = 0;
		pp->error = -1;
		pp->expire = -1;
		pp->grace = -1;
		if (ldap_create_passwordpolicy_control(h->ld, &ppc) == LDAP_SUCCESS)
			sctrls[0] = ppc;
	}
	rc = ldap_sasl_bind(h->ld, dn, LDAP_SASL_SIMPLE, &cred, sctrls, NULL, &msgid);
	if (ppc)
		ldap_control_free(ppc);
	if (rc != LDAP_SUCCESS) {
		set_err(h, "bind: %s", ldap_err2string(rc));
		return map_ldap_rc(rc);
	}
	rc = ldap_result(h->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc == 0) {
		ldap_abandon_ext(h->ld, msgid, NULL, NULL);
		set_err(h, "bind: no answer within %d s", h->cfg->bind_timelimit);
		return -ETIMEDOUT;
	}
	if (rc < 0) {
		ldap_get_option(h->ld, LDAP_OPT_RESULT_CODE, &err);
		set_err(h, "bind: %s", ldap_err2string(err));
		return map_ldap_rc(err);
	}
	rc = ldap_parse_result(h->ld, res, &err, NULL, &msg, NULL, &rctrls, 1);
	if (rc != LDAP_SUCCESS) {
		set_err(h, "bind: %s", ldap_err2string(rc));
		return map_ldap_rc(rc);
	}
	if (pp && rctrls) {
		LDAPControl *c = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, rctrls, NULL);
		ber_int_t expire = -1, grace = -1;
		LDAPPasswordPolicyError pperr = PP_noError;

		if (c && ldap_parse_passwordpolicy_control(h->ld, c, &expire, &grace, &pperr) == LDAP_SUCCESS) {
			pp->present = 1;
			pp->expire = expire;
			pp->grace = grace;
			pp->error = pperr == PP_noError ? -1 : (int)pperr;
		}
	}
	ldap_controls_free(rctrls);
	if (err != LDAP_SUCCESS) {
		set_err(h, "bind: %s%s%s", ldap_err2string(err), msg && *msg ? ": " : "", msg ? msg : "");
		ldap_memfree(msg);
		if (pp && pp->error == PP_accountLocked)
			return -EPERM;
		return map_ldap_rc(err);
	}
	ldap_memfree(msg);
	return 0;
}

static int connect_one(struct tenure_ldap *h, int idx, const char *dn, const char *pw,
		       struct tenure_ppolicy *pp)
{
	const struct tenure_config *c = h->cfg;
	const char *uri = c->uri[idx];
	LDAPURLDesc *lud = NULL;
	LDAP *ld = NULL;
	int fd, rc, port, tls;
	double deadline = now_mono() + c->bind_timelimit;

	pthread_once(&libldap_once, libldap_start);
	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS) {
		set_err(h, "%s: not a valid LDAP URI", uri);
		return -EINVAL;
	}
	tls = strcasecmp(lud->lud_scheme, "ldaps") == 0 || c->ssl == TENURE_SSL_ON;
	port = lud->lud_port ? lud->lud_port : (tls ? 636 : 389);
	fd = tcp_connect(h, lud->lud_host && *lud->lud_host ? lud->lud_host : "localhost", port, deadline);
	ldap_free_urldesc(lud);
	if (fd < 0)
		return fd;
	set_timeouts(fd, c->timelimit > c->bind_timelimit ? c->timelimit : c->bind_timelimit);
	rc = ldap_init_fd(fd, LDAP_PROTO_TCP, uri, &ld);
	if (rc != LDAP_SUCCESS) {
		close(fd);
		set_err(h, "%s: %s", uri, ldap_err2string(rc));
		return -EPROTO;
	}
	h->ld = ld;
	h->fd = fd;
	h->pid = getpid();
	h->cur = idx;
	rc = apply_options(h, ld, tls);
	if (rc) {
		char why[sizeof(h->err)];
		memcpy(why, h->err, sizeof(why));
		set_err(h, "%s: %s", uri, why[0] ? why : "cannot set options");
		rc = -EHOSTUNREACH;
		goto fail;
	}
	if (tls) {
		rc = ldap_install_tls(ld);
		if (rc != LDAP_SUCCESS) {
			set_err(h, "%s: TLS: %s", uri, ldap_err2string(rc));
			rc = -EHOSTUNREACH;
			goto fail;
		}
	} else if (c->ssl == TENURE_SSL_START_TLS) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			set_err(h, "%s: StartTLS: %s", uri, ldap_err2string(rc));
			rc = -EHOSTUNREACH;
			goto fail;
		}
	}
	if (dn) {
		rc = simple_bind(h, dn, pw, pp);
		if (rc)
			goto fail;
	}
	return 0;
fail:
	drop(h);
	return rc;
}

/* Connect to the first server that answers, starting at h->start. */
static int connect_any(struct tenure_ldap *h, const char *dn, const char *pw,
		       struct tenure_ppolicy *pp)
{
	const struct tenure_config *c = h->cfg;
	int rc = -EHOSTUNREACH;

	if (c->n_uri == 0) {
		set_err(h, "no uri configured");
		return -EHOSTUNREACH;
	}
	if (backoff_active()) {
		set_err(h, "LDAP unavailable; not retrying until the back-off window ends");
		return -EHOSTUNREACH;
	}
	for (int i = 0; i < c->n_uri; i++) {
		int idx = (h->start + i) % c->n_uri;

		rc = connect_one(h, idx, dn, pw, pp);
		if (rc == 0) {
			backoff_ok();
			return 0;
		}
		/* A server that answered and refused the bind is not down:
		 * another replica would refuse the same way. */
		if (rc == -EACCES || rc == -EPERM || rc == -EINVAL)
			return rc;
	}
	backoff_fail(c);
	return -EHOSTUNREACH;
}

int tenure_ldap_connect(struct tenure_ldap *h)
{
	char *pw = NULL, errbuf[TENURE_ERRLEN];
	size_t pwlen = 0;
	int rc;

	if (h->ld && h->pid != getpid())
		drop(h);
	if (h->ld)
		return 0;
	if (h->user) {
		set_err(h, "user session lost");
		return -EHOSTUNREACH;
	}
	if ((h->flags & TENURE_LDAP_SERVICE) && h->cfg->binddn) {
		rc = tenure_read_secret_file(h->cfg->bindpw_file, &pw, &pwlen, errbuf, sizeof(errbuf));
		if (rc) {
			set_err(h, "%s", errbuf);
			return -EACCES;
		}
		rc = connect_any(h, h->cfg->binddn, pw, NULL);
		secret_freezero(pw, pwlen + 1);
		return rc;
	}
	return connect_any(h, NULL, NULL, NULL);
}

int tenure_ldap_open(const struct tenure_config *cfg, unsigned flags, struct tenure_ldap **out)
{
	struct tenure_ldap *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->cfg = cfg;
	h->flags = flags;
	h->fd = -1;
	*out = h;
	return 0;
}

int tenure_ldap_open_user(const struct tenure_config *cfg, const char *dn,
			  const char *password, struct tenure_ppolicy *pp,
			  struct tenure_ldap **out)
{
	struct tenure_ldap *h;
	struct pipe_guard g;
	int rc;

	if (pp) {
		pp->present = 0;
		pp->error = -1;
		pp->expire = -1;
		pp->grace = -1;
	}
	/* An empty password would be an unauthenticated bind (RFC 4513 5.1.2)
	 * that servers answer with success. */
	if (!dn || !*dn || !password || !*password)
		return -EINVAL;
	rc = tenure_ldap_open(cfg, TENURE_LDAP_ANON, &h);
	if (rc)
		return rc;
	h->user = 1;
	pipe_block(&g);
	rc = connect_any(h, dn, password, pp);
	pipe_restore(&g);
	if (rc) {
		tenure_ldap_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void tenure_ldap_close(struct tenure_ldap *h)
{
	if (!h)
		return;
	drop(h);
	free(h);
}

/* ---- operations ---- */

/* Wait for a result; on no answer, abandon and drop the connection so the
 * next call starts clean, and start the back-off. */
static int wait_result(struct tenure_ldap *h, int msgid, LDAPMessage **res)
{
	struct timeval tv = { .tv_sec = h->cfg->timelimit };
	int rc, err = LDAP_OTHER;

	rc = ldap_result(h->ld, msgid, LDAP_MSG_ALL, &tv, res);
	if (rc == 0) {
		set_err(h, "%s: no answer within %d s", h->cfg->uri[h->cur], h->cfg->timelimit);
		drop(h);
		h->start = (h->cur + 1) % (h->cfg->n_uri ? h->cfg->n_uri : 1);
		backoff_fail(h->cfg);
		return -ETIMEDOUT;
	}
	if (rc < 0) {
		ldap_get_option(h->ld, LDAP_OPT_RESULT_CODE, &err);
		set_err(h, "%s: %s", h->cfg->uri[h->cur], ldap_err2string(err));
		drop(h);
		return map_ldap_rc(err) == -EPROTO ? -EHOSTUNREACH : map_ldap_rc(err);
	}
	return 0;
}

static int result_code(struct tenure_ldap *h, LDAPMessage *res, LDAPControl ***rctrls)
{
	int err = LDAP_OTHER, rc;
	char *msg = NULL;

	rc = ldap_parse_result(h->ld, res, &err, NULL, &msg, NULL, rctrls, 0);
	h->code = rc != LDAP_SUCCESS ? rc : err;
	if (rc != LDAP_SUCCESS) {
		set_err(h, "%s", ldap_err2string(rc));
		return map_ldap_rc(rc);
	}
	if (err != LDAP_SUCCESS && err != LDAP_SIZELIMIT_EXCEEDED)
		set_err(h, "%s%s%s", ldap_err2string(err), msg && *msg ? ": " : "", msg ? msg : "");
	ldap_memfree(msg);
	if (err == LDAP_SIZELIMIT_EXCEEDED)
		return 0;
	return map_ldap_rc(err);
}

static int search_once(struct tenure_ldap *h, const char *base, int scope, const char *filter,
		       const char *const *attrs, int sizelimit, LDAPControl **sctrls,
		       LDAPControl ***rctrls, LDAPMessage **out)
{
	struct timeval tv = { .tv_sec = h->cfg->timelimit };
	LDAPMessage *res = NULL;
	int rc, msgid;

	rc = tenure_ldap_connect(h);
	if (rc)
		return rc;
	rc = ldap_search_ext(h->ld, base, scope, filter, (char **)attrs, 0, sctrls, NULL,
			     &tv, sizelimit, &msgid);
	if (rc != LDAP_SUCCESS) {
		set_err(h, "search: %s", ldap_err2string(rc));
		if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) {
			drop(h);
			return -EHOSTUNREACH;
		}
		return map_ldap_rc(rc);
	}
	rc = wait_result(h, msgid, &res);
	if (rc)
		return rc;
	rc = result_code(h, res, rctrls);
	if (rc) {
		ldap_msgfree(res);
		return rc;
	}
	*out = res;
	return 0;
}

static int make_res(struct tenure_ldap *h, LDAPMessage *msg, struct tenure_ldap_res **out)
{
	struct tenure_ldap_res *r = calloc(1, sizeof(*r));

	if (!r) {
		ldap_msgfree(msg);
		return -ENOMEM;
	}
	r->ld = ldap_dup(h->ld);
	if (!r->ld) {
		free(r);
		ldap_msgfree(msg);
		return -ENOMEM;
	}
	r->msg = msg;
	r->pid = getpid();
	*out = r;
	return 0;
}

int tenure_ldap_search(struct tenure_ldap *h, const char *base, int scope,
		       const char *filter, const char *const *attrs, int sizelimit,
		       struct tenure_ldap_res **out)
{
	struct pipe_guard g;
	LDAPMessage *msg = NULL;
	int rc, had_conn;

	pipe_block(&g);
	had_conn = h->ld != NULL && h->pid == getpid();
	rc = search_once(h, base, scope, filter, attrs, sizelimit, NULL, NULL, &msg);
	/* A connection that was idle may have been closed by the server:
	 * one retry on a fresh one. */
	if (rc == -EHOSTUNREACH && had_conn && !h->user)
		rc = search_once(h, base, scope, filter, attrs, sizelimit, NULL, NULL, &msg);
	if (rc == 0)
		rc = make_res(h, msg, out);
	pipe_restore(&g);
	return rc;
}

/* ---- paged search ---- */

int tenure_ldap_pager_start(struct tenure_ldap *h, const char *base, int scope,
			    const char *filter, const char *const *attrs, int pagesize,
			    struct tenure_ldap_pager **out)
{
	struct tenure_ldap_pager *p = calloc(1, sizeof(*p));
	size_t n = 0;

	if (!p)
		return -ENOMEM;
	p->h = h;
	p->scope = scope;
	p->pagesize = pagesize;
	p->base = strdup(base);
	p->filter = strdup(filter);
	while (attrs && attrs[n])
		n++;
	p->attrs = calloc(n + 1, sizeof(char *));
	if (!p->base || !p->filter || !p->attrs)
		goto err;
	for (size_t i = 0; i < n; i++)
		if (!(p->attrs[i] = strdup(attrs[i])))
			goto err;
	*out = p;
	return 0;
err:
	tenure_ldap_pager_free(p);
	return -ENOMEM;
}

int tenure_ldap_pager_next(struct tenure_ldap_pager *p, struct tenure_ldap_res **page)
{
	struct tenure_ldap *h = p->h;
	LDAPControl *pc = NULL, *sctrls[2] = { NULL, NULL }, **rctrls = NULL;
	LDAPMessage *msg = NULL;
	struct pipe_guard g;
	int rc;

	*page = NULL;
	if (p->done)
		return 1;
	pipe_block(&g);
	if (p->pagesize > 0) {
		rc = tenure_ldap_connect(h);
		if (rc)
			goto out;
		if (ldap_create_page_control(h->ld, p->pagesize, p->cookie.bv_val ? &p->cookie : NULL,
					     0, &pc) != LDAP_SUCCESS) {
			rc = -ENOMEM;
			goto out;
		}
		sctrls[0] = pc;
	}
	rc = search_once(h, p->base, p->scope, p->filter, (const char *const *)p->attrs, 0,
			 p->pagesize > 0 ? sctrls : NULL, &rctrls, &msg);
	if (rc)
		goto out;
	p->done = 1;
	if (rctrls) {
		LDAPControl *c = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
		ber_int_t count = 0;
		struct berval cookie = { 0, NULL };

		if (c && ldap_parse_pageresponse_control(h->ld, c, &count, &cookie) == LDAP_SUCCESS) {
			ber_memfree(p->cookie.bv_val);
			p->cookie = cookie;
			if (cookie.bv_val && cookie.bv_len)
				p->done = 0;
		}
	}
	rc = make_res(h, msg, page);
out:
	if (pc)
		ldap_control_free(pc);
	ldap_controls_free(rctrls);
	pipe_restore(&g);
	return rc;
}

void tenure_ldap_pager_free(struct tenure_ldap_pager *p)
{
	if (!p)
		return;
	free(p->base);
	free(p->filter);
	if (p->attrs)
		for (size_t i = 0; p->attrs[i]; i++)
			free(p->attrs[i]);
	free(p->attrs);
	ber_memfree(p->cookie.bv_val);
	free(p);
}

/* ---- results ---- */

void tenure_ldap_res_free(struct tenure_ldap_res *res)
{
	if (!res)
		return;
	ldap_msgfree(res->msg);
	/* In a child after fork the duplicate handle is forgotten, as in
	 * drop(): unbinding it could wait on a lock of a vanished thread. */
	if (res->ld && res->pid == getpid()) {
		struct pipe_guard g;
		pipe_block(&g);
		ldap_unbind_ext(res->ld, NULL, NULL);
		pipe_restore(&g);
	}
	free(res);
}

int tenure_ldap_res_count(const struct tenure_ldap_res *res)
{
	return res ? ldap_count_entries(res->ld, res->msg) : 0;
}

tenure_ldap_entry *tenure_ldap_first(struct tenure_ldap_res *res)
{
	return res ? ldap_first_entry(res->ld, res->msg) : NULL;
}

tenure_ldap_entry *tenure_ldap_next(struct tenure_ldap_res *res, tenure_ldap_entry *e)
{
	return res && e ? ldap_next_entry(res->ld, e) : NULL;
}

int tenure_ldap_get_dn(struct tenure_ldap_res *res, tenure_ldap_entry *e, char *buf, size_t len)
{
	char *dn = ldap_get_dn(res->ld, e);
	size_t n;
	int rc = 0;

	if (!dn)
		return -EPROTO;
	n = strlen(dn);
	if (n >= len)
		rc = -ERANGE;
	else if (!tenure_utf8_valid(dn, n))
		rc = -EILSEQ;
	else
		memcpy(buf, dn, n + 1);
	ldap_memfree(dn);
	return rc;
}

static int check_value(const struct berval *bv, size_t maxlen)
{
	if (bv->bv_len > maxlen)
		return -ERANGE;
	if (!tenure_utf8_valid(bv->bv_val, bv->bv_len))
		return -EILSEQ;
	return 0;
}

int tenure_ldap_get_str(struct tenure_ldap_res *res, tenure_ldap_entry *e,
			const char *attr, char *buf, size_t len)
{
	struct berval **vals = ldap_get_values_len(res->ld, e, attr);
	int rc;

	if (!vals || !vals[0]) {
		ldap_value_free_len(vals);
		return -ENOENT;
	}
	rc = len ? check_value(vals[0], len - 1) : -ERANGE;
	if (rc == 0) {
		memcpy(buf, vals[0]->bv_val, vals[0]->bv_len);
		buf[vals[0]->bv_len] = '\0';
	}
	ldap_value_free_len(vals);
	return rc;
}

int tenure_ldap_get_long(struct tenure_ldap_res *res, tenure_ldap_entry *e,
			 const char *attr, long min, long max, long *out)
{
	char buf[32];
	int rc = tenure_ldap_get_str(res, e, attr, buf, sizeof(buf));

	if (rc == -ERANGE)
		return -EINVAL;
	if (rc)
		return rc;
	/* Strict: an optional minus and digits only. */
	for (const char *p = buf + (buf[0] == '-'); *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	rc = tenure_parse_long(buf, min, max, out);
	return rc == -ERANGE ? -ERANGE : rc;
}

int tenure_ldap_count_values(struct tenure_ldap_res *res, tenure_ldap_entry *e, const char *attr)
{
	struct berval **vals = ldap_get_values_len(res->ld, e, attr);
	int n = vals ? ldap_count_values_len(vals) : 0;

	ldap_value_free_len(vals);
	return n;
}

void tenure_strv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

int tenure_ldap_get_strs(struct tenure_ldap_res *res, tenure_ldap_entry *e,
			 const char *attr, size_t maxcount, size_t maxlen, char ***out)
{
	struct berval **vals = ldap_get_values_len(res->ld, e, attr);
	size_t n = vals ? (size_t)ldap_count_values_len(vals) : 0;
	char **v;
	int rc = 0;

	if (n > maxcount) {
		ldap_value_free_len(vals);
		return -ERANGE;
	}
	v = calloc(n + 1, sizeof(char *));
	if (!v) {
		ldap_value_free_len(vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		rc = check_value(vals[i], maxlen);
		if (rc)
			break;
		v[i] = malloc(vals[i]->bv_len + 1);
		if (!v[i]) {
			rc = -ENOMEM;
			break;
		}
		memcpy(v[i], vals[i]->bv_val, vals[i]->bv_len);
		v[i][vals[i]->bv_len] = '\0';
	}
	ldap_value_free_len(vals);
	if (rc) {
		tenure_strv_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

/* ---- writes ---- */

static int write_op(struct tenure_ldap *h, int add, const char *dn, LDAPMod **mods)
{
	LDAPMessage *res = NULL;
	struct pipe_guard g;
	int rc, msgid;

	pipe_block(&g);
	rc = tenure_ldap_connect(h);
	if (rc)
		goto out;
	rc = add ? ldap_add_ext(h->ld, dn, mods, NULL, NULL, &msgid)
		 : ldap_modify_ext(h->ld, dn, mods, NULL, NULL, &msgid);
	h->code = rc;
	if (rc != LDAP_SUCCESS) {
		set_err(h, "%s %s: %s", add ? "add" : "modify", dn, ldap_err2string(rc));
		if (rc == LDAP_SERVER_DOWN)
			drop(h);
		rc = map_ldap_rc(rc);
		goto out;
	}
	rc = wait_result(h, msgid, &res);
	if (rc)
		goto out;
	rc = result_code(h, res, NULL);
	ldap_msgfree(res);
out:
	pipe_restore(&g);
	return rc;
}

int tenure_ldap_modify(struct tenure_ldap *h, const char *dn, LDAPMod **mods)
{
	return write_op(h, 0, dn, mods);
}

int tenure_ldap_add(struct tenure_ldap *h, const char *dn, LDAPMod **mods)
{
	return write_op(h, 1, dn, mods);
}

int tenure_ldap_passwd(struct tenure_ldap *h, const char *dn, const char *oldpw, const char *newpw)
{
	struct berval user = { .bv_val = (char *)dn, .bv_len = strlen(dn) };
	struct berval oldb = { .bv_val = (char *)oldpw, .bv_len = oldpw ? strlen(oldpw) : 0 };
	struct berval newb = { .bv_val = (char *)newpw, .bv_len = newpw ? strlen(newpw) : 0 };
	LDAPMessage *res = NULL;
	struct pipe_guard g;
	int rc, msgid;

	if (!newpw || !*newpw)
		return -EINVAL;
	pipe_block(&g);
	rc = tenure_ldap_connect(h);
	if (rc)
		goto out;
	rc = ldap_passwd(h->ld, &user, oldpw ? &oldb : NULL, &newb, NULL, NULL, &msgid);
	if (rc != LDAP_SUCCESS) {
		set_err(h, "password modify: %s", ldap_err2string(rc));
		rc = map_ldap_rc(rc);
		goto out;
	}
	rc = wait_result(h, msgid, &res);
	if (rc)
		goto out;
	rc = result_code(h, res, NULL);
	ldap_msgfree(res);
out:
	pipe_restore(&g);
	return rc;
}

/* ---- schema ---- */

static int names_class(const char *def, const char *name)
{
	/* def: "( OID NAME 'x' ... )" or "( OID NAME ( 'x' 'y' ) ... )" */
	const char *p = strstr(def, " NAME ");
	size_t n = strlen(name);
	int list;

	if (!p)
		return 0;
	p += 6;
	while (*p == ' ')
		p++;
	list = *p == '(';
	do {
		while (*p == ' ' || *p == '(')
			p++;
		if (*p != '\'')
			return 0;
		if (strncasecmp(p + 1, name, n) == 0 && p[1 + n] == '\'')
			return 1;
		p = strchr(p + 1, '\'');
		if (!p)
			return 0;
		p++;
		while (*p == ' ')
			p++;
	} while (list && *p == '\'');
	return 0;
}

int tenure_ldap_has_objectclass(struct tenure_ldap *h, const char *name)
{
	static const char *const dse_attrs[] = { "subschemaSubentry", NULL };
	static const char *const oc_attrs[] = { "objectClasses", NULL };
	struct tenure_ldap_res *res = NULL;
	char sub[512];
	char **ocs = NULL;
	int rc, found = 0;

	rc = tenure_ldap_search(h, "", LDAP_SCOPE_BASE, "(objectClass=*)", dse_attrs, 0, &res);
	if (rc)
		return rc;
	/* A root DSE or subschema we may not read gives no entry at all. */
	rc = tenure_ldap_first(res) ? tenure_ldap_get_str(res, tenure_ldap_first(res), "subschemaSubentry",
							  sub, sizeof(sub)) : -ENOENT;
	tenure_ldap_res_free(res);
	res = NULL;
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	rc = tenure_ldap_search(h, sub, LDAP_SCOPE_BASE, "(objectClass=subschema)", oc_attrs, 0, &res);
	if (rc)
		return rc;
	if (!tenure_ldap_first(res)) {
		tenure_ldap_res_free(res);
		return 0;
	}
	rc = tenure_ldap_get_strs(res, tenure_ldap_first(res), "objectClasses", 100000, 65536, &ocs);
	tenure_ldap_res_free(res);
	if (rc)
		return rc;
	for (size_t i = 0; ocs[i] && !found; i++)
		found = names_class(ocs[i], name);
	tenure_strv_free(ocs);
	return found;
}

/* ---- RFC 4515 ---- */

int tenure_ldap_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (*p == '*' || *p == '(' || *p == ')' || *p == '\\' || *p < 0x20 || *p == 0x7f) {
			if (o + 3 >= outlen)
				return -ERANGE;
			out[o++] = '\\';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			if (o + 1 >= outlen)
				return -ERANGE;
			out[o++] = (char)*p;
		}
	}
	if (o >= outlen)
		return -ERANGE;
	out[o] = '\0';
	return 0;
}
