/* Random numbers: xoshiro256** (Blackman and Vigna, 2018) seeded by splitmix64; normals by
 * the Box-Muller transform; bounded integers by Lemire's multiply-and-reject method. */
#include "sciml/core.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotate_left(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

void sciml_rng_seed(sciml_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->state[i] = splitmix64(&x);
    rng->has_spare = 0;
    rng->spare_normal = 0.0;
}

uint64_t sciml_rng_u64(sciml_rng *rng) {
    uint64_t *s = rng->state;
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

double sciml_rng_uniform(sciml_rng *rng) {
    return (double)(sciml_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double sciml_rng_normal(sciml_rng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare_normal;
    }
    double u1;
    do {
        u1 = sciml_rng_uniform(rng);
    } while (u1 <= 0.0);
    double u2 = sciml_rng_uniform(rng);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 2.0 * SCIML_PI * u2;
    rng->spare_normal = radius * sin(angle);
    rng->has_spare = 1;
    return radius * cos(angle);
}

uint64_t sciml_rng_below(sciml_rng *rng, uint64_t n) {
    SCIML_ASSERT(n > 0);
    __uint128_t m = (__uint128_t)sciml_rng_u64(rng) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (__uint128_t)sciml_rng_u64(rng) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void sciml_rng_shuffle(sciml_rng *rng, int64_t *index, int64_t count) {
    for (int64_t i = count - 1; i > 0; i--) {
        int64_t j = (int64_t)sciml_rng_below(rng, (uint64_t)i + 1);
        int64_t t = index[i];
        index[i] = index[j];
        index[j] = t;
    }
}
