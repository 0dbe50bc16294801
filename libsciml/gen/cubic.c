/* The cubic regression data set of PI3NN (Liu, Zhang, Lu and Zhang, ICLR 2022, Fig. 1):
 *
 *     y = x^3 + e,   e = 10 z (z > 0) or 2 z (z <= 0),   z ~ N(0, 1),
 *
 * x ~ U[-4, 4] in distribution, or uniform on [-7, -4) U (4, 7] out of distribution (the
 * outer pieces have equal length, so a side is chosen with probability 1/2 and the distance
 * beyond 4 is uniform on (0, 3]).
 */
#include "sciml/gen.h"

sciml_status sciml_cubic_fill(sciml_ctx *ctx, sciml_rng *rng, int64_t samples, int ood,
                              double *inputs, double *outputs) {
    if (samples < 1)
        return sciml_error(ctx, SCIML_ERR_ARG, "cubic: %lld samples: expected at least 1",
                           (long long)samples);
    const double gap = SCIML_CUBIC_OOD_RANGE - SCIML_CUBIC_RANGE;
    for (int64_t i = 0; i < samples; i++) {
        double u = sciml_rng_uniform(rng);
        double x;
        if (ood) {
            /* u in [0, 1): the lower half picks the left piece, the rest the right one */
            double t = u < 0.5 ? 2.0 * u : 2.0 * u - 1.0;        /* [0, 1) */
            double beyond = SCIML_CUBIC_RANGE + gap * (1.0 - t); /* (4, 7] */
            x = u < 0.5 ? -beyond : beyond;
        } else {
            x = SCIML_CUBIC_RANGE * (2.0 * u - 1.0);
        }
        double z = sciml_rng_normal(rng);
        inputs[i] = x;
        outputs[i] = x * x * x + (z > 0 ? 10.0 * z : 2.0 * z);
    }
    return SCIML_OK;
}
