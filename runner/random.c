/*
 * random.c - MT19937 and numpy's legacy distributions.  See random.h.
 */
#include "random.h"

#include <math.h>

#define MT_N 624
#define MT_M 397

void nb_rng_seed(nb_rng *r, uint32_t seed)
{
	r->mt[0] = seed;
	for (int i = 1; i < MT_N; i++)
		r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
	r->pos = MT_N;
	r->has_gauss = 0;
	r->gauss = 0;
}

static void twist(nb_rng *r)
{
	static const uint32_t mag01[2] = {0, 0x9908b0dfu};
	int k;
	uint32_t y;
	for (k = 0; k < MT_N - MT_M; k++) {
		y = (r->mt[k] & 0x80000000u) | (r->mt[k + 1] & 0x7fffffffu);
		r->mt[k] = r->mt[k + MT_M] ^ (y >> 1) ^ mag01[y & 1];
	}
	for (; k < MT_N - 1; k++) {
		y = (r->mt[k] & 0x80000000u) | (r->mt[k + 1] & 0x7fffffffu);
		r->mt[k] = r->mt[k + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1];
	}
	y = (r->mt[MT_N - 1] & 0x80000000u) | (r->mt[0] & 0x7fffffffu);
	r->mt[MT_N - 1] = r->mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1];
	r->pos = 0;
}

uint32_t nb_rng_u32(nb_rng *r)
{
	if (r->pos >= MT_N)
		twist(r);
	uint32_t y = r->mt[r->pos++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return y;
}

uint64_t nb_rng_u64(nb_rng *r)
{
	uint64_t hi = nb_rng_u32(r);
	return (hi << 32) | nb_rng_u32(r);
}

double nb_rng_double(nb_rng *r)
{
	int32_t a = (int32_t)(nb_rng_u32(r) >> 5), b = (int32_t)(nb_rng_u32(r) >> 6);
	return (a * 67108864.0 + b) / 9007199254740992.0;
}

double nb_rng_gauss(nb_rng *r)
{
	if (r->has_gauss) {
		r->has_gauss = 0;
		return r->gauss;
	}
	double f, x1, x2, r2;
	do {
		x1 = 2.0 * nb_rng_double(r) - 1.0;
		x2 = 2.0 * nb_rng_double(r) - 1.0;
		r2 = x1 * x1 + x2 * x2;
	} while (r2 >= 1.0 || r2 == 0.0);
	f = sqrt(-2.0 * log(r2) / r2);
	r->gauss = f * x1;
	r->has_gauss = 1;
	return f * x2;
}

static uint64_t smear(uint64_t m)
{
	m |= m >> 1;
	m |= m >> 2;
	m |= m >> 4;
	m |= m >> 8;
	m |= m >> 16;
	m |= m >> 32;
	return m;
}

uint64_t nb_rng_interval(nb_rng *r, uint64_t max)
{
	if (max == 0)
		return 0;
	uint64_t mask = smear(max), v;
	if (max <= 0xffffffffu) {
		while ((v = (nb_rng_u32(r) & mask)) > max)
			;
	} else {
		while ((v = (nb_rng_u64(r) & mask)) > max)
			;
	}
	return v;
}

uint64_t nb_rng_bounded(nb_rng *r, uint64_t rng)
{
	if (rng == 0)
		return 0;
	if (rng == 0xffffffffu)
		return nb_rng_u32(r);
	if (rng == UINT64_MAX)
		return nb_rng_u64(r);
	return nb_rng_interval(r, rng);
}
