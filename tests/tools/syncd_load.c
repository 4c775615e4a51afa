/* syncd_load — load generator for tenure-syncd's POST /v1/events.
 *
 *   syncd_load -p PORT -s SECRET_FILE [-n TOTAL] [-c SENDERS] [-r RATE]
 *              [-i ID_PREFIX] [-u USER_PREFIX] [-f FIRST]
 *
 * SENDERS threads (default 50), each on its own keep-alive HTTP/1.1
 * connection to 127.0.0.1:PORT, send TOTAL signed leaver events between
 * them (X-Tenure-Signature),  for users USER_PREFIX + i as 5 digits (default u00001...) with
 * i = FIRST.. (default 1).  RATE > 0 paces the whole run to RATE events/s.
 * A 503 (backlog full) is retried after 50 ms; the acknowledgement latency
 * of an event is from its first send to its 2xx.
 *
 * Prints one line:
 *   sent=N acked=N errors=N seconds=S rate=R/s ack_p50_ms=X ack_p99_ms=Y ack_max_ms=Z retries_503=K
 * Exit 0 when every event was acknowledged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bench_samples.h"

static int port, total = 10000, senders = 50, first = 1;
static double rate;
static const char *prefix = "bench", *user_prefix = "u";
static char secret[512];
static atomic_int next_idx, acked, errors, retries;
static double *lat_ms;
static double t_start;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one response; returns the status code, -1 on error; *close_after set. */
static int read_response(int fd, int *close_after)
{
	char buf[8192];
	size_t have = 0;
	char *hdr_end = NULL;
	long clen = 0;
	int status;

	while (!hdr_end) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		hdr_end = strstr(buf, "\r\n\r\n");
		if (!hdr_end && have >= sizeof(buf) - 1)
			return -1;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	for (char *p = buf; p < hdr_end; p = strstr(p, "\r\n") + 2) {
		if (!strncasecmp(p, "Content-Length:", 15))
			clen = strtol(p + 15, NULL, 10);
		if (!strncasecmp(p, "Connection: close", 17))
			*close_after = 1;
		if (!strstr(p, "\r\n"))
			break;
	}
	{
		size_t body_have = have - (size_t)(hdr_end + 4 - buf);
		while ((long)body_have < clen) {
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r <= 0)
				return -1;
			body_have += (size_t)r;
		}
	}
	return status;
}

static void sign(const char *ts, const char *body, char hex[65])
{
	unsigned char mac[32];
	unsigned int len = 0;
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%s.%s", ts, body);

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, (size_t)n, mac, &len);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
}

static void *sender(void *arg)
{
	int fd = -1;

	(void)arg;
	for (;;) {
		int i = atomic_fetch_add(&next_idx, 1), status = -1, attempts = 0;
		char user[64], body[512], req[2048], ts[24], hex[65];
		double t0;

		if (i >= total)
			break;
		if (rate > 0) {
			double due = t_start + i / rate, w = due - now();
			if (w > 0)
				usleep((useconds_t)(w * 1e6));
		}
		snprintf(user, sizeof(user), "%s%05d", user_prefix, first + i);
		snprintf(body, sizeof(body),
			 "{\"id\":\"%s-%d\",\"type\":\"leaver\",\"user\":\"%s\",\"reason\":\"bench\"}",
			 prefix, i, user);
		t0 = now();
		while (attempts++ < 200) {
			int close_after = 0, n;

			snprintf(ts, sizeof(ts), "%ld", (long)time(NULL));
			sign(ts, body, hex);
			n = snprintf(req, sizeof(req),
				     "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				     "Content-Type: application/json\r\n"
				     "X-Tenure-Signature: t=%s,v1=%s\r\nContent-Length: %zu\r\n\r\n%s",
				     ts, hex, strlen(body), body);
			if (fd < 0)
				fd = dial();
			if (fd < 0 || write_all(fd, req, (size_t)n) < 0 ||
			    (status = read_response(fd, &close_after)) < 0) {
				if (fd >= 0)
					close(fd);
				fd = -1;
				usleep(10000);
				continue;
			}
			if (close_after) {
				close(fd);
				fd = -1;
			}
			if (status == 503) {
				atomic_fetch_add(&retries, 1);
				usleep(50000);
				continue;
			}
			break;
		}
		if (status >= 200 && status < 300) {
			lat_ms[i] = (now() - t0) * 1000;
			atomic_fetch_add(&acked, 1);
		} else {
			lat_ms[i] = -1;
			atomic_fetch_add(&errors, 1);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *secret_file = NULL;
	pthread_t *th;
	double elapsed, *ok;
	int opt, n = 0;
	FILE *f;

	while ((opt = getopt(argc, argv, "p:s:n:c:r:i:u:f:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 's': secret_file = optarg; break;
		case 'n': total = atoi(optarg); break;
		case 'c': senders = atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'i': prefix = optarg; break;
		case 'u': user_prefix = optarg; break;
		case 'f': first = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: syncd_load -p PORT -s SECRET_FILE [-n N] [-c C] [-r RATE]"
				" [-i PREFIX] [-u USER_PREFIX] [-f FIRST]\n");
			return 64;
		}
	}
	if (!port || !secret_file || total < 1 || senders < 1 || !(f = fopen(secret_file, "r")) ||
	    !fgets(secret, sizeof(secret), f)) {
		fprintf(stderr, "syncd_load: -p PORT and a readable -s SECRET_FILE are required\n");
		return 64;
	}
	fclose(f);
	secret[strcspn(secret, "\r\n")] = '\0';
	lat_ms = calloc((size_t)total, sizeof(*lat_ms));
	ok = calloc((size_t)total, sizeof(*ok));
	th = calloc((size_t)senders, sizeof(*th));
	if (!lat_ms || !ok || !th)
		return 1;
	t_start = now();
	for (int i = 0; i < senders; i++)
		pthread_create(&th[i], NULL, sender, NULL);
	for (int i = 0; i < senders; i++)
		pthread_join(th[i], NULL);
	elapsed = now() - t_start;
	for (int i = 0; i < total; i++)
		if (lat_ms[i] >= 0)
			ok[n++] = lat_ms[i];
	bench_sort(ok, n);
	bench_dump_samples(ok, n, 1);
	printf("sent=%d acked=%d errors=%d seconds=%.2f rate=%.0f/s ack_p50_ms=%.2f ack_p99_ms=%.2f"
	       " ack_max_ms=%.2f retries_503=%d\n", total, atomic_load(&acked), atomic_load(&errors),
	       elapsed, atomic_load(&acked) / elapsed, n ? ok[n / 2] : 0,
	       n ? ok[(int)(n * 0.99) < n ? (int)(n * 0.99) : n - 1] : 0, n ? ok[n - 1] : 0,
	       atomic_load(&retries));
	free(lat_ms);
	free(ok);
	free(th);
	return atomic_load(&acked) == total ? 0 : 1;
}
