#ifndef SCIML_TOOL_H
#define SCIML_TOOL_H
#include "sciml/core.h"
#endif
