/* Collocation sampling in a box and on the faces of a PDE domain.
 *
 * Latin hypercube (McKay, Beckman and Conover 1979): along every axis the n points fall one in
 * each of the n equal strata, (perm_axis[i] + U) / n with an independent random permutation per
 * axis. Sobol (Sobol' 1967; direction numbers of Joe and Kuo 2008 for dimensions 2..4:
 * x + 1; x^2 + x + 1 with m = 1, 3; x^3 + x + 1 with m = 1, 3, 1): point i is the XOR of the
 * direction numbers v_k (32-bit, v_k = m_k 2^(32 - k)) over the set bits k of i, followed by a
 * random digital shift (XOR with one random word per axis), which keeps the (t, m, s)-net
 * property. Grid: cell centres of n^dim cells. */
#include "sciml/pde.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const sampling_names[] = {"uniform", "lhs", "sobol", "grid"};

const char *sciml_sampling_name(sciml_sampling sampling) {
    if ((int)sampling < 0 || (int)sampling > SCIML_SAMPLING_GRID)
        return "unknown";
    return sampling_names[sampling];
}

sciml_status sciml_sampling_parse(sciml_ctx *ctx, const char *name, sciml_sampling *out) {
    for (int i = 0; name && i <= SCIML_SAMPLING_GRID; i++)
        if (strcmp(name, sampling_names[i]) == 0) {
            *out = (sciml_sampling)i;
            return SCIML_OK;
        }
    return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                       "unknown sampling '%s', expected uniform, lhs, sobol or grid",
                       name ? name : "(null)");
}

/* Direction numbers v[axis][k - 1], k = 1..32. */
static void sobol_directions(uint32_t v[4][32]) {
    for (int k = 0; k < 32; k++)
        v[0][k] = UINT32_C(1) << (31 - k);
    v[1][0] = UINT32_C(1) << 31;
    for (int k = 1; k < 32; k++)
        v[1][k] = v[1][k - 1] ^ (v[1][k - 1] >> 1);
    v[2][0] = UINT32_C(1) << 31;
    v[2][1] = UINT32_C(3) << 30;
    for (int k = 2; k < 32; k++)
        v[2][k] = v[2][k - 2] ^ (v[2][k - 2] >> 2) ^ v[2][k - 1];
    v[3][0] = UINT32_C(1) << 31;
    v[3][1] = UINT32_C(3) << 30;
    v[3][2] = UINT32_C(1) << 29;
    for (int k = 3; k < 32; k++)
        v[3][k] = v[3][k - 3] ^ (v[3][k - 3] >> 3) ^ v[3][k - 2];
}

static sciml_status sample_unit(sciml_ctx *ctx, sciml_rng *rng, sciml_sampling sampling, int dim,
                                int64_t count, double *out) {
    switch (sampling) {
    case SCIML_SAMPLING_UNIFORM:
        for (int64_t i = 0; i < count * dim; i++)
            out[i] = sciml_rng_uniform(rng);
        return SCIML_OK;
    case SCIML_SAMPLING_LHS: {
        int64_t *perm = malloc((size_t)count * sizeof *perm);
        if (!perm)
            return sciml_error(ctx, SCIML_ERR_NOMEM, "sampling: out of memory");
        for (int a = 0; a < dim; a++) {
            for (int64_t i = 0; i < count; i++)
                perm[i] = i;
            sciml_rng_shuffle(rng, perm, count);
            for (int64_t i = 0; i < count; i++)
                out[i * dim + a] = ((double)perm[i] + sciml_rng_uniform(rng)) / (double)count;
        }
        free(perm);
        return SCIML_OK;
    }
    case SCIML_SAMPLING_SOBOL: {
        if (count > (INT64_C(1) << 32))
            return sciml_error(ctx, SCIML_ERR_RANGE, "sampling: %lld Sobol points, at most 2^32",
                               (long long)count);
        uint32_t v[4][32], shift[4];
        sobol_directions(v);
        for (int a = 0; a < dim; a++)
            shift[a] = (uint32_t)(sciml_rng_u64(rng) >> 32);
        for (int64_t i = 0; i < count; i++)
            for (int a = 0; a < dim; a++) {
                uint32_t word = shift[a];
                for (int k = 0; k < 32; k++)
                    if ((uint64_t)i >> k & 1)
                        word ^= v[a][k];
                out[i * dim + a] = ((double)word + 0.5) / 4294967296.0;
            }
        return SCIML_OK;
    }
    case SCIML_SAMPLING_GRID: {
        int64_t n = (int64_t)floor(pow((double)count, 1.0 / dim) + 1e-9);
        int64_t cells = 1;
        for (int a = 0; a < dim; a++)
            cells *= n;
        for (int64_t i = 0; i < cells; i++) {
            int64_t rest = i;
            for (int a = dim - 1; a >= 0; a--) {
                out[i * dim + a] = ((double)(rest % n) + 0.5) / (double)n;
                rest /= n;
            }
        }
        for (int64_t i = cells * dim; i < count * dim; i++)
            out[i] = sciml_rng_uniform(rng);
        return SCIML_OK;
    }
    }
    return sciml_error(ctx, SCIML_ERR_ARG, "sampling: unknown method %d", (int)sampling);
}

sciml_status sciml_sample_box(sciml_ctx *ctx, sciml_rng *rng, sciml_sampling sampling, int dim,
                              const double *lower, const double *upper, int64_t count,
                              double *out) {
    if (dim < 1 || dim > 4 || count < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "sampling: %lld points in %d dimensions, expected >= 1 in 1..4",
                           (long long)count, dim);
    sciml_status status = sample_unit(ctx, rng, sampling, dim, count, out);
    if (status)
        return status;
    for (int64_t i = 0; i < count; i++)
        for (int a = 0; a < dim; a++)
            out[i * dim + a] = lower[a] + (upper[a] - lower[a]) * out[i * dim + a];
    return SCIML_OK;
}

sciml_status sciml_pde_sample_interior(sciml_ctx *ctx, const sciml_pde *pde, sciml_rng *rng,
                                       sciml_sampling sampling, int64_t count, double *out) {
    return sciml_sample_box(ctx, rng, sampling, pde->input_count, pde->lower, pde->upper, count,
                            out);
}

sciml_status sciml_pde_sample_condition(sciml_ctx *ctx, const sciml_pde *pde, int condition,
                                        sciml_rng *rng, sciml_sampling sampling, int64_t count,
                                        double *out, double *partner) {
    if (condition < 0 || condition >= pde->condition_count)
        return sciml_error(ctx, SCIML_ERR_RANGE, "%s: condition %d, expected 0..%d", pde->name,
                           condition, pde->condition_count - 1);
    const sciml_pde_condition *c = &pde->conditions[condition];
    int d = pde->input_count;
    int64_t done = 0;
    for (int f = 0; f < c->face_count; f++) {
        int64_t n = count / c->face_count + (f < count % c->face_count ? 1 : 0);
        if (n == 0)
            continue;
        int axis = c->face_axis[f];
        double fixed = c->face_side[f] ? pde->upper[axis] : pde->lower[axis];
        double lower[4], upper[4];
        int free_count = 0;
        for (int a = 0; a < d; a++)
            if (a != axis) {
                lower[free_count] = pde->lower[a];
                upper[free_count] = pde->upper[a];
                free_count++;
            }
        double *block = out + done * d;
        if (free_count > 0) {
            double *free_points = malloc((size_t)n * (size_t)free_count * sizeof *free_points);
            if (!free_points)
                return sciml_error(ctx, SCIML_ERR_NOMEM, "sampling: out of memory");
            sciml_status status =
                sciml_sample_box(ctx, rng, sampling, free_count, lower, upper, n, free_points);
            if (status) {
                free(free_points);
                return status;
            }
            for (int64_t i = 0; i < n; i++)
                for (int a = 0, k = 0; a < d; a++)
                    block[i * d + a] = a == axis ? fixed : free_points[i * free_count + k++];
            free(free_points);
        } else {
            for (int64_t i = 0; i < n; i++)
                block[i * d + axis] = fixed;
        }
        if (c->kind == SCIML_CONDITION_PERIODIC && partner) {
            double *mirror = partner + done * d;
            memcpy(mirror, block, (size_t)n * (size_t)d * sizeof *mirror);
            for (int64_t i = 0; i < n; i++)
                mirror[i * d + axis] = c->face_side[f] ? pde->lower[axis] : pde->upper[axis];
        }
        done += n;
    }
    return SCIML_OK;
}
