/*
 * random.h - numpy's legacy random stream (np.random.seed / RandomState).
 *
 * The same numbers as numpy's RandomState for the same seed, bit for bit:
 * MT19937 seeded with init_genrand, doubles from two 32-bit draws (53 bits),
 * Gaussians by the polar method with one value cached, bounded integers by
 * masked rejection.  One stream belongs to each notebook run.
 */
#ifndef NB_RANDOM_H
#define NB_RANDOM_H

#include <stdint.h>

typedef struct nb_rng {
	uint32_t mt[624];
	int pos;
	int has_gauss;
	double gauss;
} nb_rng;

void nb_rng_seed(nb_rng *r, uint32_t seed);
uint32_t nb_rng_u32(nb_rng *r);
uint64_t nb_rng_u64(nb_rng *r);
/* random_sample(): a double in [0, 1) */
double nb_rng_double(nb_rng *r);
/* legacy_gauss(): a standard normal */
double nb_rng_gauss(nb_rng *r);
/* random_interval(): an integer in [0, max], by masked rejection */
uint64_t nb_rng_interval(nb_rng *r, uint64_t max);
/* The legacy randint draw of an integer in [0, rng] (numpy's masked bounded path). */
uint64_t nb_rng_bounded(nb_rng *r, uint64_t rng);

#endif
