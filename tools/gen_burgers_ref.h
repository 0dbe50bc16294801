/* sciml-gen burgers-ref (gen_burgers_ref.c): argv[1] is "burgers-ref". Returns the exit code. */
#ifndef SCIML_GEN_BURGERS_REF_H
#define SCIML_GEN_BURGERS_REF_H
int gen_burgers_ref_main(int argc, char **argv);
#endif
