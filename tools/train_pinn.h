/* sciml-train pinn (train_pinn.c): argv[1] is "pinn". Returns the exit code. */
#ifndef SCIML_TRAIN_PINN_H
#define SCIML_TRAIN_PINN_H
int train_pinn_main(int argc, char **argv);
#endif
