/* Training options shared by every model (sciml/train.h). */
#include "sciml/train.h"

#include <string.h>

void sciml_train_options_default(sciml_train_options *options) {
    memset(options, 0, sizeof(*options));
    options->epochs = 100;
    options->batch = 32;
    options->optimizer = SCIML_OPTIMIZER_ADAM;
    options->weight_decay = 0.0;
    sciml_schedule_default(&options->schedule, 1e-3);
    options->lbfgs_iterations = 1000;
    options->seed = 0;
}
