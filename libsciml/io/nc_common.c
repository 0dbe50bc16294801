/* netCDF classic external data representation: every value is stored big-endian (XDR), IEEE
 * floats as their bit patterns, names as UTF-8. This file holds the type table (sizes, default
 * fill values), name validation, and the conversions external <-> native <-> double.
 * Conversion from double follows C: integers truncate toward zero; a value outside the
 * target type's range (or NaN into an integer type, or a finite double beyond FLT_MAX into
 * float) is reported as not fitting. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "io/nc_internal.h"

int sciml_nc_type_is_valid(int type) { return type >= SCIML_NC_BYTE && type <= SCIML_NC_UINT64; }

int sciml_nc_type_is_cdf5_only(sciml_nc_type type) { return type >= SCIML_NC_UBYTE; }

int sciml_nc_type_size(sciml_nc_type type) {
    switch (type) {
    case SCIML_NC_BYTE:
    case SCIML_NC_CHAR:
    case SCIML_NC_UBYTE: return 1;
    case SCIML_NC_SHORT:
    case SCIML_NC_USHORT: return 2;
    case SCIML_NC_INT:
    case SCIML_NC_UINT:
    case SCIML_NC_FLOAT: return 4;
    case SCIML_NC_DOUBLE:
    case SCIML_NC_INT64:
    case SCIML_NC_UINT64: return 8;
    }
    return 0;
}

const char *sciml_nc_type_name(sciml_nc_type type) {
    static const char *const names[] = {"invalid", "byte",   "char",   "short",
                                        "int",     "float",  "double", "ubyte",
                                        "ushort",  "uint",   "int64",  "uint64"};
    return sciml_nc_type_is_valid((int)type) ? names[type] : names[0];
}

double sciml_nc_default_fill(sciml_nc_type type) {
    switch (type) {
    case SCIML_NC_BYTE: return -127.0;
    case SCIML_NC_CHAR: return 0.0;
    case SCIML_NC_SHORT: return -32767.0;
    case SCIML_NC_INT: return -2147483647.0;
    case SCIML_NC_FLOAT: return (double)9.9692099683868690e+36f;
    case SCIML_NC_DOUBLE: return 9.9692099683868690e+36;
    case SCIML_NC_UBYTE: return 255.0;
    case SCIML_NC_USHORT: return 65535.0;
    case SCIML_NC_UINT: return 4294967295.0;
    case SCIML_NC_INT64: return (double)-9223372036854775806LL;
    case SCIML_NC_UINT64: return (double)18446744073709551614ULL;
    }
    return 0.0;
}

/* Length of the UTF-8 sequence starting at s (at most `left` bytes), 0 when invalid. */
static int utf8_sequence_length(const unsigned char *s, size_t left) {
    int length;
    uint32_t code;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        length = 2;
        code = s[0] & 0x1Fu;
    } else if ((s[0] & 0xF0) == 0xE0) {
        length = 3;
        code = s[0] & 0x0Fu;
    } else if ((s[0] & 0xF8) == 0xF0) {
        length = 4;
        code = s[0] & 0x07u;
    } else {
        return 0;
    }
    if ((size_t)length > left)
        return 0;
    for (int i = 1; i < length; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        code = (code << 6) | (s[i] & 0x3Fu);
    }
    static const uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < minimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    return length;
}

int sciml_nc_name_is_valid(const char *name) {
    if (!name)
        return 0;
    size_t length = strlen(name);
    if (length == 0 || length > SCIML_NC_MAX_NAME)
        return 0;
    const unsigned char *s = (const unsigned char *)name;
    unsigned char first = s[0];
    if (!(first >= 0x80 || first == '_' || (first >= '0' && first <= '9') ||
          (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z')))
        return 0;
    for (size_t i = 0; i < length;) {
        if (s[i] >= 0x80) {
            int step = utf8_sequence_length(s + i, length - i);
            if (step == 0)
                return 0;
            i += (size_t)step;
            continue;
        }
        if (s[i] < 0x20 || s[i] == 0x7F || s[i] == '/')
            return 0;
        i++;
    }
    if (s[length - 1] == ' ')
        return 0;
    return 1;
}

void sciml_nc_decode(sciml_nc_type type, const unsigned char *external, void *native,
                     size_t count) {
    int size = sciml_nc_type_size(type);
    unsigned char *out = native;
    if (size == 1) {
        if (out != external)
            memmove(out, external, count);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const unsigned char *p = external + i * (size_t)size;
        if (size == 2) {
            uint16_t v = (uint16_t)((p[0] << 8) | p[1]);
            memcpy(out + 2 * i, &v, 2);
        } else if (size == 4) {
            uint32_t v = sciml_nc_get_u32(p);
            memcpy(out + 4 * i, &v, 4);
        } else {
            uint64_t v = sciml_nc_get_u64(p);
            memcpy(out + 8 * i, &v, 8);
        }
    }
}

void sciml_nc_encode(sciml_nc_type type, const void *native, unsigned char *external,
                     size_t count) {
    int size = sciml_nc_type_size(type);
    const unsigned char *in = native;
    if (size == 1) {
        if (in != external)
            memmove(external, in, count);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        unsigned char *p = external + i * (size_t)size;
        if (size == 2) {
            uint16_t v;
            memcpy(&v, in + 2 * i, 2);
            p[0] = (unsigned char)(v >> 8);
            p[1] = (unsigned char)v;
        } else if (size == 4) {
            uint32_t v;
            memcpy(&v, in + 4 * i, 4);
            sciml_nc_put_u32(p, v);
        } else {
            uint64_t v;
            memcpy(&v, in + 8 * i, 8);
            sciml_nc_put_u64(p, v);
        }
    }
}

void sciml_nc_native_to_double(sciml_nc_type type, const void *native, double *values,
                               size_t count) {
    /* Walk backwards so that values may alias native (elements are never wider than 8). */
    for (size_t k = count; k-- > 0;) {
        double v = 0.0;
        switch (type) {
        case SCIML_NC_BYTE: v = ((const int8_t *)native)[k]; break;
        case SCIML_NC_CHAR:
        case SCIML_NC_UBYTE: v = ((const uint8_t *)native)[k]; break;
        case SCIML_NC_SHORT: v = ((const int16_t *)native)[k]; break;
        case SCIML_NC_USHORT: v = ((const uint16_t *)native)[k]; break;
        case SCIML_NC_INT: v = ((const int32_t *)native)[k]; break;
        case SCIML_NC_UINT: v = ((const uint32_t *)native)[k]; break;
        case SCIML_NC_FLOAT: v = ((const float *)native)[k]; break;
        case SCIML_NC_DOUBLE: v = ((const double *)native)[k]; break;
        case SCIML_NC_INT64: v = (double)((const int64_t *)native)[k]; break;
        case SCIML_NC_UINT64: v = (double)((const uint64_t *)native)[k]; break;
        }
        values[k] = v;
    }
}

int64_t sciml_nc_double_to_native(sciml_nc_type type, const double *values, void *native,
                                  size_t count) {
    for (size_t k = 0; k < count; k++) {
        double x = values[k];
        double t = trunc(x);
        int fits;
        switch (type) {
        case SCIML_NC_BYTE:
            fits = t >= -128.0 && t <= 127.0;
            if (fits) ((int8_t *)native)[k] = (int8_t)t;
            break;
        case SCIML_NC_CHAR:
            fits = t >= -128.0 && t <= 255.0;
            if (fits) ((uint8_t *)native)[k] = (uint8_t)(int)t;
            break;
        case SCIML_NC_UBYTE:
            fits = t >= 0.0 && t <= 255.0;
            if (fits) ((uint8_t *)native)[k] = (uint8_t)t;
            break;
        case SCIML_NC_SHORT:
            fits = t >= -32768.0 && t <= 32767.0;
            if (fits) ((int16_t *)native)[k] = (int16_t)t;
            break;
        case SCIML_NC_USHORT:
            fits = t >= 0.0 && t <= 65535.0;
            if (fits) ((uint16_t *)native)[k] = (uint16_t)t;
            break;
        case SCIML_NC_INT:
            fits = t >= -2147483648.0 && t <= 2147483647.0;
            if (fits) ((int32_t *)native)[k] = (int32_t)t;
            break;
        case SCIML_NC_UINT:
            fits = t >= 0.0 && t <= 4294967295.0;
            if (fits) ((uint32_t *)native)[k] = (uint32_t)t;
            break;
        case SCIML_NC_INT64:
            fits = t >= -9223372036854775808.0 && t < 9223372036854775808.0;
            if (fits) ((int64_t *)native)[k] = (int64_t)t;
            break;
        case SCIML_NC_UINT64:
            fits = t >= 0.0 && t < 18446744073709551616.0;
            if (fits) ((uint64_t *)native)[k] = (uint64_t)t;
            break;
        case SCIML_NC_FLOAT:
            fits = isnan(x) || isinf(x) || fabs(x) <= (double)FLT_MAX;
            if (fits) ((float *)native)[k] = (float)x;
            break;
        case SCIML_NC_DOUBLE:
            fits = 1;
            ((double *)native)[k] = x;
            break;
        default: fits = 0; break;
        }
        if (!fits)
            return (int64_t)k;
    }
    return -1;
}

void sciml_nc_fill_external(sciml_nc_type type, unsigned char *external, size_t count) {
    unsigned char pattern[8];
    int size = sciml_nc_type_size(type);
    if (size == 0)
        return;
    if (type == SCIML_NC_FLOAT) {
        float f = 9.9692099683868690e+36f;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        sciml_nc_put_u32(pattern, bits);
    } else if (type == SCIML_NC_DOUBLE) {
        double d = 9.9692099683868690e+36;
        uint64_t bits;
        memcpy(&bits, &d, 8);
        sciml_nc_put_u64(pattern, bits);
    } else if (type == SCIML_NC_INT64) {
        sciml_nc_put_u64(pattern, (uint64_t)-9223372036854775806LL);
    } else if (type == SCIML_NC_UINT64) {
        sciml_nc_put_u64(pattern, 18446744073709551614ULL);
    } else {
        double fill = sciml_nc_default_fill(type);
        unsigned char native[8];
        sciml_nc_double_to_native(type, &fill, native, 1);
        sciml_nc_encode(type, native, pattern, 1);
    }
    for (size_t i = 0; i < count; i++)
        memcpy(external + i * (size_t)size, pattern, (size_t)size);
}
