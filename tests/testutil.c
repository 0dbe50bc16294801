/* CUnit runner and temporary-directory helper shared by the test executables. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir_path[256];

static void remove_tmpdir(void) {
    if (tmpdir_path[0]) {
        char command[300];
        snprintf(command, sizeof(command), "rm -rf '%s'", tmpdir_path);
        if (system(command) != 0)
            fprintf(stderr, "warning: could not remove %s\n", tmpdir_path);
    }
}

const char *sciml_test_tmpdir(void) {
    if (!tmpdir_path[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir_path, sizeof(tmpdir_path), "%s/sciml-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmpdir_path)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_tmpdir);
    }
    return tmpdir_path;
}

int sciml_test_main(const char *suite_name, const sciml_test_case *cases) {
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    if (!suite) {
        CU_cleanup_registry();
        return 1;
    }
    for (const sciml_test_case *c = cases; c->name; c++)
        if (!CU_add_test(suite, c->name, c->run)) {
            CU_cleanup_registry();
            return 1;
        }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
