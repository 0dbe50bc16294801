/* Shared helpers for the command-line tools (filled in with the first tools). */
#include "tool.h"
