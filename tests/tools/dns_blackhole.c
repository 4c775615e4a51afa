/* dns_blackhole — a name server that never answers.
 *
 * Binds UDP and TCP on ADDR port 53 (or PORT), accepts TCP connections and
 * reads every datagram, answering nothing, until killed.  A resolver that
 * asks it waits for its full timeout, as with a DNS server that is down
 * behind a firewall that drops packets.  Prints "ready" once bound.
 *
 *   dns_blackhole ADDR [PORT]
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, u, t;

	if (argc < 2 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: dns_blackhole ADDR [PORT]\n");
		return 2;
	}
	sa.sin_port = htons(argc > 2 ? (unsigned short)atoi(argv[2]) : 53);
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u < 0 || t < 0 || setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(u, (struct sockaddr *)&sa, sizeof(sa)) || bind(t, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(t, 64)) {
		perror("dns_blackhole");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = { { .fd = u, .events = POLLIN }, { .fd = t, .events = POLLIN } };
		char buf[4096];

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents & POLLIN && recv(u, buf, sizeof(buf), 0) < 0)
			continue;
		if (p[1].revents & POLLIN) {
			int c = accept4(t, NULL, NULL, SOCK_CLOEXEC);
			(void)c;   /* held open, never answered */
		}
	}
}
