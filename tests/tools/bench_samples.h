/* Latency samples of the benchmark tools: sorting, percentiles and the
 * per-sample file the charts of `make bench` are drawn from. */
#ifndef TENURE_BENCH_SAMPLES_H
#define TENURE_BENCH_SAMPLES_H

#include <stdio.h>
#include <stdlib.h>

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline void bench_sort(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), bench_cmp_double);
}

/* TENURE_BENCH_SAMPLES=FILE: write every sample of t (sorted), multiplied
 * by scale, one per line.  Nothing happens without the variable. */
static inline void bench_dump_samples(const double *t, int n, double scale)
{
	const char *path = getenv("TENURE_BENCH_SAMPLES");
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "w")))
		return;
	for (int i = 0; i < n; i++)
		fprintf(f, "%.3f\n", t[i] * scale);
	fclose(f);
}

#endif
