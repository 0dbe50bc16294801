/* sciml-pinn: evaluate a physics-informed network (from `sciml-train pinn`) on a grid or at
 * points and write the field u (and, with --residual, the PDE residual r) as netCDF; with
 * --ref FILE report the relative L2 error of each output against the reference field of the
 * same name on the same grid or points (mean-free for an output fixed up to a constant).
 *
 *   sciml-pinn -m MODEL [--grid N[,M]] [--domain LIST] [--points FILE] [--residual]
 *              [--ref FILE] [-o OUT]
 *
 * The layouts (grid: x(x), t(t), u(t, x); points: x(point), t(point), u(point)) are those of
 * tools/pinn_io.h and sciml-pinn(1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pinn_io.h"
#include "sciml/pinn_model.h"
#include "tool.h"

typedef struct pinn_eval_options {
    const char *model_path, *points_path, *ref_path, *output_path;
    double grid[PINN_MAX_AXES], domain[2 * PINN_MAX_AXES];
    int grid_count, domain_count;
    int residual;
} pinn_eval_options;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-pinn -m MODEL [OPTIONS]\n"
            "Evaluate a PINN made by 'sciml-train pinn' on a grid or at points and write u (and\n"
            "the PDE residual r) as netCDF; compare with a reference field.\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE    the model (required)\n"
            "  --grid N[,M]        points per input axis [256 in space, 100 in time]\n"
            "  --domain LIST       lower,upper per input axis [the PDE's domain; Burgers t up\n"
            "                      to 0.99]\n"
            "  --points FILE       evaluate at the points of FILE (variables named after the\n"
            "                      inputs over one dimension; '-' for standard input) instead\n"
            "                      of a grid\n"
            "  --residual          also write the PDE residual r\n"
            "  --ref FILE          reference fields on the same grid (or points): report the\n"
            "                      relative L2 error of each output it holds (u; Kovasznay u,\n"
            "                      v and p, p mean-free); without --grid/--domain its grid is\n"
            "                      used\n"
            "  -o, --output FILE   output file, '-' for standard output [-, or none with --ref]\n"
            "  -h, --help          show this help and exit\n"
            "  --version           show the version and exit\n"
            "\n"
            "Exit status: 0 success, 1 failure (nothing is written), 2 usage error.\n");
}

static int parse(int argc, char **argv, pinn_eval_options *o) {
    tool_usage errors = {0};
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "--version")) {
            tool_print_version();
            exit(TOOL_EXIT_OK);
        } else if (tool_option(argc, argv, &i, "--model", &v, &errors) ||
                   tool_option(argc, argv, &i, "-m", &v, &errors)) {
            o->model_path = v;
        } else if (tool_option(argc, argv, &i, "--grid", &v, &errors)) {
            if (!pinn_parse_list(&errors, "--grid", v, PINN_MAX_AXES, 2, 1 << 20, o->grid,
                                 &o->grid_count))
                for (int a = 0; a < o->grid_count; a++)
                    if (o->grid[a] != floor(o->grid[a]))
                        tool_usage_error(&errors, "--grid '%s': expected integers", v);
        } else if (tool_option(argc, argv, &i, "--domain", &v, &errors)) {
            if (!pinn_parse_list(&errors, "--domain", v, 2 * PINN_MAX_AXES, -1e12, 1e12, o->domain,
                                 &o->domain_count) &&
                o->domain_count % 2)
                tool_usage_error(&errors, "--domain '%s': expected lower,upper pairs", v);
        } else if (tool_option(argc, argv, &i, "--points", &v, &errors)) {
            o->points_path = v;
        } else if (!strcmp(arg, "--residual")) {
            o->residual = 1;
        } else if (tool_option(argc, argv, &i, "--ref", &v, &errors)) {
            o->ref_path = v;
        } else if (tool_option(argc, argv, &i, "--output", &v, &errors) ||
                   tool_option(argc, argv, &i, "-o", &v, &errors)) {
            o->output_path = v;
        } else {
            tool_usage_error(&errors, "unknown option '%s'", arg);
        }
    }
    if (!o->model_path)
        tool_usage_error(&errors, "-m MODEL is required");
    if (o->points_path && (o->grid_count || o->domain_count))
        tool_usage_error(&errors, "--points cannot be combined with --grid or --domain");
    if (!o->output_path && !o->ref_path)
        o->output_path = "-";
    int stdin_users = (o->model_path && !strcmp(o->model_path, "-")) +
                      (o->points_path && !strcmp(o->points_path, "-")) +
                      (o->ref_path && !strcmp(o->ref_path, "-"));
    if (stdin_users > 1)
        tool_usage_error(&errors, "only one of the model, --points and --ref can be standard "
                                  "input");
    const tool_named_file inputs[] = {
        {"-m", o->model_path}, {"--points", o->points_path}, {"--ref", o->ref_path}};
    tool_usage_distinct(&errors, "-o", o->output_path, inputs, 3);
    return tool_usage_finish(&errors);
}

static int run(sciml_ctx *ctx, const void *options, const char *command) {
    const pinn_eval_options *o = options;
    sciml_pinn *model = NULL;
    pinn_grid grid, ref_grid;
    memset(&grid, 0, sizeof grid);
    memset(&ref_grid, 0, sizeof ref_grid);
    double *points = NULL, *u = NULL, *r = NULL, *ref_points = NULL;
    double *ref[PINN_MAX_FIELDS] = {NULL}; /* per output, NULL when the reference lacks it */
    int have_ref = 0;
    int64_t count = 0;
    int exit_code = TOOL_EXIT_FAILURE;
    if (sciml_pinn_read(ctx, o->model_path, &model))
        return tool_fail(ctx);
    const sciml_pde *pde = sciml_pinn_get_pde(model);
    int d = pde->input_count, outputs = pde->output_count, residuals = pde->residual_count;
    if ((o->grid_count && o->grid_count != d) || (o->domain_count && o->domain_count != 2 * d)) {
        tool_error("%s: the %s model has %d inputs, so --grid needs %d sizes and --domain %d "
                   "numbers",
                   o->model_path, pde->name, d, d, 2 * d);
        goto done;
    }
    if (o->points_path) {
        if (pinn_points_read(ctx, o->points_path, d, pde->input_names, NULL, &count, &points, NULL))
            goto fail;
        if (o->ref_path) {
            int64_t ref_count = 0;
            if (pinn_points_read_fields(ctx, o->ref_path, d, pde->input_names, outputs,
                                        pde->output_names, &ref_count, &ref_points, ref))
                goto fail;
            int same = ref_count == count;
            for (int64_t i = 0; same && i < count * d; i++)
                same = fabs(ref_points[i] - points[i]) <= 1e-12 * fmax(1, fabs(points[i]));
            if (!same) {
                tool_error("%s: the reference points differ from those of %s (%lld against "
                           "%lld points, or other coordinates), expected the same points",
                           o->ref_path, o->points_path, (long long)ref_count, (long long)count);
                goto done;
            }
        }
    } else {
        int64_t size[PINN_MAX_AXES];
        double lower[PINN_MAX_AXES], upper[PINN_MAX_AXES];
        for (int a = 0; a < d; a++) {
            size[a] = o->grid_count ? (int64_t)o->grid[a] : (a == pde->time_axis ? 100 : 256);
            lower[a] = o->domain_count ? o->domain[2 * a] : pde->lower[a];
            upper[a] = o->domain_count ? o->domain[2 * a + 1] : pde->upper[a];
        }
        if (!o->domain_count && !strcmp(pde->name, "burgers"))
            upper[1] = 0.99;
        if (o->ref_path) {
            if (pinn_grid_read(ctx, o->ref_path, d, pde->input_names, outputs, pde->output_names,
                               &ref_grid, ref))
                goto fail;
        }
        if (o->ref_path && !o->grid_count && !o->domain_count) {
            grid = ref_grid;
            memset(&ref_grid, 0, sizeof ref_grid);
        } else if (pinn_grid_make(ctx, d, pde->input_names, size, lower, upper, &grid)) {
            goto fail;
        }
        char difference[256];
        if (o->ref_path && ref_grid.dim &&
            pinn_grid_differs(&grid, &ref_grid, difference, sizeof difference)) {
            tool_error("%s: the reference grid differs from the evaluation grid (%s), expected "
                       "the same grid",
                       o->ref_path, difference);
            goto done;
        }
        count = pinn_grid_count(&grid);
        points = pinn_grid_points(&grid);
    }
    have_ref = o->ref_path != NULL;
    u = malloc((size_t)(count * outputs) * sizeof *u);
    r = o->residual ? malloc((size_t)(count * residuals) * sizeof *r) : NULL;
    if (!points || !u || (o->residual && !r)) {
        tool_error("out of memory for %lld points", (long long)count);
        goto done;
    }
    if (sciml_pinn_evaluate(model, count, points, u, r))
        goto fail;
    double errors[PINN_MAX_FIELDS]; /* every output the reference has */
    for (int c = 0; have_ref && c < outputs; c++)
        if (ref[c])
            errors[c] = sciml_pde_relative_error(pde, c, count, u + c, outputs, ref[c], 1);
    if (o->output_path) {
        /* one field per output (u[, v, p]) and per residual column (r, or r1, r2, r3) */
        static const char *const residual_names[2][3] = {{"r", "", ""}, {"r1", "r2", "r3"}};
        const char *names[PINN_MAX_FIELDS];
        const double *fields[PINN_MAX_FIELDS];
        double *columns = NULL;
        int field_count = outputs + (r ? residuals : 0);
        if (field_count > PINN_MAX_FIELDS ||
            !(columns = malloc((size_t)(count * field_count) * sizeof *columns))) {
            tool_error("out of memory for %lld points", (long long)count);
            goto done;
        }
        for (int f = 0; f < field_count; f++) {
            int is_output = f < outputs;
            int width = is_output ? outputs : residuals, c = is_output ? f : f - outputs;
            const double *source = is_output ? u : r;
            for (int64_t i = 0; i < count; i++)
                columns[f * count + i] = source[i * width + c];
            names[f] = is_output ? pde->output_names[c] : residual_names[residuals > 1][c];
            fields[f] = columns + f * count;
        }
        sciml_status status =
            o->points_path
                ? pinn_points_write(ctx, o->output_path, d, pde->input_names, count, points,
                                    field_count, names, fields, pde->name, command)
                : pinn_grid_write(ctx, o->output_path, &grid, field_count, names, fields, pde->name,
                                  command);
        free(columns);
        if (status)
            goto fail;
    }
    for (int c = 0; have_ref && c < outputs; c++) {
        int to_stdout = !o->output_path || strcmp(o->output_path, "-");
        if (ref[c])
            fprintf(to_stdout ? stdout : stderr, "relative L2 error of %s%s against %s: %.6e\n",
                    pde->output_names[c], (pde->up_to_constant >> c) & 1u ? " (mean-free)" : "",
                    o->ref_path, errors[c]);
    }
    exit_code = TOOL_EXIT_OK;
    goto done;
fail:
    exit_code = tool_fail(ctx);
done:
    free(points);
    free(u);
    free(r);
    for (int c = 0; c < PINN_MAX_FIELDS; c++)
        free(ref[c]);
    free(ref_points);
    pinn_grid_free(&grid);
    pinn_grid_free(&ref_grid);
    sciml_pinn_destroy(&model);
    return exit_code;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-pinn");
    pinn_eval_options options;
    int usage_status = parse(argc, argv, &options);
    if (usage_status)
        return usage_status;
    return tool_run(argc, argv, run, &options);
}
