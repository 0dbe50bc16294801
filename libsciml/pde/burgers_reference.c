/* Burgers reference solution by the Cole-Hopf transform (formula in sciml/pde.h).
 *
 * With phi = exp(-(1 / 2 nu) int_0^x u0), u = -2 nu phi_x / phi turns u_t + u u_x = nu u_xx into
 * the heat equation phi_t = nu phi_xx, solved by convolution with the heat kernel. For
 * u0 = -sin(pi x), int_0^y u0 = (cos(pi y) - 1) / pi, so phi0(y) is proportional to
 * F(y) = exp(-cos(pi y) / (2 pi nu)); differentiating F under the integral gives
 *   u(x, t) = -int sin(pi (x - e)) F(x - e) G(e) de / int F(x - e) G(e) de,  G = exp(-e^2/(4 nu
 * t)). The zero Dirichlet values at x = +-1 hold by the odd symmetry of the periodic problem. Both
 * integrands are smooth and decay like a Gaussian, so the trapezoid rule converges
 * geometrically; the exponent -cos(pi y)/(2 pi nu) - e^2/(4 nu t) reaches about 50 for
 * nu = 0.01/pi, so it is shifted by its maximum before exponentiation. */
#include "sciml/pde.h"

#include <math.h>
#include <stdlib.h>

sciml_status sciml_burgers_cole_hopf(sciml_ctx *ctx, double nu, int64_t count, const double *x,
                                     const double *t, int64_t quadrature, double *u) {
    if (!(nu > 0) || !isfinite(nu))
        return sciml_error(ctx, SCIML_ERR_RANGE, "burgers_cole_hopf: nu = %g, expected > 0", nu);
    if (quadrature < 16 || quadrature > (INT64_C(1) << 24))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "burgers_cole_hopf: %lld quadrature nodes, expected 16..2^24",
                           (long long)quadrature);
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(x[i]) || !isfinite(t[i]) || t[i] < 0)
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "burgers_cole_hopf: point %lld is (x %g, t %g), expected finite "
                               "x and t >= 0",
                               (long long)i, x[i], t[i]);
    double *exponent = malloc((size_t)quadrature * sizeof *exponent);
    if (!exponent)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "burgers_cole_hopf: out of memory");
    const double a = 1.0 / (2.0 * SCIML_PI * nu);
    for (int64_t i = 0; i < count; i++) {
        if (t[i] == 0) {
            u[i] = -sin(SCIML_PI * x[i]);
            continue;
        }
        double spread = 4.0 * nu * t[i];
        double half_width = sqrt(spread * (2.0 * a + 40.0));
        double step = 2.0 * half_width / (double)(quadrature - 1);
        double peak = -INFINITY;
        for (int64_t j = 0; j < quadrature; j++) {
            double e = -half_width + (double)j * step;
            exponent[j] = -a * cos(SCIML_PI * (x[i] - e)) - e * e / spread;
            if (exponent[j] > peak)
                peak = exponent[j];
        }
        double numerator = 0, denominator = 0;
        for (int64_t j = 0; j < quadrature; j++) {
            double e = -half_width + (double)j * step;
            double w = exp(exponent[j] - peak) * (j == 0 || j == quadrature - 1 ? 0.5 : 1.0);
            numerator += sin(SCIML_PI * (x[i] - e)) * w;
            denominator += w;
        }
        u[i] = -numerator / denominator;
    }
    free(exponent);
    return SCIML_OK;
}
