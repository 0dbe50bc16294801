# Finds the required system libraries and stops with one message naming every missing one
# together with the Debian package that provides it.
find_package(PkgConfig REQUIRED)
set(SCIML_MISSING "")

macro(sciml_pkg target module package)
    pkg_check_modules(${target} IMPORTED_TARGET ${module})
    if(NOT ${target}_FOUND)
        list(APPEND SCIML_MISSING "${module} (apt-get install ${package})")
    endif()
endmacro()

sciml_pkg(SCIML_OPENBLAS openblas libopenblas-dev)
sciml_pkg(SCIML_LAPACKE lapacke liblapacke-dev)
sciml_pkg(SCIML_FFTW fftw3 libfftw3-dev)

find_path(SCIML_CBLAS_INCLUDE cblas.h PATH_SUFFIXES openblas x86_64-linux-gnu aarch64-linux-gnu)
if(NOT SCIML_CBLAS_INCLUDE)
    list(APPEND SCIML_MISSING "cblas.h (apt-get install libopenblas-dev)")
endif()

find_path(SCIML_CVODES_INCLUDE cvodes/cvodes.h)
find_library(SCIML_CVODES_LIB sundials_cvodes)
find_library(SCIML_NVECSERIAL_LIB sundials_nvecserial)
if(NOT SCIML_CVODES_INCLUDE OR NOT SCIML_CVODES_LIB OR NOT SCIML_NVECSERIAL_LIB)
    list(APPEND SCIML_MISSING "SUNDIALS CVODES (apt-get install libsundials-dev)")
endif()

if(SCIML_BUILD_TESTS)
    find_path(SCIML_CUNIT_INCLUDE CUnit/CUnit.h)
    find_library(SCIML_CUNIT_LIB cunit)
    if(NOT SCIML_CUNIT_INCLUDE OR NOT SCIML_CUNIT_LIB)
        list(APPEND SCIML_MISSING "CUnit (apt-get install libcunit1-dev)")
    endif()
endif()

if(SCIML_MISSING)
    list(JOIN SCIML_MISSING "\n  " SCIML_MISSING_TEXT)
    message(FATAL_ERROR "libsciml: missing required libraries:\n  ${SCIML_MISSING_TEXT}\n"
                        "Run ./.ci/install-deps.sh as root to install them all.")
endif()
