/* Private helpers shared by the netCDF reader and writer: XDR (big-endian) encoding of the
 * external types, conversions to and from double, fill values and padding. */
#ifndef SCIML_IO_NC_INTERNAL_H
#define SCIML_IO_NC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sciml/netcdf.h"

#define SCIML_NC_TAG_DIMENSION 0x0Au
#define SCIML_NC_TAG_VARIABLE 0x0Bu
#define SCIML_NC_TAG_ATTRIBUTE 0x0Cu

/* Bytes to add to n to reach a multiple of 4. */
static inline int64_t sciml_nc_padding(int64_t n) { return (4 - (n & 3)) & 3; }

int sciml_nc_type_is_valid(int type);
int sciml_nc_type_is_cdf5_only(sciml_nc_type type);

/* Big-endian external bytes (count elements of `type`) to host-order native values;
 * `external` and `native` may be the same buffer. */
void sciml_nc_decode(sciml_nc_type type, const unsigned char *external, void *native,
                     size_t count);
/* Host-order native values to big-endian external bytes (may alias). */
void sciml_nc_encode(sciml_nc_type type, const void *native, unsigned char *external,
                     size_t count);
/* Native values to double. */
void sciml_nc_native_to_double(sciml_nc_type type, const void *native, double *values,
                               size_t count);
/* Doubles to native values; returns the index of the first value that does not fit, or -1. */
int64_t sciml_nc_double_to_native(sciml_nc_type type, const double *values, void *native,
                                  size_t count);
/* Writes `count` elements of the default fill value of `type` as external bytes. */
void sciml_nc_fill_external(sciml_nc_type type, unsigned char *external, size_t count);

/* Big-endian integer reads and writes of 4 and 8 bytes. */
static inline uint32_t sciml_nc_get_u32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t sciml_nc_get_u64(const unsigned char *p) {
    return ((uint64_t)sciml_nc_get_u32(p) << 32) | sciml_nc_get_u32(p + 4);
}
static inline void sciml_nc_put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}
static inline void sciml_nc_put_u64(unsigned char *p, uint64_t v) {
    sciml_nc_put_u32(p, (uint32_t)(v >> 32));
    sciml_nc_put_u32(p + 4, (uint32_t)v);
}

#endif
