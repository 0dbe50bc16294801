/* Overflow-checked size arithmetic and allocation for sizes that come from users or files. */
#include "sciml/core.h"

#include <stdlib.h>

int sciml_mul_i64(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0)
        return 1;
    if (a != 0 && b > INT64_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}

int sciml_add_i64(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0 || a > INT64_MAX - b)
        return 1;
    *out = a + b;
    return 0;
}

int sciml_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}

void *sciml_alloc_array(size_t count, size_t size) {
    size_t bytes;
    if (sciml_mul_size(count, size, &bytes))
        return NULL;
    return malloc(bytes ? bytes : 1);
}

void *sciml_calloc_array(size_t count, size_t size) {
    if (count == 0 || size == 0)
        return calloc(1, 1);
    return calloc(count, size);
}
