/* syncd_notify — stand in for systemd's notification socket in tests.
 *
 *   syncd_notify SOCKET_PATH SECONDS
 *
 * Binds a Unix datagram socket at SOCKET_PATH (give the same path to the
 * daemon as NOTIFY_SOCKET) and prints every message received, one line per
 * assignment (READY=1, STATUS=..., STOPPING=1), flushed at once.  Exits after
 * STOPPING=1 or after SECONDS.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[4096];
	time_t end;
	int fd, stop = 0;

	if (argc != 3 || strlen(argv[1]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: syncd_notify SOCKET_PATH SECONDS\n");
		return 64;
	}
	end = time(NULL) + atoi(argv[2]);
	strcpy(a.sun_path, argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("syncd_notify: bind");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop && time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			printf("%s\n", l);
			if (!strcmp(l, "STOPPING=1"))
				stop = 1;
		}
	}
	close(fd);
	unlink(argv[1]);
	return 0;
}
