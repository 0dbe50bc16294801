/* Keeps a layer that has no sources yet a valid library. */
typedef int sciml_empty_layer;
