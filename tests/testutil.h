/* Shared CUnit runner for the test executables: each test_*.c lists its cases and calls
 * sciml_test_main(), which runs them in CUnit's basic mode and returns non-zero on failure. */
#ifndef SCIML_TESTUTIL_H
#define SCIML_TESTUTIL_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

typedef struct sciml_test_case {
    const char *name;
    void (*run)(void);
} sciml_test_case;

/* cases ends with {NULL, NULL}. Returns 0 when every case passed, 1 otherwise. */
int sciml_test_main(const char *suite_name, const sciml_test_case *cases);

/* Temporary directory for this test process (created once, removed at exit). */
const char *sciml_test_tmpdir(void);

/* Asserts |actual - expected| <= tolerance, printing both on failure. */
#define SCIML_ASSERT_CLOSE(actual, expected, tolerance)                                           \
    CU_ASSERT_DOUBLE_EQUAL((actual), (expected), (tolerance))

#endif
