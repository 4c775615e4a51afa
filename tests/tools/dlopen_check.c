/* dlopen_check — dlopen(RTLD_NOW) each shared object named on the command
 * line: every symbol it needs must resolve.  Exit 0 when all load. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);

		if (!h) {
			printf("FAIL %s: %s\n", argv[i], dlerror());
			bad = 1;
			continue;
		}
		printf("loaded %s\n", argv[i]);
		dlclose(h);
	}
	return bad;
}
