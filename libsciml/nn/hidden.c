/* Parsing of hidden-layer lists as the tools take them (--hidden 64,64,64): a comma-separated
 * list of positive decimal widths, spaces allowed around items. Every malformed input is an
 * error that quotes the text and says which item is wrong; nothing is written on error.
 */
#include "sciml/nn.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

sciml_status sciml_parse_hidden(sciml_ctx *ctx, const char *text, int64_t *sizes, int capacity,
                                int *count) {
    if (!text || !sizes || !count || capacity < 1)
        return sciml_error(ctx, SCIML_ERR_ARG, "hidden layers: NULL argument or no capacity");
    int64_t parsed[SCIML_MAX_HIDDEN_LAYERS];
    const int limit = capacity < SCIML_MAX_HIDDEN_LAYERS ? capacity : SCIML_MAX_HIDDEN_LAYERS;
    int items = 0;
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "hidden layers '%s': empty list, expected widths such as 64,64,64",
                           text);
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ',' || *p == '\0')
            return sciml_error(ctx, SCIML_ERR_ARG, "hidden layers '%s': item %d is empty", text,
                               items + 1);
        if (!isdigit((unsigned char)*p) && *p != '-' && *p != '+')
            return sciml_error(ctx, SCIML_ERR_ARG, "hidden layers '%s': item %d is not a number",
                               text, items + 1);
        char *end = NULL;
        errno = 0;
        long long value = strtoll(p, &end, 10);
        const char *after = end;
        while (*after == ' ' || *after == '\t')
            after++;
        if (end == p || (*after != ',' && *after != '\0'))
            return sciml_error(ctx, SCIML_ERR_ARG,
                               "hidden layers '%s': item %d is not a whole number", text,
                               items + 1);
        if (errno == ERANGE || value < 1 || value > SCIML_MAX_LAYER_WIDTH)
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "hidden layers '%s': item %d is %.*s, expected a width from 1 to "
                               "%d",
                               text, items + 1, (int)(end - p), p, SCIML_MAX_LAYER_WIDTH);
        if (items == limit)
            return sciml_error(ctx, SCIML_ERR_RANGE, "hidden layers '%s': more than %d layers",
                               text, limit);
        parsed[items++] = (int64_t)value;
        p = after;
        if (*p == '\0')
            break;
        p++; /* the comma */
    }
    memcpy(sizes, parsed, (size_t)items * sizeof(int64_t));
    *count = items;
    return SCIML_OK;
}
